"""The live click stream (`GET /api/v1/events`) on every target: Server-Sent Events from
`linkpulse serve` on SQLite, a cursor poll of one link where the edge does not stream
(API Gateway, and `serve --backend aws`)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.scenarios.conftest import Client, Target
from tests.scenarios.test_keys import KeyClient
from tests.sse import SseStream
from tests.support import wait_for

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"


def streams(target: Target) -> bool:
    return target.name == "asgi-sqlite"


@pytest.fixture
def owner(client: Client, target: Target) -> KeyClient:
    return KeyClient(client, target.key(f"ev-{uuid.uuid4().hex[:8]}", scopes=[
        "links:create", "links:read", "stats:read"]))


def auth(owner: KeyClient, **more: str) -> dict[str, str]:
    return {"authorization": f"Bearer {owner.key}", **more}


class Follower:
    """Events of one link, as the target gives them: a stream, or polls."""

    def __init__(self, target: Target, owner: KeyClient, code: str, after: str = "") -> None:
        self.target, self.owner, self.code = target, owner, code
        self.cursor = after
        self.stream: SseStream | None = None
        if streams(target):
            headers = auth(owner, **({"last-event-id": after} if after else {}))
            self.stream = SseStream(f"{target.base_url}/api/v1/events?code={code}", headers)
            assert self.stream.status == 200
            assert self.stream.headers["content-type"].startswith("text/event-stream")
        elif not after:  # a poll without a cursor answers the latest clicks: start after them
            self.cursor = self._poll()["last_event_id"]

    def _poll(self) -> dict[str, Any]:
        query = f"?code={self.code}" + (f"&after={self.cursor}" if self.cursor else "")
        reply = self.owner.call("GET", f"/api/v1/events{query}")
        assert reply.status == 200, reply
        return dict(reply.json())

    def take(self, n: int, timeout: float = 20.0) -> list[dict[str, Any]]:
        if self.stream is not None:
            got = self.stream.take(n, timeout)
            assert {e.event for e in got} == {"click"}
            assert [e.id for e in got] == [e.json()["id"] for e in got]
            return [e.json() for e in got]
        events: list[dict[str, Any]] = []

        def more() -> bool:
            page = self._poll()
            events.extend(page["events"])
            self.cursor = page["last_event_id"]
            return len(events) >= n

        wait_for(more, timeout=timeout, interval=0.2, message=f"{n} events of {self.code}")
        return events

    def close(self) -> None:
        if self.stream is not None:
            self.stream.close()


@pytest.fixture
def follow(target: Target, owner: KeyClient) -> Iterator[Any]:
    made: list[Follower] = []

    def start(code: str, after: str = "") -> Follower:
        made.append(Follower(target, owner, code, after))
        return made[-1]

    yield start
    for follower in made:
        follower.close()


def test_a_redirect_shows_up_as_an_event(client: Client, owner: KeyClient, follow: Any
                                         ) -> None:
    code = owner.create()["code"]
    events = follow(code)
    assert client.follow(code, **{"user-agent": FIREFOX, "referer": "https://news.example/"}
                         ).status == 302
    [event] = events.take(1)
    assert event["code"] == code
    assert event["browser"] == "Firefox"
    assert event["os"] == "Windows"
    assert event["device"] == "desktop"
    assert event["is_bot"] is False
    assert event["referer"] == "https://news.example/"
    assert isinstance(event["ts"], float)
    assert isinstance(event["country"], str)
    assert set(event) == {"id", "code", "ts", "country", "browser", "os", "device",
                          "is_bot", "referer"}  # no user agent, no address


def test_resuming_after_an_event_sends_every_later_click_once(
        client: Client, owner: KeyClient, follow: Any) -> None:
    code = owner.create()["code"]
    first = follow(code)
    for _ in range(3):
        client.follow(code, **{"user-agent": FIREFOX})
    ids = sorted(e["id"] for e in first.take(3))
    assert len(set(ids)) == 3
    again = follow(code, after=ids[0])
    assert [e["id"] for e in again.take(2)] == ids[1:]
    client.follow(code, **{"user-agent": FIREFOX})
    [fourth] = again.take(1)
    assert fourth["id"] not in ids


def test_another_keys_code_is_not_found(client: Client, target: Target, owner: KeyClient
                                        ) -> None:
    code = owner.create()["code"]
    other = KeyClient(client, target.key(f"other-{uuid.uuid4().hex[:8]}"))
    reply = other.call("GET", f"/api/v1/events?code={code}")
    assert reply.status == 404, reply
    assert reply.json() == {"error": "Short URL not found"}


def test_a_key_without_stats_read_is_forbidden(client: Client, target: Target) -> None:
    writer = KeyClient(client, target.key(f"w-{uuid.uuid4().hex[:8]}",
                                          scopes=["links:create"]))
    code = writer.create()["code"]
    assert writer.call("GET", f"/api/v1/events?code={code}").status == 403


@pytest.mark.parametrize("query", [
    "after=XYZ", "after=0123456789abcdef0123456789abcdef0", "limit=0", "limit=201",
    "limit=ten", "color=red", "after=%EF%BC%91",
])
def test_bad_parameters_are_a_400(owner: KeyClient, query: str) -> None:
    code = owner.create()["code"]
    reply = owner.call("GET", f"/api/v1/events?code={code}&{query}")
    assert reply.status == 400, (query, reply)
    assert "error" in reply.json()


def test_a_bad_last_event_id_is_a_400(client: Client, owner: KeyClient) -> None:
    code = owner.create()["code"]
    reply = client.request("GET", f"/api/v1/events?code={code}",
                           headers=auth(owner, **{"last-event-id": "<script>"}))
    assert reply.status == 400, reply
    assert "<script>" not in reply.body.decode()
