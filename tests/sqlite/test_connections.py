"""A SQLite file's connections belong to the threads that opened them."""

from __future__ import annotations

import threading
from pathlib import Path

from linkpulse.backends.sqlite.analytics import SqliteAnalyticsStore


def test_a_threads_connection_closes_when_the_thread_ends(tmp_path: Path) -> None:
    store = SqliteAnalyticsStore(tmp_path / "lp.db")
    try:
        before = store.db.open_connections()
        for _ in range(20):  # threads that read stats, then end (a pool retiring them)
            t = threading.Thread(target=store.analytics, args=("c0de",))
            t.start()
            t.join()
        assert store.db.open_connections() == before
    finally:
        store.close()
