"""The ASGI application: FastAPI for the API and its OpenAPI document, the redirect
fast path in front of it, JSON errors everywhere."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response as StarletteResponse

import linkpulse
from linkpulse import bootstrap
from linkpulse.api import (
    CORS_HEADERS,
    CORS_METHODS,
    HttpApi,
    Response,
    error_response,
    response_for,
)
from linkpulse.bootstrap import Components
from linkpulse.core.errors import PayloadTooLarge
from linkpulse.routes import Request as ApiRequest
from linkpulse.routes import Route, routes
from linkpulse.settings import Settings
from linkpulse.web import dashboard, schemas
from linkpulse.web.fastpath import RedirectFastPath
from linkpulse.web.types import ASGIApp


def _send(response: Response) -> StarletteResponse:
    return StarletteResponse(response.body, response.status, headers=response.headers)


def _base_url(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


async def _read_body(request: Request, limit: int) -> bytes:
    """The request body, refusing (413) anything over ``limit`` before reading it all."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"request body is larger than {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"request body is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _endpoint(api: HttpApi, route: Route, max_body: int
              ) -> Callable[[Request], Awaitable[StarletteResponse]]:
    """The FastAPI endpoint of one declared route: build the edge-neutral request,
    answer it with :meth:`HttpApi.handle` off the event loop."""
    reads_body = route.request is not None

    async def endpoint(request: Request) -> StarletteResponse:
        body = b""
        if reads_body:
            try:
                body = await _read_body(request, max_body)
            except PayloadTooLarge as exc:
                return _send(response_for(exc))
        client = request.client
        req = ApiRequest(
            method=request.method,
            path_params=dict(request.path_params),
            query=dict(request.query_params),
            headers=dict(request.headers),
            body=body,
            client_ip=client.host if client else None,
            base_url=_base_url(request),
            query_string=request.url.query,
        )
        return _send(await run_in_threadpool(api.handle, route, req))

    endpoint.__name__ = route.name
    return endpoint


def create_api_app(components: Components, *, own_lifecycle: bool = True) -> FastAPI:
    settings = components.settings
    api = components.http_api()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if own_lifecycle:
            components.start()
        try:
            yield
        finally:
            if own_lifecycle:
                components.close()

    app = FastAPI(
        title="linkpulse",
        version=linkpulse.__version__,
        summary="URL shortener with exact click analytics",
        docs_url=None, redoc_url=None, lifespan=lifespan,
    )
    app.state.api = api
    app.state.components = components

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> StarletteResponse:
        return _send(error_response(exc.status_code, str(exc.detail)))

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> StarletteResponse:
        return _send(error_response(400, "invalid request"))

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> StarletteResponse:
        return _send(response_for(exc))

    dashboard.install(app)
    for route in routes():  # literal paths first, so /{code} comes last
        app.add_api_route(route.path, _endpoint(api, route, settings.max_body_bytes),
                          methods=[route.method], **schemas.openapi(route))
    schemas.install_security(app)

    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.origins,
        allow_methods=CORS_METHODS,
        allow_headers=CORS_HEADERS,
        max_age=600,
    )
    return app


def create_app(settings: Settings | None = None, components: Components | None = None,
               ) -> ASGIApp:
    """The full ASGI app. ``uvicorn --factory linkpulse.web.app:create_app`` works too."""
    if components is None:
        components = bootstrap.build(settings or Settings.from_env())
    api_app = create_api_app(components)
    return RedirectFastPath(api_app.state.api, api_app,
                            allow_origins=components.settings.origins)
