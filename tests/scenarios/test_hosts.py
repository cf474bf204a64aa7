"""The ASGI server answers only for its own hosts: a foreign Host is a 400 that stores
nothing, never reflected in ``short_url`` or a redirect (issue 12, item 6; the Lambda
edge: tests/aws/test_handlers.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.scenarios.conftest import raw_http
from tests.support import LiveServer

BODY = json.dumps({"url": "https://example.com/hosts"}).encode()
JSON = [("Content-Type", "application/json")]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = LiveServer(tmp_path_factory.mktemp("hosts") / "hosts.db", open=True)
    yield live
    live.stop()


@pytest.mark.parametrize("host", ["evil.example", "127.0.0.1.evil.example", "localhost.",
                                  "[::2]", "evil.example:8000"])
def test_a_foreign_host_is_refused_and_not_reflected(server: LiveServer, host: str) -> None:
    for method, path, body in (("POST", "/shorten", BODY), ("GET", "/stats/abcdefg", b""),
                               ("GET", "/healthz", b""), ("GET", "/shorten/", b"")):
        reply = raw_http("127.0.0.1", server.port, method, path, [("Host", host), *JSON], body)
        assert reply.status == 400, (method, path, reply)
        assert json.loads(reply.body) == {"error": "unknown host"}
        assert host.encode() not in reply.body


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "LOCALHOST", "[::1]"])
def test_the_servers_own_hosts_are_answered(server: LiveServer, host: str) -> None:
    reply = raw_http("127.0.0.1", server.port, "POST", "/shorten",
                     [("Host", f"{host}:{server.port}"), *JSON], BODY)
    assert reply.status == 201
    short_url = json.loads(reply.body)["short_url"]
    assert short_url.lower().startswith(f"http://{host.lower()}:{server.port}/")


def test_a_redirect_uses_nothing_of_the_host(server: LiveServer) -> None:
    """Redirects are answered before the host check (the fast path): the Location is
    the stored link's, whatever the Host says."""
    created = raw_http("127.0.0.1", server.port, "POST", "/shorten", JSON, BODY)
    code = json.loads(created.body)["code"]
    reply = raw_http("127.0.0.1", server.port, "GET", f"/{code}",
                     [("Host", "evil.example")], b"")
    assert reply.status == 302
    assert reply.headers["location"] == "https://example.com/hosts"


def test_two_host_headers_are_refused(server: LiveServer) -> None:
    reply = raw_http("127.0.0.1", server.port, "GET", "/healthz",
                     [("Host", "127.0.0.1"), ("Host", "evil.example")], b"")
    assert reply.status == 400


def test_base_url_and_allowed_hosts_settings(tmp_path: Path) -> None:
    live = LiveServer(tmp_path / "base.db", base_url="https://lp.example", open=True,
                      allowed_hosts="lp.example,lp-internal,127.0.0.1")
    try:
        for host in ("lp.example", "lp-internal:8080"):
            reply = raw_http("127.0.0.1", live.port, "POST", "/shorten",
                             [("Host", host), *JSON], BODY)
            assert reply.status == 201, reply
            assert json.loads(reply.body)["short_url"].startswith("https://lp.example/")
        refused = raw_http("127.0.0.1", live.port, "GET", "/healthz",
                           [("Host", "localhost")], b"")  # listed hosts replace the defaults
        assert refused.status == 400
    finally:
        live.stop()


def test_forwarded_proto_is_only_http_or_https(server: LiveServer) -> None:
    """The test client is on loopback, a trusted proxy by default: its
    X-Forwarded-Proto picks the scheme, but only ever http or https."""
    for proto, scheme in (("javascript:alert(1)//", "http"), ("https", "https")):
        reply = raw_http("127.0.0.1", server.port, "POST", "/shorten",
                         [("X-Forwarded-Proto", proto), *JSON], BODY)
        assert reply.status == 201
        assert json.loads(reply.body)["short_url"].startswith(f"{scheme}://127.0.0.1:")
