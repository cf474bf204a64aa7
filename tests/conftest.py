"""Fixtures shared by every test folder."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.aws_support import MotoServer, unique_names


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    """One moto server per test session (every test makes resources of its own)."""
    pytest.importorskip("moto", reason="the aws extra is not installed")
    server = MotoServer(tmp_path_factory.mktemp("moto") / "moto.log")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def aws_clients(moto_server: MotoServer) -> tuple[Any, Any]:
    """(dynamodb, sqs) boto3 clients pointed at the moto server."""
    return moto_server.client("dynamodb"), moto_server.client("sqs")


@pytest.fixture(scope="session")
def aws_components(moto_server: MotoServer, aws_clients: tuple[Any, Any]
                   ) -> Callable[..., Any]:
    """Build aws Components on fresh tables and queues: ``aws_components(**settings)``
    (no rate limit unless asked for, as for the child processes of ``linkpulse_env``)."""
    from linkpulse.backends import aws
    from linkpulse.backends.aws.resources import create_resources
    from linkpulse.settings import Settings

    dynamodb, sqs = aws_clients

    def make(buffered: bool = False, metrics: Any = None, **overrides: Any) -> Any:
        from linkpulse.core.metrics import NO_METRICS

        settings = Settings(backend="aws", endpoint_url=moto_server.endpoint,
                            **{"create_rate_limit": "off", **unique_names(), **overrides})
        create_resources(settings, dynamodb, sqs)
        return aws.build(settings, dynamodb=dynamodb, sqs=sqs, buffered=buffered,
                         metrics=metrics or NO_METRICS)

    return make
