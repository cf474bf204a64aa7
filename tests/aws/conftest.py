"""Fixtures for the AWS flavour's own tests: components on fresh moto resources, the
handlers running on them, and the sample events under tests/events."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

EVENTS = Path(__file__).resolve().parents[1] / "events"


@pytest.fixture
def components(aws_components: Callable[..., Any]) -> Iterator[Any]:
    """aws Components on fresh tables and queues; the Lambda handlers run on them."""
    from linkpulse.aws_lambda import runtime

    made = aws_components(visibility_timeout=1, max_receive_count=3, open=True)
    runtime.use(made)
    yield made
    runtime.use(None)
    made.close()


@pytest.fixture
def event() -> Callable[[str], dict[str, Any]]:
    def load(name: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((EVENTS / f"{name}.json").read_text())
        return data

    return load


@pytest.fixture
def context() -> Any:
    from linkpulse.aws_lambda.local import LocalContext

    return LocalContext()
