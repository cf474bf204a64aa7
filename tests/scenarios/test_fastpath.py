"""The redirect fast path: HttpApi's redirect response, CORS for allowed origins, one
click per GET (none per HEAD)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from linkpulse import bootstrap
from linkpulse.core import service
from linkpulse.core.models import Link
from linkpulse.settings import Settings
from linkpulse.web.app import create_app

# (method, path, headers): a link, an expired link, an unknown code, each with and
# without an allowed and a foreign origin.
ORIGINS = [{}, {"origin": "https://demo.example"}, {"origin": "https://evil.example"}]
REQUESTS = [
    (method, path, {"user-agent": "curl/8.5.0", "referer": "https://r.example/", **origin})
    for method in ("GET", "HEAD")
    for path in ("/abc1234", "/expired", "/zzzzzzz")
    for origin in ORIGINS
]


def _call(app: Any, method: str, path: str, headers: dict[str, str]) -> httpx.Response:
    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, client=("198.51.100.7", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            return await c.request(method, path, headers=headers)

    return asyncio.run(call())


@pytest.fixture(params=["*", "https://demo.example"], ids=["any-origin", "one-origin"])
def apps(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    settings = Settings.from_env({}, db=tmp_path / "fp.db", click_flush_ms=0,
                                 cors_origins=request.param)
    components = bootstrap.build(settings)
    service.shorten(components.links, "https://example.org/x?q=1", alias="abc1234")
    components.links.create_if_absent(
        Link("expired", "https://example.org/old", "https://example.org/old", 1, 2))
    fast = create_app(components=components)
    yield fast, components
    components.close()


def _expected(api: Any, method: str, path: str, headers: dict[str, str], allowed: str
              ) -> tuple[int, list[tuple[str, str]], bytes]:
    """What the fast path must send: HttpApi's response (the edge-neutral behaviour) with
    its content length, plus the CORS headers for an allowed origin."""
    response = api.redirect(path[1:], count=False, user_agent=None, referer=None,
                            client_ip=None)
    out = [*response.headers.items(), ("content-length", str(len(response.body)))]
    origin = headers.get("origin")
    if origin is not None and allowed == "*":
        out.append(("access-control-allow-origin", "*"))
    elif origin is not None and origin == allowed:
        out += [("access-control-allow-origin", origin), ("vary", "Origin")]
    return response.status, out, b"" if method == "HEAD" else response.body


@pytest.mark.parametrize(("method", "path", "headers"), REQUESTS,
                         ids=[f"{m} {p} {h.get('origin', '-')}" for m, p, h in REQUESTS])
def test_fast_path_sends_the_api_response_with_cors(
    apps: Any, method: str, path: str, headers: dict[str, str],
) -> None:
    fast, components = apps
    got = _call(fast, method, path, headers)
    status, want_headers, body = _expected(fast.api, method, path, headers,
                                           components.settings.cors_origins)
    assert (got.status_code, got.headers.multi_items(), got.content) == (
        status, want_headers, body)
    if path == "/abc1234":
        assert status == 302
        assert dict(want_headers)["location"] == "https://example.org/x?q=1"


def test_fast_path_queues_one_click_per_get_and_none_per_head(apps: Any) -> None:
    fast, components = apps
    before = components.queue.approximate_depth()[0]
    _call(fast, "HEAD", "/abc1234", {})
    assert components.queue.approximate_depth()[0] == before
    started = time.time()
    _call(fast, "GET", "/abc1234", {"user-agent": "curl/8.5.0"})
    [message] = components.queue.receive(10)
    from linkpulse.core.clicks import decode_event

    event = decode_event(message.body)
    assert (event.code, event.user_agent, event.ip) == ("abc1234", "curl/8.5.0", "198.51.100.0")
    assert started <= event.timestamp <= time.time()
