"""Hostile requests, on every edge: no answer is a 5xx, and a refused request changes
nothing (no link stored, no click counted).

Each case is sent as given (a raw socket for the ASGI server, an API Gateway event for
the Lambda handlers), so malformed headers, paths and methods reach the server instead
of being refused by the test's own HTTP client.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest

from tests.scenarios.conftest import Client

JSON = [("Content-Type", "application/json")]


@dataclass(frozen=True)
class Case:
    id: str
    method: str
    path: str
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=lambda: list(JSON))


def shorten(case_id: str, body: object, *headers: tuple[str, str]) -> Case:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Case(case_id, "POST", "/shorten", raw, [*JSON, *headers])


def url(case_id: str, target: str) -> Case:
    return shorten(case_id, {"url": target})


CASES = [
    # --- bodies: JSON that no store or answer can hold
    shorten("lone surrogate in url", b'{"url": "https://example.com/\\ud800"}'),
    shorten("lone surrogate in alias", b'{"url": "https://e.example/", "alias": "a\\udfff1"}'),
    shorten("expires_at NaN", b'{"url": "https://example.com/", "expires_at": NaN}'),
    shorten("expires_at Infinity", b'{"url": "https://example.com/", "expires_at": Infinity}'),
    shorten("expires_at -Infinity", b'{"url": "https://example.com/", "expires_at": -Infinity}'),
    shorten("expires_at 1e999", b'{"url": "https://example.com/", "expires_at": 1e999}'),
    shorten("expires_at 10**400", b'{"url": "https://example.com/", "expires_at": 1'
            + b"0" * 400 + b"}"),
    shorten("expires_at 5000 digits", b'{"url": "https://example.com/", "expires_at": 1'
            + b"0" * 5000 + b"}"),
    shorten("nested arrays", b"[" * 5000),
    shorten("nested in object", b'{"url": ' + b"[" * 5000 + b"]" * 5000 + b"}"),
    shorten("nested objects", b'{"a":' * 2000 + b"1" + b"}" * 2000),
    shorten("utf-16 body", '{"url": "https://example.com/"}'.encode("utf-16")),
    shorten("nul bytes", b'{"url": "https://example.com/"}\x00\x00'),
    shorten("trailing garbage", b'{"url": "https://example.com/"} {"url": 1}'),
    shorten("url object", {"url": {"href": "https://example.com/"}}),
    shorten("url true", {"url": True}),
    shorten("alias object", {"url": "https://example.com/", "alias": {"$ne": 1}}),
    shorten("expires_at object", {"url": "https://example.com/", "expires_at": {"a": 1}}),
    shorten("form encoded", b"url=https%3A%2F%2Fexample.com%2F",
            ("Content-Type", "application/x-www-form-urlencoded")),
    shorten("latin-1 body", b'{"url": "https://example.com/\xe9"}'),
    # --- destinations the URL policy refuses
    url("backslash authority", "https://evil.com\\.example.com/"),
    url("backslash userinfo", "https://evil.com\\@example.com/"),
    url("metadata ip", "http://169.254.169.254/latest/meta-data/"),
    url("metadata hex", "http://0xa9fea9fe/"),
    url("loopback decimal", "http://2130706433/"),
    url("loopback hex short", "http://0x7f.1/"),
    url("loopback octal", "http://0177.0.0.1/"),
    url("loopback ipv6", "http://[::1]:8000/"),
    url("mapped loopback", "http://[::ffff:127.0.0.1]/"),
    url("private 10/8", "http://10.0.0.1/admin"),
    url("private 192.168", "http://192.168.0.1/"),
    url("cgnat", "http://100.64.0.1/"),
    url("localhost", "http://localhost:8000/"),
    url("fullwidth loopback", "http://\uff11\uff12\uff17.\uff10.\uff10.\uff11/"),
    url("percent in host", "http://127.0.0.1%2e/"),
    url("gcp metadata name", "http://metadata.google.internal/computeMetadata/v1/"),
    url("24 KB location", "https://example.com/" + "é" * 2000),
    url("astral location over 2 KB", "https://example.com/" + "\U0001F600" * 600),
    # --- paths
    Case("nul in path", "GET", "/%00"),
    Case("traversal", "GET", "/..%2f..%2fetc%2fpasswd"),
    Case("dot segments", "GET", "/stats/../shorten"),
    Case("static traversal", "GET", "/static/..%2f..%2f..%2fetc%2fpasswd"),
    Case("invalid utf-8 code", "GET", "/stats/%ff%fe"),
    Case("emoji code", "GET", "/%F0%9F%98%80"),
    Case("rtl override", "GET", "/%E2%80%AEabc"),
    Case("script in code", "GET", "/stats/%3Cscript%3Ealert(1)%3C%2Fscript%3E"),
    Case("long path", "GET", "/" + "a" * 6000),
    Case("long query", "GET", "/abcdefg?" + "x=1&" * 1500),
    Case("bad query escapes", "GET", "/abcdefg?q=%zz%ff"),
    Case("double slash", "POST", "//shorten", b'{"url": "https://example.com/"}'),
    Case("trailing slash", "GET", "/stats/abc/"),
    Case("empty stats code", "GET", "/stats/"),
    Case("deep path", "GET", "/a/b/c/d/e/f/g"),
    # --- hosts and headers
    Case("host with bad ipv6", "GET", "/stats/abcdefg", headers=[("Host", "[")]),
    Case("host with spaces", "GET", "/healthz", headers=[("Host", "a b")]),
    Case("host 2 KB", "GET", "/healthz", headers=[("Host", "h" * 2000 + ".example")]),
    Case("two hosts", "GET", "/stats/abcdefg",
         headers=[("Host", "a.example"), ("Host", "b.example")]),
    Case("forwarded proto script", "GET", "/stats/abcdefg",
         headers=[("X-Forwarded-Proto", "javascript:alert(1)//")]),
    Case("forwarded for garbage", "GET", "/abcdefg",
         headers=[("X-Forwarded-For", "not-an-ip, ::::, 999.1.1.1")]),
    Case("latin-1 user agent", "GET", "/abcdefg", headers=[("User-Agent", "Mozilla/\xff\xfe")]),
    Case("utf-8 referer", "GET", "/abcdefg", headers=[("Referer", "https://ré.example/\u2028")]),
    Case("content-type garbage", "POST", "/shorten", b'{"url": "javascript:1"}',
         [("Content-Type", "application/json; charset=klingon")]),
    Case("negative content-length", "POST", "/shorten", b"",
         [("Content-Type", "application/json"), ("Content-Length", "-1")]),
    Case("huge content-length", "POST", "/shorten", b"",
         [("Content-Type", "application/json"), ("Content-Length", "99999999999999999999")]),
    Case("origin null preflight", "OPTIONS", "/shorten",
         headers=[("Origin", "null"), ("Access-Control-Request-Method", "DELETE"),
                  ("Access-Control-Request-Headers", "x-evil," * 200)]),
    Case("origin evil simple", "POST", "/shorten", b'{"url": "ftp://x"}',
         [*JSON, ("Origin", "https://evil.example")]),
    Case("many headers", "GET", "/healthz", headers=[(f"X-H{i}", "v") for i in range(90)]),
    # --- methods
    Case("delete shorten", "DELETE", "/shorten"),
    Case("put code", "PUT", "/abcdefg", b"{}"),
    Case("patch stats", "PATCH", "/stats/abcdefg", b"{}"),
    Case("post to a code", "POST", "/abcdefg", b'{"url": "https://example.com/"}'),
    Case("post to stats", "POST", "/stats/abcdefg", b'{"url": "https://example.com/"}'),
    Case("trace", "TRACE", "/"),
    Case("unknown method", "FOO", "/shorten"),
    Case("options without preflight", "OPTIONS", "/shorten"),
    Case("head shorten", "HEAD", "/shorten"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_request_is_never_a_5xx_and_a_refusal_changes_nothing(
    client: Client, case: Case
) -> None:
    target = client.target
    canary = _canary(client)
    links = target.links_count()
    reply = target.raw_request(case.method, case.path, case.headers, case.body)
    assert reply.status < 500, (reply.status, reply.body[:300])
    if reply.status == 0 or reply.status >= 400:
        assert target.links_count() == links
        assert client.stats(canary).json()["total_clicks"] == 0
    if reply.headers.get("content-type", "").startswith("application/json"):
        assert reply.headers.get("x-content-type-options") == "nosniff"


def test_the_table_covers_sixty_hostile_requests() -> None:
    assert len(CASES) >= 60


_canaries: dict[str, str] = {}


def _canary(client: Client) -> str:
    """A link no case may click (its code is never requested)."""
    name = client.target.name
    if name not in _canaries:
        _canaries[name] = client.new_code("https://example.com/canary")
    return _canaries[name]
