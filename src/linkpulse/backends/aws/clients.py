"""boto3 clients for the AWS backend, and the translation of botocore errors.

Clients are built on first use, never at import: a Lambda container pays for a client
once, in its first invocation, and only for the services that function calls.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Literal

from linkpulse.core.errors import BackendUnavailable

THROTTLED = frozenset({
    "ProvisionedThroughputExceededException", "ThrottlingException", "Throttling",
    "RequestLimitExceeded", "TransactionConflictException", "TransactionInProgressException",
    "InternalServerError", "InternalFailure", "ServiceUnavailable", "RequestThrottled",
    "KMS.ThrottlingException",
})

_lock = threading.Lock()


def make_client(service: Literal["dynamodb", "sqs"], endpoint_url: str = "",
                region: str = "us-east-1", read_timeout: float = 5.0) -> Any:
    """A boto3 client with short timeouts and standard retries."""
    import boto3
    from botocore.config import Config

    config = Config(
        region_name=region,
        connect_timeout=2,
        read_timeout=read_timeout,
        retries={"mode": "standard", "max_attempts": 3},
        tcp_keepalive=True,
    )
    with _lock:  # boto3's default session is not thread-safe while it creates clients
        return boto3.client(service, endpoint_url=endpoint_url or None, config=config)


class LazyClient:
    """Holds an injected client, or builds one with ``factory`` on first use."""

    def __init__(self, client: Any, factory: Callable[[], Any]) -> None:
        if isinstance(client, LazyClient):  # shared between adapters
            client, factory = client.peek(), client.get
        self._client: Any = client
        self._factory = factory

    def peek(self) -> Any:
        return self._client

    def get(self) -> Any:
        if self._client is None:
            self._client = self._factory()
        return self._client


class DynamoTable:
    """What every DynamoDB adapter starts from: its table's name and a client, injected
    or built on first use."""

    def __init__(self, table: str, client: Any = None, *, endpoint_url: str = "",
                 region: str = "us-east-1") -> None:
        self.table = table
        self._client = LazyClient(client, lambda: make_client("dynamodb", endpoint_url, region))

    @property
    def client(self) -> Any:
        return self._client.get()


def error_code(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


@contextmanager
def translated(what: str) -> Iterator[None]:
    """Turn botocore failures (throttling, unreachable endpoint, missing resource) into
    :class:`BackendUnavailable`; specific codes are handled by the caller first."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except ClientError as exc:
        raise BackendUnavailable(f"{what}: {error_code(exc) or exc}") from exc
    except BotoCoreError as exc:
        raise BackendUnavailable(f"{what}: {exc}") from exc
