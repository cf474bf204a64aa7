"""The live click stream: which recorded clicks a caller may follow, and how each one
reads as an event (``GET /api/v1/events``).

Events are recorded clicks, read back from the analytics store by click id (ids sort by
time): the stream follows what the consumer recorded, whichever process served the
redirect. A cursor is a click id; ``after`` resumes strictly after it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from linkpulse.core import manage
from linkpulse.core.errors import InvalidInput
from linkpulse.core.keys import Principal
from linkpulse.core.models import Click
from linkpulse.core.ports import ClickFeed, ManagedLinkStore

QUERY = ("code", "after", "limit")
POLL_LIMIT = 100
"""Events one poll answers by default (``limit``, 1-200)."""
MAX_POLL_LIMIT = 200
_CLICK_ID = re.compile(r"[0-9a-f]{1,32}")


@dataclass(frozen=True, slots=True)
class Selection:
    """The clicks one caller follows: one link's, or every link the caller sees."""

    who: Principal
    code: str | None = None

    def wants(self, code: str, owner: str | None) -> bool:
        """Whether a click of ``code`` (a link of ``owner``) is this caller's to see."""
        return code == self.code if self.code is not None else self.who.sees(owner)


def select(links: ManagedLinkStore, who: Principal, query: Mapping[str, str]) -> Selection:
    """The caller's selection: ``code`` must be one of the caller's links (another key's
    code is "not found", as everywhere in the API)."""
    code = query.get("code")
    if code is None:
        return Selection(who)
    return Selection(who, manage.visible(links, who, code).code)


def cursor(query: Mapping[str, str], headers: Mapping[str, str]) -> str:
    """Where to resume: ``Last-Event-ID`` (what a reconnecting EventSource sends) or the
    ``after`` parameter, a click id; "" = from now on."""
    raw = headers.get("last-event-id") or query.get("after") or ""
    if raw and not _CLICK_ID.fullmatch(raw):
        raise InvalidInput("'after' (or Last-Event-ID) must be a click id: 1-32 lower-case "
                           "hex digits")
    return raw


def limit(query: Mapping[str, str]) -> int:
    raw = query.get("limit")
    if raw is None:
        return POLL_LIMIT
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= MAX_POLL_LIMIT:
        raise InvalidInput(f"'limit' must be an integer from 1 to {MAX_POLL_LIMIT}")
    return int(raw)


def payload(click: Click) -> dict[str, Any]:
    """What an event says about a click: no user agent, no address."""
    e = click.event
    return {"id": e.click_id, "code": e.code, "ts": e.timestamp, "country": e.country,
            "browser": click.browser, "os": click.os, "device": click.device,
            "is_bot": click.is_bot, "referer": e.referer}


def frame(click: Click) -> bytes:
    """One Server-Sent Event. JSON escapes every line break, so ``data`` is one line."""
    data = json.dumps(payload(click), ensure_ascii=False, separators=(",", ":"))
    return f"event: click\nid: {click.event.click_id}\ndata: {data}\n\n".encode()


@dataclass(frozen=True, slots=True)
class Page:
    events: list[dict[str, Any]]
    last_event_id: str
    """Pass it back as ``after`` (or ``Last-Event-ID``): the next poll goes on from here."""


def poll(feed: ClickFeed, links: ManagedLinkStore, selection: Selection, after: str,
         limit: int) -> Page:
    """Recorded clicks after ``after`` (none: the latest ``limit``), oldest first: the
    stream as a cursor poll, for an edge that cannot hold a response open (API Gateway)."""
    page = feed.clicks_after(selection.code, after, limit)
    clicks = page.clicks
    if selection.code is None:
        owners = {code: owner_of(links, code) for code in {c.event.code for c in clicks}}
        clicks = [c for c in clicks if selection.wants(c.event.code, owners[c.event.code])]
    return Page([payload(c) for c in clicks], page.cursor)


def owner_of(links: ManagedLinkStore, code: str) -> str | None:
    link = links.get(code)
    return None if link is None else link.owner
