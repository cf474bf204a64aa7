"""Issue 10's "done when" figures on every target: the same countries, unique visitors,
ranges and hours from ``serve`` on SQLite, ``serve --backend aws`` and the Lambda
handlers, on DynamoDB + SQS (moto). The client's address reaches the edge the way each
one trusts: ``X-Forwarded-For`` from the loopback proxy (serve), API Gateway's
``sourceIp`` (Lambda)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.scenarios.conftest import Client, Target

CHROME = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/120.0.0.0 Safari/537.36")
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"
PAIRS = [("8.8.8.8", CHROME), ("193.0.6.139", CHROME), ("193.0.6.139", FIREFOX)]
"""12 clicks from these 3 (address, user agent) pairs: 3 visitors, 4 from the US and 8
from the Netherlands."""
CLICKS = 12


@pytest.fixture(scope="module")
def clicked(target: Target) -> str:
    """A link with 12 clicks from 3 visitors, all counted."""
    client = Client(target)
    code = client.new_code()
    for i in range(CLICKS):
        ip, ua = PAIRS[i % len(PAIRS)]
        assert client.follow(code, client_ip=ip, **{"user-agent": ua}).status == 302
    client.wait_for_clicks(code, CLICKS, timeout=30)
    return code


def stats(client: Client, code: str, query: str = "") -> dict[str, Any]:
    reply = client.request("GET", f"/stats/{code}{query}")
    assert reply.status == 200, reply
    return dict(reply.json())


def today() -> str:
    return datetime.now(UTC).date().isoformat()


def test_countries_come_from_the_clients_address(client: Client, clicked: str) -> None:
    body = stats(client, clicked)
    assert {c["country"]: c["count"] for c in body["countries"]} == {"US": 4, "NL": 8}
    assert {c["country"] for c in body["recent_clicks"]} == {"US", "NL"}


def test_three_address_and_browser_pairs_are_three_unique_visitors(
        client: Client, clicked: str) -> None:
    body = stats(client, clicked)
    assert body["unique_visitors"] == 3
    assert body["clicks_by_day"] == [{"day": today(), "count": CLICKS, "unique_visitors": 3}]


def test_the_last_48_hours_add_up_to_the_total(client: Client, clicked: str) -> None:
    hours = stats(client, clicked)["clicks_by_hour"]
    assert sum(h["count"] for h in hours) == CLICKS


def test_a_past_range_shows_nothing(client: Client, clicked: str) -> None:
    body = stats(client, clicked, "?from=2020-01-01&to=2020-01-31")
    assert (body["total_clicks"], body["unique_visitors"], body["countries"],
            body["clicks_by_hour"], body["recent_clicks"]) == (0, 0, [], [], [])


def test_todays_range_shows_every_click_with_its_hours(client: Client, clicked: str) -> None:
    body = stats(client, clicked, f"?from={today()}&to={today()}&exclude_bots=true")
    assert (body["total_clicks"], body["unique_visitors"]) == (CLICKS, 3)
    assert sum(h["count"] for h in body["clicks_by_hour"]) == CLICKS
    assert {c["country"]: c["count"] for c in body["countries"]} == {"US": 4, "NL": 8}


def test_the_click_export_has_every_click_with_its_country(
        client: Client, target: Target, clicked: str) -> None:
    admin = target.key(f"export-{uuid.uuid4().hex[:8]}", admin=True)
    reply = client.request("GET", f"/api/v1/links/{clicked}/clicks",
                           headers={"authorization": f"Bearer {admin}"})
    assert reply.status == 200, reply
    lines = [json.loads(line) for line in reply.body.decode().splitlines()]
    assert len(lines) == CLICKS
    assert {line["ip"] for line in lines} == {"8.8.8.0", "193.0.6.0"}
    assert {line["country"] for line in lines} == {"US", "NL"}
