"""Bad input gets a clear 4xx JSON error, never a 5xx, and changes nothing."""

from __future__ import annotations

import itertools
import json

import pytest

from tests.scenarios.conftest import Client

_alias_numbers = itertools.count()

# (case id, JSON body or raw bytes, expected status). Every JSON case carries a fresh
# valid alias, so "nothing stored" is checked through the API: the alias stays free.
BAD_REQUESTS: list[tuple[str, object, int]] = [
    ("not json", b'{"url": ', 400),
    ("empty body", b"", 400),
    ("invalid utf-8", b'{"url": "https://ex\xff.com"}', 400),
    ("json array", ["https://example.com"], 400),
    ("json string", "https://example.com", 400),
    ("missing url", {}, 400),
    ("url null", {"url": None}, 400),
    ("url number", {"url": 42}, 400),
    ("url list", {"url": ["https://example.com"]}, 400),
    ("url empty", {"url": ""}, 400),
    ("javascript scheme", {"url": "javascript:alert(1)"}, 400),
    ("data scheme", {"url": "data:text/html,<script>alert(1)</script>"}, 400),
    ("file scheme", {"url": "file:///etc/passwd"}, 400),
    ("ftp scheme", {"url": "ftp://example.com/file"}, 400),
    ("no scheme", {"url": "example.com/path"}, 400),
    ("relative", {"url": "/just/a/path"}, 400),
    ("no host", {"url": "https:///path"}, 400),
    ("header injection", {"url": "https://example.com/\r\nSet-Cookie: a=b"}, 400),
    ("space", {"url": "https://exa mple.com/"}, 400),
    ("tab", {"url": "https://example.com/\tx"}, 400),
    ("nul", {"url": "https://example.com/\u0000"}, 400),
    ("credentials", {"url": "https://user:pw@example.com/"}, 400),
    ("bad port", {"url": "https://example.com:99999/"}, 400),
    ("too long", {"url": "https://example.com/" + "a" * 3000}, 400),
    ("alias number", {"url": "https://example.com/", "alias": 7}, 400),
    ("alias too short", {"url": "https://example.com/", "alias": "ab"}, 400),
    ("alias bad chars", {"url": "https://example.com/", "alias": "a/b<c>"}, 400),
    ("alias too long", {"url": "https://example.com/", "alias": "x" * 33}, 400),
    ("alias reserved", {"url": "https://example.com/", "alias": "openapi"}, 400),
    ("unknown field", {"url": "https://example.com/", "title": "x"}, 400),
    ("expiry in past", {"url": "https://example.com/", "expires_at": 1}, 400),
    ("expiry string", {"url": "https://example.com/", "expires_at": "tomorrow"}, 400),
    ("expiry bool", {"url": "https://example.com/", "expires_at": True}, 400),
    ("huge body", {"url": "https://example.com/", "pad": "x" * 1_000_000}, 413),
]


@pytest.mark.parametrize(("body", "status"), [(b, s) for _, b, s in BAD_REQUESTS],
                         ids=[case for case, _, _ in BAD_REQUESTS])
def test_bad_shorten_request_is_a_4xx_json_error_and_stores_nothing(
    client: Client, body: object, status: int
) -> None:
    alias = None
    if isinstance(body, dict):
        if "alias" not in body:
            alias = f"probe{next(_alias_numbers)}x{id(client) % 10_000}"
            body = {**body, "alias": alias}
        raw = json.dumps(body).encode()
    elif isinstance(body, bytes):
        raw = body
    else:
        raw = json.dumps(body).encode()
    reply = client.request("POST", "/shorten", body=raw,
                           headers={"content-type": "application/json"})
    assert reply.status == status
    error = reply.json()["error"]
    assert isinstance(error, str)
    assert error
    if alias is not None:
        assert client.follow(alias).status == 404


def test_unknown_route_is_json_404(client: Client) -> None:
    reply = client.request("GET", "/no/such/route")
    assert reply.status == 404
    assert "error" in reply.json()


def test_wrong_method_is_json_405(client: Client) -> None:
    for method, path in (("DELETE", "/shorten"), ("PUT", "/shorten"), ("PUT", "/stats/abc")):
        reply = client.request(method, path)
        assert reply.status == 405, (method, path)
        assert "error" in reply.json()
        assert reply.headers["allow"] == ("GET" if path.startswith("/stats") else "POST")


def test_openapi_document_describes_the_v1_api(client: Client) -> None:
    reply = client.request("GET", "/openapi.json")
    assert reply.status == 200
    paths = reply.json()["paths"]
    assert "post" in paths["/shorten"]
    assert "get" in paths["/stats/{code}"]
    assert "get" in paths["/{code}"]
