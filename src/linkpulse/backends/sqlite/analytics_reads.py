"""Stats reads of the SQLite analytics store: counter rows, never the clicks.

Every read adds ``pending`` to ``counts`` (rows of one counter in both tables add up).
All-time figures read the all-time counters; a range reads the per-day counters of its
days (at most ``MAX_RANGE_DAYS`` days of at most ``FOLD_CAP + 1`` keys each).
"""

from __future__ import annotations

import sqlite3
from collections import Counter as Tally
from collections.abc import Iterable
from datetime import UTC, datetime

from linkpulse.backends.sqlite.analytics_schema import (
    DIM_CLASS,
    DIM_COUNTRY,
    DIM_D_CLASS,
    DIM_D_COUNTRY,
    DIM_D_REF,
    DIM_D_UA,
    DIM_DAY,
    DIM_HOUR,
    DIM_LEGACY,
    DIM_REF,
    DIM_UA,
    DIM_UNIQUE,
    DIM_UNIQUE_ALL,
    FOLD_KEY,
    RANKED_DIMS,
    RECENT_KEPT,
)
from linkpulse.core.models import Analytics, Click, ClickEvent, Count
from linkpulse.core.ranges import OTHER, StatsQuery, day_text

DAYS_SHOWN = 366
SEP = "\x1f"
"""Joins a click's browser, OS, device and bot flag into one ``class`` label."""
_LEGACY_NAMES = {dim: name for name, dim in DIM_LEGACY.items()}
_LOW32 = 4_294_967_295

_CLASSES = " UNION ALL ".join(f"""
SELECT c.dim, l.text, c.count FROM {table} AS c JOIN labels AS l ON l.id = c.key
WHERE c.code = ?1 AND c.dim IN ({", ".join(map(str, (DIM_CLASS, *DIM_LEGACY.values())))})
""" for table in ("counts", "pending"))
_DAYS = " UNION ALL ".join(f"""
SELECT * FROM (SELECT key, count FROM {table} WHERE code = ?1 AND dim = ?2
ORDER BY key DESC LIMIT ?3)""" for table in ("counts", "pending"))
# The exact top-N of counts + pending: any key without pending clicks that is not in
# counts' own top-N is outranked by N keys that are, so the candidates are those N and
# the keys with pending clicks.
_TOP = f"""
SELECT coalesce(l.text, '{OTHER}'), t.n FROM (
    SELECT key, sum(count) AS n FROM (
        SELECT key, count FROM pending WHERE code = ?1 AND dim = ?2
        UNION ALL
        SELECT key, count FROM counts WHERE code = ?1 AND dim = ?2 AND key IN (
            SELECT key FROM pending WHERE code = ?1 AND dim = ?2)
        UNION ALL
        SELECT key, count FROM (
            SELECT key, count FROM counts WHERE code = ?1 AND dim = ?2 AND {RANKED_DIMS}
            ORDER BY count DESC, key LIMIT ?3)
        WHERE key NOT IN (SELECT key FROM pending WHERE code = ?1 AND dim = ?2))
    GROUP BY key ORDER BY n DESC, key LIMIT ?3) AS t
LEFT JOIN labels AS l ON l.id = t.key AND t.key <> {FOLD_KEY} ORDER BY t.n DESC, t.key
"""
# One counter's keys in [?3, ?4), summed per group; ?5 = 1 leaves bot keys out.
_SPAN = " UNION ALL ".join(f"""
SELECT key, count FROM {table} WHERE code = ?1 AND dim = ?2 AND key >= ?3 AND key < ?4
""" for table in ("counts", "pending"))


def _grouped(group: str, bot: str) -> str:
    return (f"SELECT {group} AS g, sum(count) AS n FROM ({_SPAN}) "
            f"WHERE ?5 = 0 OR {bot} = 0 GROUP BY g")


_BY_DAY_KEY = _grouped(f"key & {_LOW32}", "(key >> 32) & 1")
"""Per-day counters summed per label over the days of the range."""
_BY_DAY_CLASS = (f"SELECT key >> 33 AS g, key & {_LOW32} AS c, sum(count) FROM ({_SPAN}) "
                 "WHERE ?5 = 0 OR (key >> 32) & 1 = 0 GROUP BY g, c")
