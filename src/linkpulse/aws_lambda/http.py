"""The HTTP edge on API Gateway (HTTP API, payload format 2.0), shared by the handlers.

Each function's resolver is built from the route table (:mod:`linkpulse.routes`): the
routes declared for that function, answered by :meth:`HttpApi.handle`. This module only
moves bytes between the event and it, and wraps the answer exactly as the ASGI app does:
the same JSON 404/405 for unknown routes and the same CORS headers (a parity test pins
the two edges together).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response

from linkpulse import api as http_api
from linkpulse import routes as table
from linkpulse.aws_lambda import events, runtime
from linkpulse.core.codes import could_exist, is_reserved
from linkpulse.core.errors import InvalidInput

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]

CORS_METHODS = ", ".join(http_api.CORS_METHODS)
# The CORS-safelisted ones + what the API reads, sorted as the ASGI middleware lists them.
CORS_HEADERS = tuple(sorted({"Accept", "Accept-Language", "Content-Language", "Content-Type",
                             *http_api.CORS_HEADERS}))
CORS_MAX_AGE = str(http_api.CORS_MAX_AGE)
PREFLIGHT_VARY = ("Origin, Access-Control-Request-Method, Access-Control-Request-Headers, "
                  "Access-Control-Request-Private-Network")


def resolver(function: str) -> APIGatewayHttpResolver:
    """The resolver of one Lambda function: every route the table gives it."""
    app = APIGatewayHttpResolver()
    for route in table.for_function(function):
        rule = re.sub(r"\{(\w+)\}", r"<\1>", route.path)
        app.route(rule, method=route.method)(_answer(app, route))

    @app.not_found
    def not_found(_: Exception) -> Response[Any]:
        event = app.current_event
        method = event.request_context.http.method
        known = table.methods_of(event.path) - {method}
        if not known:
            return reply(http_api.error_response(404, "Not Found"))
        answer = http_api.error_response(405, "Method Not Allowed")
        answer.headers["allow"] = ", ".join(table.allowed(event.path))
        return reply(answer)

    return app


def _answer(app: APIGatewayHttpResolver, route: table.Route) -> Callable[..., Response[Any]]:
    def answer(**path_params: str) -> Response[Any]:
        event = app.current_event
        request = table.Request(
            method=route.method,
            path_params=path_params,
            query=dict(event.query_string_parameters or {}),
            headers={k.lower(): v for k, v in (event.headers or {}).items()},
            body=body(app) if route.request is not None else b"",
            client_ip=event.request_context.http.source_ip,
            base_url=base_url(app),
            query_string=event.raw_query_string or "",
        )
        return reply(runtime.api().handle(route, request))

    answer.__name__ = route.name
    return answer


def reply(response: http_api.Response) -> Response[Any]:
    """Powertools' response of ``response``; a binary body (an image) stays bytes, which
    Powertools sends base64-encoded with ``isBase64Encoded`` (API Gateway decodes it)."""
    body: str | bytes = (response.body.decode() if _textual(response.headers)
                         else response.body)
    return Response(status_code=response.status, content_type=None, body=body,
                    headers=dict(response.headers))


def _textual(headers: dict[str, str]) -> bool:
    media = headers.get("content-type", "application/json")
    return media.startswith(("application/json", "text/")) or media.endswith("+xml")


def body(app: APIGatewayHttpResolver) -> bytes:
    return events.body_bytes(app.current_event.raw_event)


_STAGE = re.compile(r"[A-Za-z0-9_-]{1,128}")  # API Gateway's stage names; not $default


def base_url(app: APIGatewayHttpResolver) -> str:
    """``https://<domain>[/<stage>]``, what the client called. The domain is the one
    API Gateway matched the request on (``requestContext.domainName``), never the
    client's ``Host`` header; ``x-forwarded-proto`` (set by API Gateway) only chooses
    between ``http`` and ``https``. ``LINKPULSE_BASE_URL``, when set, wins over both."""
    event = app.current_event
    domain = event.request_context.domain_name or ""
    host = domain if http_api.is_host(domain) else "localhost"
    stage = event.request_context.stage
    prefix = f"/{stage}" if stage and _STAGE.fullmatch(stage) else ""
    scheme = "http" if event.headers.get("x-forwarded-proto") == "http" else "https"
    return f"{scheme}://{host}{prefix}"


def handler(app: APIGatewayHttpResolver) -> Handler:
    """The Lambda entry point for ``app``: CORS around the routes, like the ASGI app."""
    @runtime.entry
    def handle(raw_event: dict[str, Any], context: Any) -> dict[str, Any]:
        try:
            event = events.http_event(raw_event)
        except InvalidInput as exc:
            return _proxy(http_api.response_for(exc))
        headers: dict[str, str] = event["headers"]
        method: str = event["requestContext"]["http"]["method"]
        origin = headers.get("origin")
        if method == "OPTIONS" and origin and "access-control-request-method" in headers:
            return _preflight(origin, headers)
        try:
            result: dict[str, Any] = app.resolve(event, context)
        except Exception as exc:  # a malformed request the route could not read
            result = _proxy(http_api.response_for(exc))
        if not _fast_path(method, event["rawPath"]):
            _simple_cors(result.setdefault("headers", {}), origin)
        elif origin is not None:
            _redirect_cors(result.setdefault("headers", {}), origin)
        return result

    return handle


def _proxy(response: http_api.Response) -> dict[str, Any]:
    return {"statusCode": response.status, "headers": dict(response.headers),
            "body": response.body.decode(), "isBase64Encoded": False}


def _fast_path(method: str, path: str) -> bool:
    """The redirects the ASGI app answers before its CORS middleware (see fastpath.py),
    with CORS headers of their own only when asked cross-origin."""
    code = path[1:]
    return (method in ("GET", "HEAD") and "/" not in code and could_exist(code)
            and not is_reserved(code))


def _origins() -> list[str]:
    return runtime.components().settings.origins


def _simple_cors(headers: dict[str, Any], origin: str | None) -> None:
    origins = _origins()
    if origin is not None and "*" in origins:
        headers["access-control-allow-origin"] = "*"
    elif origin is not None and origin in origins:
        headers["access-control-allow-origin"] = origin
    headers["vary"] = ", ".join(v for v in (headers.get("vary"), "Origin") if v)


def _redirect_cors(headers: dict[str, Any], origin: str) -> None:
    """What the ASGI fast path adds to a redirect requested cross-origin (see fastpath.py)."""
    origins = _origins()
    if "*" in origins:
        headers["access-control-allow-origin"] = "*"
    elif origin in origins:
        headers["access-control-allow-origin"] = origin
        headers["vary"] = "Origin"


def _preflight(origin: str, headers: dict[str, str]) -> dict[str, Any]:
    origins = _origins()
    out = {"vary": PREFLIGHT_VARY}
    failures = []
    if "*" in origins:
        out["access-control-allow-origin"] = "*"
    elif origin in origins:
        out["access-control-allow-origin"] = origin
    else:
        failures.append("origin")
    out |= {"access-control-allow-methods": CORS_METHODS, "access-control-max-age": CORS_MAX_AGE,
            "access-control-allow-headers": ", ".join(CORS_HEADERS)}
    if headers["access-control-request-method"] not in CORS_METHODS.split(", "):
        failures.append("method")
    requested = headers.get("access-control-request-headers")
    allowed = {h.lower() for h in CORS_HEADERS}
    if requested is not None and any(h.strip().lower() not in allowed
                                     for h in requested.split(",")):
        failures.append("headers")
    if "access-control-request-private-network" in headers:
        failures.append("private-network")
    text, status = ("Disallowed CORS " + ", ".join(failures), 400) if failures else ("OK", 200)
    out["content-type"] = "text/plain; charset=utf-8"
    return {"statusCode": status, "headers": out, "body": text, "isBase64Encoded": False}
