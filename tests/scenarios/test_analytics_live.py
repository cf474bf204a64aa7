"""Issue 10's "done when" on ``serve --workers 2`` behind a trusted proxy (loopback,
the default): countries,
unique visitors, ranges and hours, the click export, and bad input that changes nothing."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.support import LiveServer, printed_admin_key, wait_for

CHROME = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/120.0.0.0 Safari/537.36")
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"
# 12 clicks from 3 (address, user agent) pairs; the proxy (loopback, trusted by default)
# forwards the client's address.
PAIRS = [("8.8.8.8", CHROME), ("193.0.6.139", CHROME), ("193.0.6.139", FIREFOX)]
CLICKS = 12


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    made = LiveServer(tmp_path_factory.mktemp("analytics") / "lp.db",
                      extra_args=["--workers", "2"])
    yield made
    made.stop()


@pytest.fixture(scope="module")
def key(server: LiveServer) -> dict[str, str]:
    return {"authorization": f"Bearer {printed_admin_key(server)}"}


@pytest.fixture(scope="module")
def code(server: LiveServer, key: dict[str, str]) -> str:
    made = httpx.post(f"{server.base_url}/shorten", json={"url": "https://example.com/"},
                      headers=key)
    code: str = made.json()["code"]
    for i in range(CLICKS):
        ip, ua = PAIRS[i % len(PAIRS)]
        # a new connection each time, so both workers take some
        answer = httpx.get(f"{server.base_url}/{code}",
                           headers={"x-forwarded-for": ip, "user-agent": ua})
        assert answer.status_code == 302
    wait_for(lambda: stats(server, code)["total_clicks"] == CLICKS, timeout=30,
             message="every click counted")
    return code


def stats(server: LiveServer, code: str, **params: str) -> dict[str, Any]:
    answer = httpx.get(f"{server.base_url}/stats/{code}", params=params,
                       headers={"authorization": f"Bearer {printed_admin_key(server)}"})
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def today() -> str:
    return datetime.now(UTC).date().isoformat()


def test_countries_come_from_the_forwarded_address(server: LiveServer, code: str) -> None:
    countries = {c["country"]: c["count"] for c in stats(server, code)["countries"]}
    assert countries == {"US": 4, "NL": 8}
    assert {c["country"] for c in stats(server, code)["recent_clicks"]} == {"US", "NL"}


def test_three_address_and_browser_pairs_are_three_unique_visitors(
        server: LiveServer, code: str) -> None:
    body = stats(server, code)
    assert body["unique_visitors"] == 3
    assert body["clicks_by_day"] == [{"day": today(), "count": CLICKS, "unique_visitors": 3}]
    assert body["range"] == {"from": None, "to": None}


def test_the_last_48_hours_add_up_to_the_total(server: LiveServer, code: str) -> None:
    hours = stats(server, code)["clicks_by_hour"]
    assert sum(h["count"] for h in hours) == CLICKS
    assert [h["hour"] for h in hours] == sorted(h["hour"] for h in hours)


def test_a_past_range_shows_nothing(server: LiveServer, code: str) -> None:
    body = stats(server, code, **{"from": "2020-01-01", "to": "2020-01-31"})
    assert (body["total_clicks"], body["unique_visitors"], body["countries"],
            body["clicks_by_hour"], body["recent_clicks"]) == (0, 0, [], [], [])
    assert body["range"] == {"from": "2020-01-01", "to": "2020-01-31"}


def test_todays_range_shows_every_click_with_its_hours(server: LiveServer, code: str) -> None:
    body = stats(server, code, **{"from": today(), "to": today(), "exclude_bots": "true"})
    assert (body["total_clicks"], body["unique_visitors"]) == (CLICKS, 3)
    assert sum(h["count"] for h in body["clicks_by_hour"]) == CLICKS
    assert {c["country"]: c["count"] for c in body["countries"]} == {"US": 4, "NL": 8}


BAD = [
    {"from": "2026-02-30"},
    {"from": "yesterday"},
    {"from": "2026-1-1"},
    {"from": "2026-03-02", "to": "2026-03-01"},
    {"from": "2024-01-01", "to": "2025-12-31"},
    {"to": "2026-03-01"},
    {"exclude_bots": "true"},
    {"from": "2026-03-01", "exclude_bots": "yes"},
    {"days": "7"},
]


@pytest.mark.parametrize("params", BAD, ids=lambda p: "&".join(f"{k}={v}" for k, v in p.items()))
def test_bad_stats_parameters_are_a_400_and_change_nothing(
        server: LiveServer, code: str, params: dict[str, str]) -> None:
    before = stats(server, code)
    answer = httpx.get(f"{server.base_url}/stats/{code}", params=params,
                       headers={"authorization": f"Bearer {printed_admin_key(server)}"})
    assert answer.status_code == 400
    assert set(answer.json()) == {"error"}
    assert stats(server, code) == before


def export(server: LiveServer, code: str, **params: str) -> httpx.Response:
    return httpx.get(f"{server.base_url}/api/v1/links/{code}/clicks", params=params,
                     headers={"authorization": f"Bearer {printed_admin_key(server)}"})


def test_the_click_export_streams_every_click_anonymised(server: LiveServer, code: str
                                                         ) -> None:
    lines = [json.loads(line) for line in export(server, code).text.splitlines()]
    assert len(lines) == CLICKS
    assert {line["ip"] for line in lines} == {"8.8.8.0", "193.0.6.0"}
    assert {line["country"] for line in lines} == {"US", "NL"}
    assert [line["click_id"] for line in lines] == sorted(line["click_id"] for line in lines)
    rows = list(csv.DictReader(io.StringIO(export(server, code, format="csv").text)))
    assert [r["click_id"] for r in rows] == [line["click_id"] for line in lines]
    yesterday = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
    assert export(server, code, to=yesterday).text == ""


@pytest.mark.parametrize("params", [{"format": "gif"}, {"cursor": "bm90LWEtY3Vyc29y"},
                                    {"from": "2026-13-01"}, {"limit": "5"}])
def test_bad_export_parameters_are_a_400(server: LiveServer, code: str,
                                         params: dict[str, str]) -> None:
    answer = export(server, code, **params)
    assert answer.status_code == 400
    assert set(answer.json()) == {"error"}


def test_an_export_cursor_of_another_link_is_refused(server: LiveServer, code: str) -> None:
    import base64

    other = base64.urlsafe_b64encode(f"zzzzzzz:{'0' * 32}".encode()).decode()
    answer = export(server, code, cursor=other)
    assert answer.status_code == 400
    assert "another link" in answer.json()["error"]


def test_an_unknown_link_has_no_clicks_to_export(server: LiveServer) -> None:
    assert export(server, "nOsuchX").status_code == 404
