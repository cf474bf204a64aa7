"""The redirect hot path as a bare ASGI callable in front of the framework.

``GET /{code}`` is the one request that must be fast. A framework route costs tens of
microseconds per request in routing, request objects and middleware; this answers it
straight from the ASGI scope with :meth:`HttpApi.redirect` (the same code a framework
route would call) and hands every other request to the framework app untouched.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from linkpulse.api import REDIRECT_CACHE_CONTROL, HttpApi, Response, response_for
from linkpulse.core.codes import could_exist, is_reserved
from linkpulse.web.types import ASGIApp, Receive, Scope, Send

_UA = b"user-agent"
_REFERER = b"referer"
_ORIGIN = b"origin"
_FORWARDED_FOR = b"x-forwarded-for"
# What every 302 carries after its Location: the headers of HttpApi.redirect's Response.
_REDIRECT_TAIL = ((b"cache-control", REDIRECT_CACHE_CONTROL.encode("latin-1")),
                  (b"content-length", b"0"))
_NO_BODY = {"type": "http.response.body", "body": b""}
ROUTE = "/{code}"
"""The redirect's declared route (``endpoints/legacy.py``): its latency metric's label."""


def _encode(response: Response) -> list[tuple[bytes, bytes]]:
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers.items()]
    headers.append((b"content-length", str(len(response.body)).encode()))
    return headers


class RedirectFastPath:
    """``allow_origins`` (as in the CORS middleware it bypasses; ``"*"`` = any) lets a page
    on another origin read these responses: a dashboard counting clicks with
    ``fetch(url, {redirect: "manual"})`` gets an opaque redirect instead of a CORS error."""

    def __init__(self, api: HttpApi, app: ASGIApp, allow_origins: Iterable[str] = ()) -> None:
        self.api = api
        self.app = app
        self.metrics = api.metrics
        origins = set(allow_origins)
        self.any_origin = "*" in origins
        self.origins = frozenset(o.encode("latin-1") for o in origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD"):
            code = scope["path"][1:]
            if "/" not in code and could_exist(code) and not is_reserved(code):
                await self.redirect(scope, code, send)
                return
        await self.app(scope, receive, send)

    async def redirect(self, scope: Scope, code: str, send: Send) -> None:
        started = time.perf_counter()
        user_agent = referer = forwarded_for = None
        origin: bytes | None = None
        for name, value in scope["headers"]:
            if name == _UA:
                user_agent = value.decode("latin-1")
            elif name == _REFERER:
                referer = value.decode("latin-1")
            elif name == _ORIGIN:
                origin = value
            elif name == _FORWARDED_FOR:
                forwarded_for = value.decode("latin-1")
        client = scope.get("client")
        query: bytes = scope.get("query_string") or b""
        try:
            location = self.api.redirect_location(
                code,
                count=scope["method"] == "GET",
                user_agent=user_agent,
                referer=referer,
                client_ip=self.api.client_ip(client[0] if client else None, forwarded_for),
                query=query.decode("latin-1") if query else "",
            )
        except Exception as exc:
            response = response_for(exc)
            await self.answer(scope, send, response, origin)
            self.metrics.request_served(scope["method"], ROUTE, response.status,
                                        time.perf_counter() - started)
            return
        headers = [(b"location", location.encode("latin-1")), *_REDIRECT_TAIL]
        if origin is not None:
            self.allow(origin, headers)
        await send({"type": "http.response.start", "status": 302, "headers": headers})
        await send(_NO_BODY)
        self.metrics.request_served(scope["method"], ROUTE, 302, time.perf_counter() - started)

    async def answer(self, scope: Scope, send: Send, response: Response, origin: bytes | None
                     ) -> None:
        headers = _encode(response)
        if origin is not None:
            self.allow(origin, headers)
        await send({"type": "http.response.start", "status": response.status,
                    "headers": headers})
        body = b"" if scope["method"] == "HEAD" else response.body
        await send({"type": "http.response.body", "body": body})

    def allow(self, origin: bytes, headers: list[tuple[bytes, bytes]]) -> None:
        """Add the CORS headers for a cross-origin request from ``origin``, if allowed."""
        if self.any_origin:
            headers.append((b"access-control-allow-origin", b"*"))
        elif origin in self.origins:
            headers += [(b"access-control-allow-origin", origin), (b"vary", b"Origin")]
