"""The live click stream on `linkpulse serve --workers 2`: events come from what the
consumer recorded, so a stream on either worker sees a click whichever worker served
its redirect; keys follow their own links; streams are bounded and a closed one frees
its place."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.sse import SseStream
from tests.support import LiveServer, printed_admin_key, wait_for

CHROME = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/126.0 Safari/537.36")
LATENCY_BOUND = 2.0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    db = tmp_path_factory.mktemp("events") / "events.db"
    server = LiveServer(db, extra_args=["--workers", "2"])
    yield server
    server.stop()


@pytest.fixture(scope="module")
def admin(server: LiveServer) -> dict[str, str]:
    return {"authorization": f"Bearer {printed_admin_key(server)}"}


def new_key(server: LiveServer, admin: dict[str, str], name: str) -> dict[str, str]:
    made = httpx.post(f"{server.base_url}/api/v1/keys", headers=admin, json={
        "name": name, "scopes": ["links:create", "links:read", "stats:read"]})
    assert made.status_code == 201, made.text
    return {"authorization": f"Bearer {made.json()['key']}"}


def new_link(server: LiveServer, key: dict[str, str]) -> str:
    made = httpx.post(f"{server.base_url}/api/v1/links", headers=key,
                      json={"url": "https://example.com/live"})
    assert made.status_code == 201, made.text
    return str(made.json()["code"])


def click(server: LiveServer, code: str) -> float:
    """A redirect on a fresh connection (either worker may answer); when it was sent."""
    sent = time.monotonic()
    assert httpx.get(f"{server.base_url}/{code}", headers={"user-agent": CHROME}
                     ).status_code == 302
    return sent


def test_every_redirect_shows_up_on_streams_of_both_workers_within_2_s(
        server: LiveServer, admin: dict[str, str]) -> None:
    code = new_link(server, admin)
    url = f"{server.base_url}/api/v1/events?code={code}"
    with SseStream(url, admin) as a, SseStream(url, admin) as b, SseStream(url, admin) as c:
        latencies, ids = [], set()
        for _ in range(10):  # one at a time, as someone watching a dashboard sees them
            sent = click(server, code)
            for stream in (a, b, c):
                [event] = stream.take(1, timeout=30)
                latencies.append(event.at - sent)
                ids.add(event.id)
        assert len(ids) == 10
    print(f"redirect -> event: max {max(latencies):.3f} s over {len(latencies)} events")
    assert max(latencies) < LATENCY_BOUND, latencies


def test_without_a_code_a_key_follows_its_own_links_and_an_admin_all(
        server: LiveServer, admin: dict[str, str]) -> None:
    alice, bob = new_key(server, admin, "alice"), new_key(server, admin, "bob")
    mine, theirs = new_link(server, alice), new_link(server, bob)
    url = f"{server.base_url}/api/v1/events"
    with SseStream(url, alice) as alices, SseStream(url, admin) as admins:
        click(server, theirs)
        click(server, mine)
        [seen] = alices.take(1)
        assert seen.json()["code"] == mine
        assert {e.json()["code"] for e in admins.take(2)} == {mine, theirs}
        assert alices.nothing_more(within=1.0)


def test_a_stream_pings_and_answers_no_user_content_as_markup(
        server: LiveServer, admin: dict[str, str]) -> None:
    code = new_link(server, admin)
    with SseStream(f"{server.base_url}/api/v1/events?code={code}", admin) as stream:
        assert stream.headers["content-type"] == "text/event-stream; charset=utf-8"
        assert stream.headers["cache-control"] == "no-cache, no-store"
        assert stream.headers["x-content-type-options"] == "nosniff"
        wait_for(lambda: "connected" in stream.comments, timeout=10, message="the opening")


@pytest.fixture
def bounded(tmp_path: Path) -> Iterator[tuple[LiveServer, dict[str, str]]]:
    server = LiveServer(tmp_path / "bounded.db", event_streams=2)
    yield server, {"authorization": f"Bearer {printed_admin_key(server)}"}
    server.stop()


def test_streams_are_bounded_and_a_closed_stream_frees_its_place(
        bounded: tuple[LiveServer, Any]) -> None:
    server, admin = bounded
    url = f"{server.base_url}/api/v1/events"
    first, second = SseStream(url, admin), SseStream(url, admin)
    assert (first.status, second.status) == (200, 200)
    refused = httpx.get(url, headers=admin, timeout=10)
    assert refused.status_code == 503, refused.text
    assert refused.headers["retry-after"] == "1"
    first.close()
    for _ in range(10):  # each stream, once closed, leaves nothing behind on the server
        third = wait_for(lambda: _opened(url, admin), timeout=10, interval=0.05,
                         message="a place freed by a closed stream")
        third.close()
    code = new_link(server, admin)
    with SseStream(f"{url}?code={code}", admin) as last:
        assert last.status == 200
        click(server, code)
        assert last.take(1)[0].json()["code"] == code
    second.close()


def _opened(url: str, headers: dict[str, str]) -> SseStream | None:
    stream = SseStream(url, headers)
    if stream.status == 200:
        return stream
    stream.close()
    return None
