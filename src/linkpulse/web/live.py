"""The live click stream of one worker process: one poller reading the recorded clicks,
fanned out to the Server-Sent Event streams of its subscribers.

The poller runs only while someone listens: the first subscriber starts it, the last
one to leave stops it. Every ``interval`` it reads the clicks recorded since the last
read (from the analytics store, so a click counted by any worker's consumer shows up in
every worker) and hands each to the subscribers that may see it. Clicks are recorded in
batches, not strictly in id order: the read looks ``lookback`` seconds behind the newest
id it has seen and skips the ids it already handed out, so a click recorded a moment
after a newer one still goes out, once.

Bounded by construction: at most ``max_subscribers`` streams per process (more are
turned away with a ``retry`` hint), ``queue_size`` events waiting per stream (a stream
that falls further behind is ended; its client resumes from ``Last-Event-ID``), and the
ids remembered for the lookback. A stream whose client leaves is cancelled at once (the
ASGI edge listens for the disconnect) and leaves nothing behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import NamedTuple

import anyio
import anyio.to_thread
from starlette.responses import StreamingResponse

from linkpulse.core import events, useragent
from linkpulse.core.events import Selection
from linkpulse.core.models import Click
from linkpulse.core.ports import ClickTail, ManagedLinkStore
from linkpulse.web.types import Receive, Scope, Send

log = logging.getLogger("linkpulse.live")

PING = b": ping\n\n"
RETRY_MS = 3_000
"""How long an EventSource waits before it reconnects (sent at the start of a stream)."""
REPLAY_MAX = 1_000
"""Events a resume (``Last-Event-ID``) replays at most; an older backlog is skipped (the
stream says so with an ``event: reset``) and goes on with what happens from now."""
PAGE = 1_000
OWNERS_CACHED = 10_000


class _Event(NamedTuple):
    click_id: str
    frame: bytes
    """The Server-Sent Event, encoded once for every subscriber."""


@dataclass(eq=False)
class _Subscriber:
    selection: Selection
    queue: asyncio.Queue[_Event | None] = field(default_factory=lambda: asyncio.Queue(1_000))


class LiveHub:
    def __init__(self, feed: ClickTail, links: ManagedLinkStore, *, interval: float = 0.25,
                 ping: float = 15.0, lookback: float = 5.0, max_subscribers: int = 200,
                 queue_size: int = 1_000, max_seen: int = 50_000) -> None:
        self.feed = feed
        self.links = links
        self.interval = interval
        self.ping = ping
        self.lookback_ms = int(lookback * 1000)
        self.max_subscribers = max_subscribers
        self.queue_size = queue_size
        self.max_seen = max_seen
        self._subscribers: set[_Subscriber] = set()
        self._poller: asyncio.Task[None] | None = None
        self._starting = asyncio.Lock()
        self._seen: dict[str, None] = {}
        self._newest = ""
        self._owners: dict[str, str | None] = {}
        self.polls = 0
        """Reads of the feed so far (the tests watch the poller stop)."""

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    @property
    def polling(self) -> bool:
        return self._poller is not None and not self._poller.done()

    def full(self) -> bool:
        return len(self._subscribers) >= self.max_subscribers

    async def stream(self, selection: Selection, after: str, opened: float
                     ) -> AsyncIterator[bytes]:
        """The Server-Sent Events of ``selection``: the clicks after ``after`` (none
        given: the clicks made since ``opened``, when the request came in), then every
        click recorded from now on, with a ping comment when idle."""
        if self.full():
            yield b"retry: 10000\n: too many streams on this worker; retry later\n\n"
            return
        sub = _Subscriber(selection, asyncio.Queue(self.queue_size))
        self._subscribers.add(sub)
        try:
            await self._ensure_poller()
            yield f"retry: {RETRY_MS}\n: connected\n\n".encode()
            sent: set[str] = set()
            # What was recorded between the request and joining: a replay from the request.
            start = after or f"{max(int(opened * 1000), 0):012x}"
            async for chunk in self._replay(selection, start, sent):
                yield chunk
            while True:
                try:
                    item = await asyncio.wait_for(sub.queue.get(), self.ping)
                except TimeoutError:
                    yield PING
                    continue
                if item is None:  # fell behind: end; the client resumes from its last id
                    yield b"event: reset\ndata: {}\n\n"
                    return
                if item.click_id not in sent:
                    yield item.frame
        finally:
            self._subscribers.discard(sub)

    async def _replay(self, selection: Selection, after: str,
                      sent: set[str]) -> AsyncIterator[bytes]:
        """The backlog after ``after`` (recorded before this stream joined), up to
        ``REPLAY_MAX`` events; live events of the same ids are not sent twice."""
        cursor = after
        while len(sent) < REPLAY_MAX:
            page = await anyio.to_thread.run_sync(self.feed.clicks_after, selection.code,
                                                  cursor, PAGE)
            owners = await anyio.to_thread.run_sync(self._owners_of, page.clicks)
            for click in page.clicks:
                code = click.event.code
                if selection.wants(code, owners[code]) and len(sent) < REPLAY_MAX:
                    sent.add(click.event.click_id)
                    yield events.frame(click)
            if page.cursor == cursor or (selection.code is None and len(page.clicks) < PAGE):
                return
            cursor = page.cursor
        yield b"event: reset\ndata: {}\n\n"

    async def _ensure_poller(self) -> None:
        """Start the poller if it is not running, from the newest click recorded now:
        every click recorded after this returns goes out to the new subscriber."""
        async with self._starting:
            if self._poller is None or self._poller.done():
                await anyio.to_thread.run_sync(self._prime)
                self._poller = asyncio.create_task(self._poll(), name="live-clicks")

    async def _poll(self) -> None:
        """Read and hand out new clicks until the last subscriber has left (the check
        and the end are one step of the event loop: no subscriber joins in between)."""
        try:
            while True:
                await asyncio.sleep(self.interval)
                if not self._subscribers:
                    break
                try:
                    fresh, owners = await anyio.to_thread.run_sync(self._read)
                except Exception:
                    log.exception("reading recorded clicks failed; retrying")
                    continue
                self._fan_out(fresh, owners)
        finally:
            self._seen.clear()
            self._newest = ""

    def _prime(self) -> None:
        """Start from the newest recorded click: a stream shows what happens from now
        (the clicks of the lookback window before it are taken as handed out). Loads the
        user-agent parser's rules first (a second or more), not at the first click."""
        useragent.warm()
        self._newest = self.feed.clicks_after(None, "", 1).cursor
        self._read()

    def _floor(self) -> str:
        """Where a read starts: ``lookback`` behind the newest id seen."""
        if not self._newest:
            return ""
        ms = int(self._newest[:12], 16) - self.lookback_ms
        return f"{max(ms, 0):012x}"

    def _read(self) -> tuple[list[Click], dict[str, str | None]]:
        """The clicks recorded since the last read: the ids of the lookback window (an
        index-only read), then the rows of the ids not handed out yet."""
        self.polls += 1
        start = self._floor() or "0"
        new: list[str] = []
        while True:
            ids = self.feed.click_ids_after(start, PAGE)
            new += [i for i in ids if i not in self._seen]
            if len(ids) < PAGE:
                break
            start = ids[-1]
        fresh = self.feed.clicks_by_id(new) if new else []
        self._seen.update(dict.fromkeys(new))
        if new:
            self._newest = max(self._newest, max(new))
        self._forget(self._floor())
        return fresh, self._owners_of(fresh)

    def _forget(self, floor: str) -> None:
        """Drop the ids below the lookback floor, and the oldest past ``max_seen``."""
        seen = [i for i in self._seen if i > floor]
        if len(seen) > self.max_seen:
            seen.sort()
            seen = seen[-self.max_seen:]
        self._seen = dict.fromkeys(seen)

    def _owners_of(self, clicks: list[Click]) -> dict[str, str | None]:
        """The owner of each link clicked (a link's owner never changes)."""
        owners: dict[str, str | None] = {}
        for code in {c.event.code for c in clicks}:
            if code not in self._owners:
                if len(self._owners) >= OWNERS_CACHED:
                    self._owners.clear()
                self._owners[code] = events.owner_of(self.links, code)
            owners[code] = self._owners[code]
        return owners

    def _fan_out(self, fresh: list[Click], owners: dict[str, str | None]) -> None:
        """Each new click, encoded once, to every subscriber that may see it."""
        fresh.sort(key=lambda c: c.event.click_id)
        items = [(c.event.code, owners[c.event.code], _Event(c.event.click_id, events.frame(c)))
                 for c in fresh]
        for sub in list(self._subscribers):
            for code, owner, item in items:
                if not sub.selection.wants(code, owner):
                    continue
                try:
                    sub.queue.put_nowait(item)
                except asyncio.QueueFull:
                    _overflow(sub.queue)
                    break


def _overflow(queue: asyncio.Queue[_Event | None]) -> None:
    """Tell a subscriber that fell behind to end its stream (its client resumes)."""
    with contextlib.suppress(asyncio.QueueEmpty):
        while True:
            queue.get_nowait()
    queue.put_nowait(None)



class EventStreamResponse(StreamingResponse):
    """A streamed answer that ends as soon as the client leaves, whatever ASGI spec
    version the server speaks (from 2.4 Starlette would only notice at the next write,
    a ping up to 15 s later): it listens for ``http.disconnect`` itself, and closes the
    body iterator either way, so the subscriber is gone at once."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = self.body_iterator
        try:
            async with anyio.create_task_group() as group:
                async def respond() -> None:
                    with contextlib.suppress(OSError):  # the client is gone
                        await self.stream_response(send)
                    group.cancel_scope.cancel()

                group.start_soon(respond)
                await self.listen_for_disconnect(receive)
                group.cancel_scope.cancel()
        finally:
            close = getattr(body, "aclose", None)
            if close is not None:
                await close()
