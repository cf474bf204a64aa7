"""Stats of the DynamoDB analytics store, added up from a link's slot items.

Pure functions over the items one ``Query`` returned (the attribute layout is in
:mod:`linkpulse.backends.aws.analytics`): every figure of a range is a sum over the slot
items of its days, bots left out by skipping the ``~`` attributes.
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from linkpulse.core.models import Count
from linkpulse.core.ranges import OTHER, StatsQuery

BOT = "~"
"""Prefix of the attributes that count bot clicks (``~u:<hash>``...); human clicks' have
none."""
FIXED = frozenset({"pk", "sk", "n", "bots"})


def hour_number(day: str, hour: str) -> int:
    """Hours since the epoch of ``YYYY-MM-DD`` and ``HH`` (UTC)."""
    start = datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=UTC).timestamp()
    return int(start // 3600) + int(hour)


@dataclass
class Sums:
    """What a read adds up from slot items."""

    total: int = 0
    bots: int = 0
    keys: Tally[str] = field(default_factory=Tally)
    """``<prefix>:<key>`` -> count, humans and (unless left out) bots together."""
    days: Tally[str] = field(default_factory=Tally)
    day_visitors: Tally[str] = field(default_factory=Tally)
    hours: Tally[str] = field(default_factory=Tally)
    """``YYYY-MM-DDTHH`` -> count, of the hours ``StatsQuery`` asks for."""

    def of(self, prefix: str) -> Iterable[tuple[str, int]]:
        """(key, count) of one dimension (``u``, ``c``...)."""
        start = f"{prefix}:"
        return ((attr[len(start):], n) for attr, n in self.keys.items()
                if attr.startswith(start))


def add_up(items: Iterable[dict[str, Any]], q: StatsQuery) -> Sums:
    """The sums of ``items`` (slot items of one link), bots left out if ``q`` says so."""
    sums = Sums()
    for item in items:
        _, day, hh = item["sk"]["S"].split("#")
        n, bots = number(item, "n"), number(item, "bots")
        counted = n - bots if q.exclude_bots else n
        sums.total += counted
        sums.bots += 0 if q.exclude_bots else bots
        sums.days[day] += counted
        first_hour = hour_number(day, hh) - int(hh)
        for attr, value in item.items():
            if attr in FIXED:
                continue
            bot = attr.startswith(BOT)
            if bot and q.exclude_bots:
                continue
            name = attr[1:] if bot else attr
            count = int(value["N"])
            if name == "v":
                sums.day_visitors[day] += count
            elif name.startswith("h:"):
                hour = first_hour + int(name[2:])
                if q.first_hour <= hour <= q.last_hour:
                    sums.hours[f"{day}T{name[2:]}"] += count
            else:
                sums.keys[name] += count
    return sums


def number(item: dict[str, Any], attr: str) -> int:
    """A counter of an item; absent is zero (an emulator may show an item between its
    creation and its ``ADD``; DynamoDB applies an update atomically)."""
    value = item.get(attr)
    return int(value["N"]) if value else 0


def ranked(counts: Iterable[Count], top: int | None = None) -> tuple[Count, ...]:
    """Top ``top`` (all if None) by count, ties by key (the SQLite store's order)."""
    out = sorted(counts, key=lambda c: (-c.count, c.key))
    return tuple(out if top is None else out[:max(top, 0)])


def small(sums: Sums, prefix: str, top: int | None = None) -> tuple[Count, ...]:
    """A dimension stored by its own key (browser, OS, device, country)."""
    return ranked((Count(key, n) for key, n in sums.of(prefix)), top)


def series(tally: Tally[str], last: int | None = None) -> tuple[Count, ...]:
    """Counts by time key, oldest first (the last ``last`` if given), zeros left out."""
    kept = sorted((k, n) for k, n in tally.items() if n)
    return tuple(Count(k, n) for k, n in (kept if last is None else kept[-last:]))


__all__ = ["BOT", "OTHER", "Sums", "add_up", "number", "ranked", "series", "small"]
