"""The Lambda edge answers exactly like the ASGI app: same status, headers and body.

Both edges run in this process on the same aws components, so any difference is the
edge's own. Headers only a server adds (content-length, date, server) are left out.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from linkpulse.core import keys, service
from linkpulse.core.models import ApiKey
from tests.lambda_target import LambdaEdge

SERVER_HEADERS = {"content-length", "date", "server"}
ORIGIN = {"origin": "https://demo.example"}
JSON = {"content-type": "application/json"}
PREFLIGHT = {**ORIGIN, "access-control-request-method": "POST",
             "access-control-request-headers": "content-type"}

SECRETS = {name: f"lp_{i:08x}_{'k' * 43}" for i, name in enumerate(("admin", "user", "reader"))}
ADMIN = {"authorization": f"Bearer {SECRETS['admin']}"}
USER = {"x-api-key": SECRETS["user"]}
READER = {"authorization": f"Bearer {SECRETS['reader']}", **JSON}

# (method, path, body, headers); "taken" is an alias that exists, "abc1234" is a link.
REQUESTS: list[tuple[str, str, bytes | None, dict[str, str]]] = [
    ("GET", "/abc1234", None, {"user-agent": "curl/8.5.0"}),
    ("GET", "/abc1234", None, ORIGIN),
    ("GET", "/zzzzzzz", None, {}),
    ("GET", "/bad%20code", None, ORIGIN),
    ("GET", "/stats/abc1234", None, ORIGIN),
    ("GET", "/stats/abc1234", None, {}),
    ("GET", "/stats/nothing", None, {}),
    ("POST", "/shorten", b'{"url": ', {**JSON, **ORIGIN}),
    ("POST", "/shorten", b"", JSON),
    ("POST", "/shorten", b'{"url": "https://ex\xff.com"}', JSON),
    ("POST", "/shorten", b'{"url": "javascript:alert(1)"}', JSON),
    ("POST", "/shorten", json.dumps({"url": "https://e.example/", "alias": "taken"}).encode(),
     {**JSON, **ORIGIN}),
    ("POST", "/shorten", json.dumps({"url": "https://e.example/", "pad": "x" * 40_000}
                                    ).encode(), JSON),
    ("PUT", "/shorten", None, {}),
    ("DELETE", "/api/v1/links", None, ADMIN),
    ("OPTIONS", "/shorten", None, PREFLIGHT),
    ("OPTIONS", "/shorten", None, {**PREFLIGHT, "access-control-request-headers": "x-evil"}),
    ("OPTIONS", "/stats/abc1234", None, {**ORIGIN, "access-control-request-method": "GET"}),
    # The management API (keys made in the fixture; the two links have no owner).
    ("GET", "/api/v1/links", None, ORIGIN),
    ("GET", "/api/v1/links", None, {"authorization": "Bearer lp_00000000_nope"}),
    ("GET", "/api/v1/links", None, USER),
    ("GET", "/api/v1/links?order=clicks", None, {**ADMIN, **ORIGIN}),
    ("GET", "/api/v1/links?cursor=bad", None, ADMIN),
    ("GET", "/api/v1/links?colour=red", None, ADMIN),
    ("GET", "/api/v1/links/abc1234", None, ADMIN),
    ("GET", "/api/v1/links/abc1234", None, USER),
    ("PATCH", "/api/v1/links/abc1234", b'{"title": "same"}', {**ADMIN, **JSON}),
    ("PATCH", "/api/v1/links/abc1234", b'{"owner": "me"}', {**ADMIN, **JSON}),
    ("DELETE", "/api/v1/links/nothing", None, ADMIN),
    ("POST", "/api/v1/links", json.dumps({"url": "https://e.example/", "alias": "taken"}
                                         ).encode(), {**USER, **JSON}),
    ("POST", "/api/v1/links", b'{"url": "https://e.example/"}', READER),
    ("GET", "/api/v1/keys", None, USER),
    ("POST", "/api/v1/keys", b'{"name": "no spaces please"}', {**ADMIN, **JSON}),
    ("DELETE", "/api/v1/keys/nobody", None, ADMIN),
    ("OPTIONS", "/api/v1/links", None, {**ORIGIN, "access-control-request-method": "PATCH",
                                        "access-control-request-headers": "authorization"}),
]


class AsgiEdge:
    """The ASGI app called in this process (httpx's ASGI transport)."""

    def __init__(self, app: Any) -> None:
        self.transport = httpx.ASGITransport(app=app, client=("198.51.100.7", 50000))

    def request(self, method: str, path: str, *, content: bytes | None,
                headers: dict[str, str]) -> httpx.Response:
        async def call() -> httpx.Response:
            async with httpx.AsyncClient(transport=self.transport,
                                         base_url="http://testserver") as client:
                response = await client.request(method, path, content=content,
                                                headers=headers)
                await response.aread()
                return response

        return asyncio.run(call())


@pytest.fixture
def edges(components: Any) -> tuple[AsgiEdge, LambdaEdge]:
    from linkpulse.web.app import create_app

    service.shorten(components.links, "https://example.org/x", alias="abc1234", now=1e9)
    service.shorten(components.links, "https://example.org/t", alias="taken", now=1e9 + 1)
    scopes = {"admin": {"admin"}, "user": keys.DEFAULT_SCOPES, "reader": {"links:read"}}
    for i, (name, secret) in enumerate(SECRETS.items()):
        components.keys.add_key(ApiKey(f"{i:08x}", name, keys.hash_key(secret),
                                       frozenset(scopes[name]), 1_700_000_000))
    # httpx's ASGI transport calls the app "testserver": a host it must answer for
    components.settings = components.settings.replace(allowed_hosts="testserver")
    asgi = AsgiEdge(create_app(components=components))
    return asgi, LambdaEdge(host="testserver", scheme="http", source_ip="198.51.100.7")


@pytest.mark.parametrize(("method", "path", "body", "headers"), REQUESTS,
                         ids=[f"{m} {p} {sorted(h)}" for m, p, _, h in REQUESTS])
def test_lambda_edge_answers_like_the_asgi_app(
    edges: tuple[AsgiEdge, LambdaEdge], method: str, path: str, body: bytes | None,
    headers: dict[str, str],
) -> None:
    asgi, edge = edges
    want = asgi.request(method, path, content=body, headers=headers)
    status, got_headers, got_body = edge.request(method, path, body=body, headers=headers)
    assert status == want.status_code
    assert got_body == want.content
    expected = {k.lower(): v for k, v in want.headers.items() if k.lower() not in SERVER_HEADERS}
    assert got_headers == expected
