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
from linkpulse.backends.sqlite.analytics_schema import (
    DIM_CLASS,
    DIM_DAY,
    DIM_REF,
    DIM_UA,
    KIND_CLASS,
    KIND_REF,
    KIND_UA,
    RECENT_KEPT,
)
from linkpulse.core.models import Click

CHUNK = 250_000
_SEP = "\x1f"


class _Labels:
    def __init__(self, store: SqliteAnalyticsStore) -> None:
        self._store = store
        self._ids: dict[tuple[int, str], int] = {
            (kind, text): id_ for id_, kind, text in
            store.db.connection().execute("SELECT id, kind, text FROM labels")}

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
    for click in clicks:
        e = click.event
        cls = label(KIND_CLASS, _SEP.join((click.browser, click.os, click.device,
                                            str(int(click.is_bot)))))
        ua, ref = label(KIND_UA, e.user_agent), label(KIND_REF, e.referer)
        rows.append((e.click_id, e.code, e.timestamp, ua, ref, e.ip))
        counts[(e.code, DIM_CLASS, cls)] += 1
        counts[(e.code, DIM_DAY, int(e.timestamp // 86_400))] += 1
        counts[(e.code, DIM_UA, ua)] += 1
        counts[(e.code, DIM_REF, ref)] += 1
        kept = recent[e.code]
        row = (e.code, e.click_id, e.timestamp, ua, ref, e.ip, cls)
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
            "INSERT INTO recent VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            sorted((code, *r) for code, kept in recent.items() for r in kept))
        conn.execute(f"""DELETE FROM recent WHERE click_id < coalesce((SELECT r.click_id
            FROM recent AS r WHERE r.code = recent.code ORDER BY r.click_id DESC
            LIMIT 1 OFFSET {RECENT_KEPT - 1}), '')""")
    return total


def _flush(store: SqliteAnalyticsStore, rows: list[tuple[object, ...]],
           counts: Counter[tuple[str, int, int]]) -> int:
    with store.db.transaction() as conn:
        conn.executemany("INSERT INTO clicks VALUES (?, ?, ?, ?, ?, ?)", rows)
        conn.executemany(
            "INSERT INTO counts VALUES (?, ?, ?, ?) ON CONFLICT (code, dim, key) "
            "DO UPDATE SET count = count + excluded.count",
            ((*k, n) for k, n in sorted(counts.items())))
    return len(rows)
