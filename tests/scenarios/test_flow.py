"""The v1 API end to end: shorten, redirect, count, stats."""

from __future__ import annotations

import re
import time

from tests.scenarios.conftest import Client
from tests.support import wait_for

CODE = re.compile(r"[0-9A-Za-z]{7}")


def test_shorten_answers_201_with_code_short_url_and_original_url(client: Client) -> None:
    reply = client.shorten("https://example.com/some/long/path?q=1")
    assert reply.status == 201
    body = reply.json()
    assert CODE.fullmatch(body["code"])
    assert body["short_url"].endswith(f"/{body['code']}")
    assert body["short_url"].startswith(("http://", "https://"))
    assert body["original_url"] == "https://example.com/some/long/path?q=1"
    assert abs(body["created_at"] - time.time()) < 120


def test_redirect_is_a_302_to_the_url_and_never_cached(client: Client) -> None:
    code = client.new_code("https://example.org/target")
    reply = client.follow(code)
    assert reply.status == 302
    assert reply.headers["location"] == "https://example.org/target"
    assert reply.headers["cache-control"] == "no-cache, no-store"


def test_ten_redirects_show_exactly_ten_clicks(client: Client) -> None:
    code = client.new_code()
    for _ in range(10):
        assert client.follow(code).status == 302
    stats = client.wait_for_clicks(code, 10)
    assert stats["recent_clicks_shown"] == len(stats["recent_clicks"]) == 10
    assert sum(d["count"] for d in stats["clicks_by_day"]) == 10


def test_stats_has_the_v1_fields_over_every_click(client: Client) -> None:
    code = client.new_code("https://example.net/")
    chrome = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
              "(KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36")
    for i in range(6):
        client.follow(code, **{"user-agent": chrome, "referer": "https://news.example/"})
        if i % 2:
            client.follow(code, **{"user-agent": "curl/8.5.0"})
    stats = client.wait_for_clicks(code, 9)
    assert stats["code"] == code
    assert stats["original_url"] == "https://example.net/"
    assert isinstance(stats["created_at"], int)
    assert stats["top_user_agents"] == [{"user_agent": chrome, "count": 6},
                                        {"user_agent": "curl/8.5.0", "count": 3}]
    assert stats["top_referers"] == [{"referer": "https://news.example/", "count": 6},
                                     {"referer": "", "count": 3}]
    assert stats["bot_clicks"] == 3
    assert stats["human_clicks"] == 6
    assert {"name": "Chrome", "count": 6} in stats["browsers"]
    assert {"name": "desktop", "count": 6} in stats["devices"]
    assert {"name": "Windows", "count": 6} in stats["os"]


def test_recent_clicks_are_most_recent_first_with_anonymised_ips(client: Client) -> None:
    code = client.new_code()
    for i in range(12):
        client.follow(code, **{"user-agent": f"agent-{i:02d}"})
    stats = client.wait_for_clicks(code, 12)
    recent = stats["recent_clicks"]
    assert [c["user_agent"] for c in recent] == [f"agent-{i:02d}" for i in range(11, 1, -1)]
    assert all(c["ip"] in ("", "127.0.0.0") or c["ip"].endswith(".0") or "::" in c["ip"]
               for c in recent)
    assert all(c["ip"] != "127.0.0.1" for c in recent)


def test_head_redirects_without_counting_a_click(client: Client) -> None:
    code = client.new_code("https://example.com/head")
    for _ in range(3):
        reply = client.request("HEAD", f"/{code}")
        assert reply.status == 302
        assert reply.headers["location"] == "https://example.com/head"
        assert reply.body == b""
    client.follow(code)
    stats = client.wait_for_clicks(code, 1)
    assert stats["recent_clicks_shown"] == 1


def test_unknown_code_is_404_json(client: Client) -> None:
    reply = client.follow("zzzzzzz")
    assert reply.status == 404
    assert reply.json() == {"error": "Short URL not found"}


def test_codes_that_cannot_exist_are_404(client: Client) -> None:
    for path in ("/bad%20code", "/" + "a" * 33, "/semi;colon", "/%C3%A9t%C3%A9"):
        reply = client.request("GET", path)
        assert reply.status == 404, path
        assert reply.json() == {"error": "Short URL not found"}


def test_stats_of_unknown_code_is_404_json(client: Client) -> None:
    reply = client.stats("nothing")
    assert reply.status == 404
    assert reply.json() == {"error": "Short URL not found"}


def test_custom_alias_is_used_and_cannot_be_taken_twice(client: Client) -> None:
    alias = f"launch-{int(time.time() * 1000) % 10**9}"
    first = client.shorten("https://example.com/a", alias=alias)
    assert first.status == 201
    assert first.json()["code"] == alias
    again = client.shorten("https://example.com/b", alias=alias)
    assert again.status == 409
    assert "taken" in again.json()["error"]
    assert client.follow(alias).headers["location"] == "https://example.com/a"


def test_reserved_words_are_refused_as_aliases(client: Client) -> None:
    for word in ("shorten", "stats", "healthz", "api", "static", "Stats"):
        reply = client.shorten("https://example.com/", alias=word)
        assert reply.status == 400, word
        assert "reserved" in reply.json()["error"]


def test_expired_link_stops_redirecting(client: Client) -> None:
    reply = client.shorten("https://example.com/soon", expires_at=int(time.time()) + 2)
    assert reply.status == 201
    code = reply.json()["code"]
    assert client.follow(code).status == 302
    gone = wait_for(lambda: (r := client.follow(code)).status == 410 and r, timeout=10,
                    message="link to expire")
    assert gone.json() == {"error": "Short URL has expired"}
    assert client.stats(code).status == 200


def test_idn_host_is_accepted_and_redirects_in_ascii(client: Client) -> None:
    reply = client.shorten("https://bücher.example/straße?q=ü")
    assert reply.status == 201
    assert reply.json()["original_url"] == "https://bücher.example/straße?q=ü"
    location = client.follow(reply.json()["code"]).headers["location"]
    assert location == "https://xn--bcher-kva.example/stra%C3%9Fe?q=%C3%BC"


def test_cors_preflight_and_simple_requests_are_answered(client: Client) -> None:
    pre = client.request("OPTIONS", "/shorten", headers={
        "origin": "https://demo.example", "access-control-request-method": "POST",
        "access-control-request-headers": "content-type"})
    assert pre.status in (200, 204)
    assert pre.headers["access-control-allow-origin"] in ("*", "https://demo.example")
    assert "POST" in pre.headers["access-control-allow-methods"]
    code = client.new_code()
    reply = client.request("GET", f"/stats/{code}", headers={"origin": "https://demo.example"})
    assert reply.headers["access-control-allow-origin"] in ("*", "https://demo.example")


def test_health_endpoint_answers(client: Client) -> None:
    reply = client.request("GET", "/healthz")
    assert reply.status == 200
    assert reply.json()["status"] == "ok"