"""Per-day class counters summed per day and class."""
_BY_HALF = _grouped("key >> 1", "key & 1")
"""Hours and daily uniques (``n << 1 | bot``) summed per hour or day."""
_TOP_IN_SPAN = f"""
SELECT coalesce(l.text, '{OTHER}'), t.n FROM ({_BY_DAY_KEY} ORDER BY n DESC, g LIMIT ?6) AS t
LEFT JOIN labels AS l ON l.id = t.g AND t.g <> {FOLD_KEY} ORDER BY t.n DESC, t.g
"""
_COUNTRIES = f"SELECT key, sum(count) FROM ({_SPAN}) GROUP BY key"
_TEXTS = "SELECT id, text FROM labels WHERE id IN ({})"
_RECENT = f"""
SELECT r.click_id, r.code, r.ts, u.text, f.text, r.ip, r.country, k.text
FROM recent AS r JOIN labels AS u ON u.id = r.ua JOIN labels AS f ON f.id = r.ref
    JOIN labels AS k ON k.id = r.class
WHERE r.code = ?1 AND r.ts >= ?2 AND r.ts < ?3 AND (?4 = 0 OR k.text NOT LIKE '%{SEP}1')
ORDER BY r.click_id DESC LIMIT ?5
"""
_MAX_KEY = 1 << 62


def hour_text(hours_since_epoch: int) -> str:
    return datetime.fromtimestamp(hours_since_epoch * 3_600, UTC).strftime("%Y-%m-%dT%H")


def country_key(country: str) -> int:
    return (ord(country[0]) << 8) | ord(country[1])


def country_text(key: int) -> str:
    return OTHER if key == FOLD_KEY else chr(key >> 8) + chr(key & 255)


def _counts(rows: Iterable[tuple[str, int]]) -> tuple[Count, ...]:
    return tuple(Count(key, n) for key, n in rows)


def _ranked(tally: Tally[str], n: int | None = None) -> tuple[Count, ...]:
    return _counts(sorted(tally.items(), key=lambda kv: (-kv[1], kv[0]))[:n])


class _Classes:
    """Totals, bots, browsers, OSes and devices from click-class counts."""

    def __init__(self) -> None:
        self.browsers: Tally[str] = Tally()
        self.systems: Tally[str] = Tally()
        self.devices: Tally[str] = Tally()
        self.total = self.bots = 0

    def add(self, text: str, n: int) -> None:
        browser, os_family, device, is_bot = text.split(SEP)
        self.browsers[browser] += n
        self.systems[os_family] += n
        self.devices[device] += n
        self.total += n
        self.bots += n if is_bot == "1" else 0


