"""Counts bumped into ``pending`` and merged into ``counts`` read the same as ever."""

from __future__ import annotations

import threading
from pathlib import Path

from linkpulse.backends.sqlite.analytics import MERGE_CHUNK, SqliteAnalyticsStore
from linkpulse.core.clicks import make_event
from linkpulse.core.models import Click
from linkpulse.core.service import enrich

T0 = 1_780_000_000.0


def _clicks(n: int, start: int) -> list[Click]:
    # referer i of 7 gets i+1 shares; agents cycle through 3; spread over 3 days
    refs = [f"https://r{i}.example/" for i in range(7) for _ in range(i + 1)]
    return [enrich(make_event("c0de", f"agent/{k % 3}", refs[k % len(refs)], "192.0.2.1",
                              now=T0 + k * 4_000)) for k in range(start, start + n)]


def test_merging_pending_counts_changes_no_analytics(tmp_path: Path) -> None:
    merged, unmerged = (SqliteAnalyticsStore(tmp_path / name) for name in ("a.db", "b.db"))
    try:
        for start in range(0, 168, 28):
            batch = _clicks(28, start)
            for store in (merged, unmerged):
                store.record(batch)
            if start == 56:
                merged.merge()  # some counts in counts, the rest pending
        a, b = merged.analytics("c0de"), unmerged.analytics("c0de")
        rows = merged.db.connection().execute("SELECT count(*) FROM pending").fetchone()[0]
    finally:
        merged.close()
        unmerged.close()
    assert rows > 0
    assert a == b
    assert a.total == 168
    assert [c.key for c in a.referers] == [f"https://r{i}.example/" for i in (6, 5, 4, 3, 2)]
    assert sum(d.count for d in a.days) == 168
    assert len(a.recent) == 10


def test_a_link_with_more_pending_counters_than_a_merge_step_is_merged(tmp_path: Path) -> None:
    """One link's pending rows are never split across merge steps: a link with more of
    them than a step takes is merged whole, and the merge ends."""
    store = SqliteAnalyticsStore(tmp_path / "a.db")
    n = MERGE_CHUNK  # distinct agents and referers: ~2 pending rows per click
    try:
        store.record([enrich(make_event("c0de", f"agent/{k}", f"https://r{k}.example/",
                                        "192.0.2.1", now=T0 + k)) for k in range(n)])
        merger = threading.Thread(target=store.merge, daemon=True)
        merger.start()
        merger.join(timeout=60)
        assert not merger.is_alive(), "the merge did not end"
        left = store.db.connection().execute("SELECT count(*) FROM pending").fetchone()[0]
        total = store.analytics("c0de").total
    finally:
        store.close()
    assert left == 0
    assert total == n


def test_a_merge_over_many_steps_folds_every_link(tmp_path: Path) -> None:
    """GIVEN pending counts of many links, more than one merge step takes
    WHEN they are merged THEN nothing is left pending and every link reads the same."""
    store = SqliteAnalyticsStore(tmp_path / "a.db")
    links = [f"l{i:04d}" for i in range(MERGE_CHUNK // 2)]  # ~11 pending rows per click
    try:
        store.record([enrich(make_event(code, f"agent/{i % 7}", "", "192.0.2.1",
                                        now=T0 + i)) for i, code in enumerate(links)])
        before = {code: store.analytics(code) for code in links[::97]}
        store.merge()
        left = store.db.connection().execute("SELECT count(*) FROM pending").fetchone()[0]
        after = {code: store.analytics(code) for code in links[::97]}
        totals = store.totals(links)
    finally:
        store.close()
    assert left == 0
    assert after == before
    assert all(totals[code][0] == 1 for code in links)
