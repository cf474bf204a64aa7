"""Rate-limit state in SQLite, shared by every worker process: one row per client,
its GCRA theoretical arrival time (:mod:`linkpulse.core.ratelimit`).

A row is useless once its time has passed, so rows older than that are deleted now and
then: the table holds at most the clients seen within one period, whatever an attacker
does with addresses.
"""

from __future__ import annotations

from pathlib import Path

from linkpulse.backends.sqlite.db import Database
from linkpulse.core.ratelimit import Rate, gcra

SCHEMA = """
CREATE TABLE IF NOT EXISTS rate_limits (
    key TEXT PRIMARY KEY,
    tat REAL NOT NULL
) WITHOUT ROWID;
"""
PURGE_EVERY = 256
"""Writes between two deletions of expired rows."""


class SqliteRateStore:
    def __init__(self, path: Path | str, synchronous: str = "NORMAL") -> None:
        self.db = Database(path, SCHEMA, synchronous)
        self._writes = 0

    def acquire(self, key: str, rate: Rate, now: float) -> float:
        with self.db.transaction() as conn:
            row = conn.execute("SELECT tat FROM rate_limits WHERE key = ?", (key,)).fetchone()
            tat, retry_after = gcra(None if row is None else row[0], now, rate)
            if retry_after == 0:
                conn.execute("INSERT INTO rate_limits (key, tat) VALUES (?, ?) "
                             "ON CONFLICT (key) DO UPDATE SET tat = excluded.tat", (key, tat))
                self._writes += 1
                if self._writes % PURGE_EVERY == 0:
                    conn.execute("DELETE FROM rate_limits WHERE tat < ?", (now,))
        return retry_after

    def count(self) -> int:
        return int(self.db.connection().execute("SELECT count(*) FROM rate_limits").fetchone()[0])

    def close(self) -> None:
        self.db.close()
