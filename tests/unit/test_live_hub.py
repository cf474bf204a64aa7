"""The live hub over a fake click feed: each recorded click reaches each subscriber that
may see it exactly once, also a click recorded after a newer one; a resume replays what
was missed without repeating it live; the poller runs only while someone listens."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from linkpulse.core.events import Selection
from linkpulse.core.keys import OPEN, Principal
from linkpulse.core.models import Click, ClickEvent, ClickPage, Link
from linkpulse.web.live import LiveHub

UA = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def click_id(ms: int, n: int = 0) -> str:
    return f"{ms << 80 | n:032x}"


class FakeFeed:
    """Recorded clicks in memory, read as the SQLite feed reads them."""

    def __init__(self) -> None:
        self.rows: list[Click] = []

    def record(self, cid: str, code: str = "abc1234") -> None:
        event = ClickEvent(cid, code, int(cid[:12], 16) / 1000, UA, "", "", "NL")
        self.rows.append(Click(event, "Firefox", "Linux", "desktop", False, ""))

    def clicks_after(self, code: str | None, after: str, limit: int) -> ClickPage:
        rows = sorted((c for c in self.rows if code is None or c.event.code == code),
                      key=lambda c: c.event.click_id)
        if not after:
            rows = rows[-limit:]
            return ClickPage(rows, max((c.event.click_id for c in self.rows), default=""))
        rows = [c for c in rows if c.event.click_id > after][:limit]
        return ClickPage(rows, rows[-1].event.click_id if rows else after)


    def click_ids_after(self, after: str, limit: int) -> list[str]:
        return sorted(c.event.click_id for c in self.rows if c.event.click_id > after)[:limit]

    def clicks_by_id(self, ids: Sequence[str]) -> list[Click]:
        wanted = set(ids)
        return [c for c in self.rows if c.event.click_id in wanted]


class FakeLinks:
    def get(self, code: str) -> Link | None:
        owner = "alice" if code.startswith("a") else "bob"
        return Link(code, "https://example.com/", "https://example.com/", 0, owner=owner)


async def _take(stream: Any, n: int) -> list[bytes]:
    got: list[bytes] = []
    async for chunk in stream:
        if chunk.startswith(b"event: click"):
            got.append(chunk)
            if len(got) == n:
                break
    return got


def _ids(frames: list[bytes]) -> list[str]:
    return [f.split(b"\nid: ", 1)[1].split(b"\n", 1)[0].decode() for f in frames]


def test_a_click_recorded_after_a_newer_one_still_goes_out_once() -> None:
    async def scenario() -> list[str]:
        feed = FakeFeed()
        hub = LiveHub(feed, FakeLinks(), interval=0.01, lookback=5.0)  # type: ignore[arg-type]
        stream = hub.stream(Selection(OPEN), "", 0.0)
        await anext(stream)  # subscribed, the poller started
        base = 1_800_000_000_000
        feed.record(click_id(base + 2_000))
        first = await _take(stream, 1)
        feed.record(click_id(base + 1_000))  # an older id, recorded later (another batch)
        feed.record(click_id(base + 3_000))
        rest = await _take(stream, 2)
        await stream.aclose()
        await asyncio.sleep(0.05)
        assert hub.subscribers == 0
        assert not hub.polling
        return _ids(first + rest)

    ids = asyncio.run(scenario())
    assert sorted(ids) == sorted(set(ids))
    assert len(ids) == 3


def test_a_resume_replays_the_missed_clicks_and_never_repeats_them() -> None:
    async def scenario() -> list[str]:
        feed = FakeFeed()
        base = 1_800_000_000_000
        for i in range(5):
            feed.record(click_id(base + i))
        hub = LiveHub(feed, FakeLinks(), interval=0.01)  # type: ignore[arg-type]
        stream = hub.stream(Selection(OPEN, "abc1234"), click_id(base + 1), 0.0)
        replayed = await _take(stream, 3)
        feed.record(click_id(base + 10))
        live = await _take(stream, 1)
        await stream.aclose()
        return _ids(replayed + live)

    assert asyncio.run(scenario()) == [click_id(1_800_000_000_000 + i) for i in (2, 3, 4, 10)]


def test_a_key_follows_only_its_own_links() -> None:
    async def scenario() -> list[bytes]:
        feed = FakeFeed()
        hub = LiveHub(feed, FakeLinks(), interval=0.01)  # type: ignore[arg-type]
        alice = Principal("alice", frozenset({"stats:read"}))
        stream = hub.stream(Selection(alice), "", 0.0)
        await anext(stream)
        base = 1_800_000_000_000
        feed.record(click_id(base + 1), code="bob1234")
        feed.record(click_id(base + 2), code="abc1234")
        got = await _take(stream, 1)
        await stream.aclose()
        return got

    [frame] = asyncio.run(scenario())
    assert b'"code":"abc1234"' in frame
    assert b'"country":"NL"' in frame
