"""The click export: a link's raw, anonymised clicks a page at a time, as NDJSON or CSV.

Pages are keyed by click id (time first), so a cursor resumes exactly after the last
click a page held, however many clicks arrive meanwhile. A cursor names its link: it is
refused for another one.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from linkpulse.core.errors import InvalidInput
from linkpulse.core.models import ClickEvent
from linkpulse.core.ports import AnalyticsStore, LinkStore
from linkpulse.core.ranges import UNKNOWN_COUNTRY
from linkpulse.core.service import visible_link
from linkpulse.core.streams import csv_lines, json_lines

CLICK_PAGE = 10_000
"""Clicks in one export response at most; ``next`` resumes after them."""
FORMATS = ("ndjson", "csv")
COLUMNS = ("click_id", "timestamp", "user_agent", "referer", "ip", "country")
_CLICK_ID = re.compile(r"[0-9a-f]{32}")
_END = "g"
"""Sorts after every click id (lower-case hex)."""


@dataclass(frozen=True, slots=True)
class ClickPage:
    clicks: list[ClickEvent]
    next: str | None
    """The cursor of the following page; None on the last one."""


def day_id(day: int) -> str:
    """The smallest click id of UTC day number ``day`` (ids start with epoch ms, hex)."""
    return f"{day * 86_400_000:012x}"


def encode_cursor(code: str, click_id: str) -> str:
    return base64.urlsafe_b64encode(f"{code}:{click_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str, code: str) -> str:
    """The click id a cursor resumes after; ``InvalidInput`` if it is not one of
    ``code``'s."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidInput("'cursor' is not a cursor this API returned") from exc
    owner, _, click_id = raw.rpartition(":")
    if not _CLICK_ID.fullmatch(click_id):
        raise InvalidInput("'cursor' is not a cursor this API returned")
    if owner != code:
        raise InvalidInput("'cursor' belongs to another link")
    return click_id


def click_page(links: LinkStore, analytics: AnalyticsStore, code: str,
               sees: Callable[[str | None], bool], first_day: int | None,
               last_day: int | None, cursor: str | None, page: int = CLICK_PAGE
               ) -> ClickPage:
    """Up to ``page`` clicks of ``code`` on the days given (both included; None: no
    bound), oldest first, after ``cursor``; ``LinkNotFound`` if ``sees`` not its owner."""
    visible_link(links, code, sees)
    first = "" if first_day is None else day_id(first_day)
    if cursor is not None:
        # Ids have one length: the smallest one after ``after`` is past ``after + "0"``.
        first = max(first, decode_cursor(cursor, code) + "0")
    last = _END if last_day is None else day_id(last_day + 1)
    clicks = analytics.clicks(code, first, last, page + 1)
    more = len(clicks) > page
    clicks = clicks[:page]
    return ClickPage(clicks, encode_cursor(code, clicks[-1].click_id) if more else None)


def _record(click: ClickEvent) -> dict[str, object]:
    return {"click_id": click.click_id, "timestamp": click.timestamp,
            "user_agent": click.user_agent, "referer": click.referer, "ip": click.ip,
            "country": click.country or UNKNOWN_COUNTRY}


def to_ndjson(clicks: Iterable[ClickEvent]) -> Iterator[str]:
    return json_lines(_record(click) for click in clicks)


def to_csv(clicks: Iterable[ClickEvent]) -> Iterator[str]:
    """CSV with a header line, one click a line."""
    return csv_lines(COLUMNS, ([_record(c)[k] for k in COLUMNS] for c in clicks))