def _click(row: tuple[str, str, float, str, str, str, str, str]) -> Click:
    browser, os_family, device, is_bot = row[7].split(SEP)
    return Click(ClickEvent(*row[:7]), browser, os_family, device, is_bot == "1",
                 day_text(int(row[2] // 86_400)))


def recent(conn: sqlite3.Connection, code: str, n: int, q: StatsQuery) -> tuple[Click, ...]:
    start, end = ((0.0, float(_MAX_KEY)) if q.first_day is None or q.last_day is None
                  else (q.first_day * 86_400.0, (q.last_day + 1) * 86_400.0))
    rows = conn.execute(_RECENT, (code, start, end, int(q.exclude_bots),
                                  min(n, RECENT_KEPT))).fetchall()
    return tuple(map(_click, rows))


def hours(conn: sqlite3.Connection, code: str, q: StatsQuery) -> tuple[Count, ...]:
    if q.last_hour < q.first_hour:
        return ()
    rows = conn.execute(_BY_HALF, (code, DIM_HOUR, q.first_hour * 2, q.last_hour * 2 + 2,
                                   int(q.exclude_bots))).fetchall()
    return tuple(Count(hour_text(h), n) for h, n in sorted(rows) if n)


def _countries(rows: Iterable[tuple[int, int]]) -> tuple[Count, ...]:
    tally: Tally[str] = Tally()
    for key, n in rows:
        tally[country_text(key)] += n
    return _ranked(tally)


def all_time(conn: sqlite3.Connection, code: str, top: int) -> Analytics:
    """Every click's figures, from the all-time counters."""
    classes = _Classes()
    legacy_total = legacy_bots = 0
    for dim, key, n in conn.execute(_CLASSES, (code,)):
        if dim == DIM_CLASS:  # every click has exactly one class: they add up to the total
            classes.add(key, n)
            continue
        legacy = _LEGACY_NAMES[dim]  # counted apart by the first layout
        if legacy == "total":
            legacy_total += n
        elif legacy == "bots":
            legacy_bots += n
        else:
            {"browser": classes.browsers, "os": classes.systems,
             "device": classes.devices}[legacy][key] += n
    day_counts: Tally[int] = Tally()
    for day, n in conn.execute(_DAYS, (code, DIM_DAY, DAYS_SHOWN)):
        day_counts[day] += n
    days = sorted(day_counts.items())[-DAYS_SHOWN:]
    first = days[0][0] if days else 0
    uniques = conn.execute(_BY_HALF, (code, DIM_UNIQUE, first * 2, _MAX_KEY, 0)).fetchall()
    everyone = conn.execute(_BY_HALF, (code, DIM_UNIQUE_ALL, 0, 2, 0)).fetchall()
    return Analytics(
        total=classes.total + legacy_total,
        bots=classes.bots + legacy_bots,
        user_agents=_counts(conn.execute(_TOP, (code, DIM_UA, top))),
        referers=_counts(conn.execute(_TOP, (code, DIM_REF, top))),
        browsers=_ranked(classes.browsers, top),
        os=_ranked(classes.systems, top),
        devices=_ranked(classes.devices, top),
        days=tuple(Count(day_text(day), n) for day, n in days),
        countries=_countries(conn.execute(_COUNTRIES, (code, DIM_COUNTRY, 0, _MAX_KEY))),
        unique_visitors=sum(n for _, n in everyone),
        day_visitors=tuple(Count(day_text(d), n) for d, n in sorted(uniques) if n),
    )


def ranged(conn: sqlite3.Connection, code: str, top: int, q: StatsQuery) -> Analytics:
    """The figures of the clicks of ``q``'s days (bots left out if it says so), from
    the per-day counters."""
    if q.first_day is None or q.last_day is None:
        raise ValueError("a ranged read needs both days")
    span = (q.first_day << 33, (q.last_day + 1) << 33, int(q.exclude_bots))
    rows = conn.execute(_BY_DAY_CLASS, (code, DIM_D_CLASS, *span)).fetchall()
    texts = dict(conn.execute(_TEXTS.format(",".join({str(c) for _, c, _ in rows}))))
    classes = _Classes()
    per_day: Tally[int] = Tally()
    for day, cls, n in rows:
        classes.add(texts[cls], n)
        per_day[day] += n
    tops = (conn.execute(_TOP_IN_SPAN, (code, dim, *span, top)).fetchall()
            for dim in (DIM_D_UA, DIM_D_REF))
    uniques = conn.execute(_BY_HALF, (code, DIM_UNIQUE, q.first_day * 2,
                                      q.last_day * 2 + 2, int(q.exclude_bots))).fetchall()
    countries = conn.execute(_BY_DAY_KEY, (code, DIM_D_COUNTRY, *span)).fetchall()
    return Analytics(
        total=classes.total,
        bots=classes.bots,
        user_agents=_counts(next(tops)),
        referers=_counts(next(tops)),
        browsers=_ranked(classes.browsers, top),
        os=_ranked(classes.systems, top),
        devices=_ranked(classes.devices, top),
        days=tuple(Count(day_text(d), n) for d, n in sorted(per_day.items())),
        countries=_countries(countries),
        unique_visitors=sum(n for _, n in uniques),
        day_visitors=tuple(Count(day_text(d), n) for d, n in sorted(uniques) if n),
    )
