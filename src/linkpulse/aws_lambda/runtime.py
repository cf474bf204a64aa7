"""What the four handlers share: the structured logger, the metrics, the lazily built
components, and how an invocation is labelled in the logs.

Nothing here opens a connection at import. The components (and their boto3 clients)
are built on the first invocation of a container and reused by the next ones.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools import Logger

from linkpulse.api import HttpApi
from linkpulse.aws_lambda.metrics import EmfMetrics
from linkpulse.bootstrap import Components

# JSON lines on stdout; POWERTOOLS_SERVICE_NAME and POWERTOOLS_LOG_LEVEL apply.
logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME") or "linkpulse")
# EMF lines on stdout at the end of each invocation; POWERTOOLS_METRICS_NAMESPACE applies.
metrics = EmfMetrics()

_components: Components | None = None
_api: HttpApi | None = None

F = TypeVar("F", bound=Callable[..., Any])


def use(components: Components | None) -> None:
    """Run the handlers of this process on ``components`` (tests, the local worker);
    None goes back to building them from the environment on the next invocation."""
    global _components, _api
    _components, _api = components, None


def components() -> Components:
    global _components
    if _components is None:
        from linkpulse.backends import aws
        from linkpulse.settings import Settings

        _components = aws.build(Settings.from_env(), buffered=False, metrics=metrics)
    return _components


def api() -> HttpApi:
    global _api
    if _api is None:
        _api = components().http_api()
    return _api


def describe(event: Any) -> dict[str, Any]:
    """Log keys saying what invoked us. HTTP API payload 2.0 carries the method at
    ``requestContext.http.method`` (there is no ``httpMethod``: that is payload 1.0)."""
    if isinstance(event, dict):
        context = event.get("requestContext")
        http = context.get("http") if isinstance(context, dict) else None
        if isinstance(http, dict):
            return {"invocation": "http", "http_method": http.get("method"),
                    "http_path": http.get("path"), "route": event.get("routeKey")}
        records = event.get("Records")
        if isinstance(records, list) and records and isinstance(records[0], dict):
            source = records[0].get("eventSource")
            if source == "aws:sqs":
                return {"invocation": "sqs", "records": len(records)}
            return {"invocation": str(source)}
    return {"invocation": "unknown"}


def entry(handler: F) -> F:
    """Decorate a Lambda handler: Lambda context and invocation kind on every log line,
    the invocation's metrics written when it ends."""
    @functools.wraps(handler)
    def wrapper(event: Any, context: Any) -> Any:
        logger.append_keys(**describe(event))
        logger.debug("invoked")
        try:
            return handler(event, context)
        finally:
            metrics.flush()

    return logger.inject_lambda_context(clear_state=True)(wrapper)  # type: ignore[return-value]
