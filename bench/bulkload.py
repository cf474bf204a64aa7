"""Pre-fill a SQLite analytics store with millions of clicks, fast.

Writes what ``SqliteAnalyticsStore.record`` would leave after recording the same clicks
(the same labels, counters, click rows and recent clicks), summed in memory and written
in key order in big transactions: ~10x faster than recording them batch by batch, so a
benchmark can start from 10M clicks. ``tests/test_bench_smoke.py`` checks that both
paths give the same analytics.
"""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from collections.abc import Iterable

from linkpulse.backends.sqlite.analytics import SqliteAnalyticsStore
from linkpulse.backends.sqlite.analytics_reads import country_key
from linkpulse.backends.sqlite.analytics_schema import (
    DIM_CLASS,
    DIM_COUNTRY,
    DIM_D_CLASS,
    DIM_D_COUNTRY,
    DIM_D_REF,
    DIM_D_UA,
    DIM_DAY,
    DIM_HOUR,
    DIM_REF,
    DIM_UA,
    DIM_UNIQUE,
    DIM_UNIQUE_ALL,
    FOLD_CAP,
    FOLD_KEY,
    KIND_CLASS,
    KIND_REF,
    KIND_UA,
    OTHER_CLASS,
    RECENT_KEPT,
)
from linkpulse.core.models import Click
from linkpulse.core.ranges import UNKNOWN_COUNTRY

CHUNK = 250_000
_SEP = "\x1f"


class _Labels:
    def __init__(self, store: SqliteAnalyticsStore) -> None:
        self._store = store
        self._ids: dict[tuple[int, str], int] = {
            (kind, text): id_ for id_, kind, text in
            store.db.connection().execute("SELECT id, kind, text FROM labels")}
        self._days: dict[tuple[str, int, int], set[int]] = defaultdict(set)

    def folded(self, code: str, day: int, dim: int, key: int, other: int) -> int:
        """``key``, or ``other`` once the link has ``FOLD_CAP`` other keys that day."""
        seen = self._days[(code, day, dim)]
        if key in seen:
            return key
        if len(seen) >= FOLD_CAP:
            seen.add(other)
            return other
        seen.add(key)
        return key

    def __call__(self, kind: int, text: str) -> int:
        id_ = self._ids.get((kind, text))
        if id_ is None:
            with self._store.db.transaction() as conn:
                conn.execute("INSERT INTO labels (kind, text) VALUES (?, ?) "
                             "ON CONFLICT DO NOTHING", (kind, text))
                id_ = int(conn.execute("SELECT id FROM labels WHERE kind = ? AND text = ?",
                                       (kind, text)).fetchone()[0])
            self._ids[(kind, text)] = id_
        return id_


def load(store: SqliteAnalyticsStore, clicks: Iterable[Click]) -> int:
    """Record ``clicks`` (new click ids, in time order) into ``store``; returns how many."""
    label = _Labels(store)
    recent: dict[str, list[tuple[object, ...]]] = defaultdict(list)
    total = 0
    rows: list[tuple[object, ...]] = []
    counts: Counter[tuple[str, int, int]] = Counter()
    visitors: set[tuple[int, str, str]] = set()
    for click in clicks:
        e = click.event
        bot = int(click.is_bot)
        cls = label(KIND_CLASS, _SEP.join((click.browser, click.os, click.device, str(bot))))
        ua, ref = label(KIND_UA, e.user_agent), label(KIND_REF, e.referer)
        rows.append((e.click_id, e.code, e.timestamp, ua, ref, e.ip, e.country))
        day = int(e.timestamp // 86_400)
        dk = day << 1 | bot
        keys = {dim: label.folded(e.code, day, daily, key, other) for dim, daily, key, other in (
            (DIM_CLASS, DIM_D_CLASS, cls, label(KIND_CLASS, OTHER_CLASS.format(bot=bot))),
            (DIM_UA, DIM_D_UA, ua, FOLD_KEY), (DIM_REF, DIM_D_REF, ref, FOLD_KEY),
            (DIM_COUNTRY, DIM_D_COUNTRY, country_key(e.country or UNKNOWN_COUNTRY), FOLD_KEY))}
        for dim, daily in ((DIM_CLASS, DIM_D_CLASS), (DIM_UA, DIM_D_UA), (DIM_REF, DIM_D_REF),
                           (DIM_COUNTRY, DIM_D_COUNTRY)):
            counts[(e.code, dim, keys[dim])] += 1
            counts[(e.code, daily, dk << 32 | keys[dim])] += 1
        counts[(e.code, DIM_DAY, day)] += 1
        counts[(e.code, DIM_HOUR, int(e.timestamp // 3_600) << 1 | bot)] += 1
        if e.visitor and (day, e.code, e.visitor) not in visitors:
            visitors.add((day, e.code, e.visitor))
            counts[(e.code, DIM_UNIQUE, dk)] += 1
            counts[(e.code, DIM_UNIQUE_ALL, bot)] += 1
        kept = recent[e.code]
        row = (e.code, e.click_id, e.timestamp, ua, ref, e.ip, cls, e.country)
        if len(kept) < RECENT_KEPT:
            heapq.heappush(kept, row[1:])  # type: ignore[misc]
        else:
            heapq.heappushpop(kept, row[1:])  # type: ignore[misc]
        if len(rows) == CHUNK:
            total += _flush(store, rows, counts)
            rows, counts = [], Counter()
    total += _flush(store, rows, counts)
    with store.db.transaction() as conn:
        conn.executemany(
            "INSERT INTO recent VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            sorted((code, *r) for code, kept in recent.items() for r in kept))
        conn.executemany("INSERT INTO visitors VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                         sorted(visitors))
        conn.execute(f"""DELETE FROM recent WHERE click_id < coalesce((SELECT r.click_id
            FROM recent AS r WHERE r.code = recent.code ORDER BY r.click_id DESC
            LIMIT 1 OFFSET {RECENT_KEPT - 1}), '')""")
    return total


def _flush(store: SqliteAnalyticsStore, rows: list[tuple[object, ...]],
           counts: Counter[tuple[str, int, int]]) -> int:
    with store.db.transaction() as conn:
        conn.executemany("INSERT INTO clicks VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        conn.executemany(
            "INSERT INTO counts VALUES (?, ?, ?, ?) ON CONFLICT (code, dim, key) "
            "DO UPDATE SET count = count + excluded.count",
            ((*k, n) for k, n in sorted(counts.items())))
    return len(rows)
