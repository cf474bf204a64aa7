"""The ASGI application: FastAPI for the API and its OpenAPI document, the redirect
fast path in front of it, JSON errors everywhere."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import Response as StarletteResponse
from starlette.responses import StreamingResponse

import linkpulse
from linkpulse import bootstrap
from linkpulse.api import (
    CORS_HEADERS,
    CORS_MAX_AGE,
    CORS_METHODS,
    HttpApi,
    Response,
    error_response,
    is_host,
    response_for,
)
from linkpulse.bootstrap import Components
from linkpulse.core.errors import PayloadTooLarge, RequestTimeout
from linkpulse.routes import Request as ApiRequest
from linkpulse.routes import Route, allowed, routes
from linkpulse.settings import Settings
from linkpulse.web import dashboard, schemas
from linkpulse.web.fastpath import RedirectFastPath
from linkpulse.web.hosts import HostGuard, allowed_hosts
from linkpulse.web.live import EventStreamResponse, LiveHub
from linkpulse.web.threads import SyncPool
from linkpulse.web.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("linkpulse.web")


def _send(response: Response) -> StarletteResponse:
    if isinstance(response.stream, AsyncIterable):  # an event stream, on the event loop
        return EventStreamResponse(response.stream, response.status,
                                   headers=response.headers)
    if response.stream is not None:  # iterated off the event loop by Starlette
        return StreamingResponse(response.stream, response.status, headers=response.headers)
    return StarletteResponse(response.body, response.status, headers=response.headers)


def _base_url(api: HttpApi, request: Request) -> str:
    """``scheme://host`` the client called, from the scope (``request.url`` would parse
    the query string, which need not be UTF-8). The Host has passed the allow-list
    (:mod:`linkpulse.web.hosts`); one that is not a host name is not reflected: the
    server's own address stands in for it. The scheme is the connection's, or what a
    trusted proxy forwarded."""
    scope = request.scope
    host = request.headers.get("host", "")
    if not is_host(host):
        server = scope.get("server") or ("localhost", None)
        host = server[0] if server[1] is None else f"{server[0]}:{server[1]}"
    client = request.client
    scheme = api.scheme(client.host if client else None,
                        request.headers.get("x-forwarded-proto"), scope.get("scheme", "http"))
    return f"{scheme}://{host}"


async def _read_body(request: Request, limit: int, timeout: float) -> bytes:
    """The request body, refusing (413) anything over ``limit`` before reading it all,
    and (408) a body that takes longer than ``timeout`` seconds to arrive."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"request body is larger than {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(timeout):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise PayloadTooLarge(f"request body is larger than {limit} bytes")
                chunks.append(chunk)
    except TimeoutError as exc:
        raise RequestTimeout(f"request body not received within {timeout:g} s") from exc
    return b"".join(chunks)


SYNC_THREADS = 8
"""Threads per worker for sync endpoints (stats, create): SQLite work on 2-4 cores
gains nothing from anyio's default 40."""


def _endpoint(api: HttpApi, route: Route, max_body: int, body_timeout: float, pool: SyncPool
              ) -> Callable[[Request], Awaitable[StarletteResponse]]:
    """The FastAPI endpoint of one declared route: build the edge-neutral request,
    answer it with :meth:`HttpApi.handle` off the event loop."""
    reads_body = route.request is not None

    async def endpoint(request: Request) -> StarletteResponse:
        body = b""
        if reads_body:
            try:
                body = await _read_body(request, max_body, body_timeout)
            except PayloadTooLarge as exc:
                return _send(response_for(exc))
            except ClientDisconnect:  # nobody to answer; not worth more than a debug line
                log.debug("client disconnected before sending its whole body")
                return _send(error_response(400, "incomplete request body"))
        client = request.client
        req = ApiRequest(
            method=request.method,
            path_params=dict(request.path_params),
            query=dict(request.query_params),
            headers=dict(request.headers.items()),  # no lookups: 'À' != 'à'.encode()
            body=body,
            client_ip=api.client_ip(client.host if client else None,
                                    request.headers.get("x-forwarded-for")),
            base_url=_base_url(api, request),
            query_string=request.scope.get("query_string", b"").decode("latin-1"),
        )
        return _send(await pool.run(api.handle, route, req))

    endpoint.__name__ = route.name
    return endpoint


def create_api_app(components: Components, *, own_lifecycle: bool = True) -> FastAPI:
    settings = components.settings
    api = components.http_api()
    # Sync endpoints run in a fixed pool, each thread with its own SQLite connections:
    # a small pool that keeps its threads bounds them (a server's open files stay flat).
    pool = SyncPool(SYNC_THREADS)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if own_lifecycle:
            components.start()
            pool.start(components.connect)
        try:
            yield
        finally:
            pool.close()
            if own_lifecycle:
                components.close()

    app = FastAPI(
        title="linkpulse",
        version=linkpulse.__version__,
        summary="URL shortener with exact click analytics",
        docs_url=None, redoc_url=None, lifespan=lifespan,
        redirect_slashes=False,  # no 307 built from a client's Host header
    )
    if components.tail is not None:
        api.live = LiveHub(components.tail, components.links,
                           max_subscribers=settings.event_streams)
    app.state.api = api
    app.state.components = components

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> StarletteResponse:
        response = error_response(exc.status_code, str(exc.detail))
        if exc.status_code == 405:
            response.headers["allow"] = ", ".join(allowed(request.scope["path"]))
        return _send(response)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> StarletteResponse:
        return _send(error_response(400, "invalid request"))

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> StarletteResponse:
        return _send(response_for(exc))

    dashboard.install(app)
    for route in routes():  # literal paths first, so /{code} comes last
        app.add_api_route(route.path, _endpoint(api, route, settings.max_body_bytes,
                                                    settings.body_timeout, pool),
                          methods=[route.method], **schemas.openapi(route))
    schemas.install_security(app)

    app.add_middleware(NoSniff)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.origins,
        allow_methods=CORS_METHODS,
        allow_headers=CORS_HEADERS,
        max_age=CORS_MAX_AGE,
    )
    return app


class NoSniff:
    """``X-Content-Type-Options: nosniff`` on every answer of the framework app, so a
    browser never reads a JSON answer or a dashboard file as something else."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_nosniff(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(k == b"x-content-type-options" for k, _ in headers):
                    headers.append((b"x-content-type-options", b"nosniff"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_nosniff)


def create_app(settings: Settings | None = None, components: Components | None = None,
               ) -> ASGIApp:
    """The full ASGI app. ``uvicorn --factory linkpulse.web.app:create_app`` works too."""
    if components is None:
        components = bootstrap.build(settings or Settings.from_env())
    api_app = create_api_app(components)
    # The redirect fast path builds nothing from the Host (Location is the stored link):
    # only what reaches the framework app, which does (short_url), is host-checked.
    guarded = HostGuard(api_app, allowed_hosts(components.settings))
    return RedirectFastPath(api_app.state.api, guarded,
                            allow_origins=components.settings.origins)
