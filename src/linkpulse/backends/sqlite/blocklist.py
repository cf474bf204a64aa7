"""The operator's domain blocklist in SQLite, next to the links, with a version stamp."""

from __future__ import annotations

import time
from pathlib import Path

from linkpulse.backends.sqlite.db import Database

SCHEMA = """
CREATE TABLE IF NOT EXISTS blocked_domains (
    domain   TEXT PRIMARY KEY,
    added_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS blocklist_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
"""
_BUMP = ("INSERT INTO blocklist_version (id, version) VALUES (1, 1) "
         "ON CONFLICT (id) DO UPDATE SET version = version + 1")


class SqliteBlocklist:
    def __init__(self, path: Path | str, synchronous: str = "NORMAL") -> None:
        self.db = Database(path, SCHEMA, synchronous)

    def version(self) -> object:
        row = self.db.connection().execute("SELECT version FROM blocklist_version").fetchone()
        return 0 if row is None else int(row[0])

    def domains(self) -> frozenset[str]:
        rows = self.db.connection().execute("SELECT domain FROM blocked_domains").fetchall()
        return frozenset(row[0] for row in rows)

    def add(self, domain: str) -> bool:
        with self.db.transaction() as conn:
            added = conn.execute(
                "INSERT INTO blocked_domains (domain, added_at) VALUES (?, ?) "
                "ON CONFLICT (domain) DO NOTHING", (domain, int(time.time()))).rowcount == 1
            if added:
                conn.execute(_BUMP)
        return added

    def remove(self, domain: str) -> bool:
        with self.db.transaction() as conn:
            removed = conn.execute(
                "DELETE FROM blocked_domains WHERE domain = ?", (domain,)).rowcount == 1
            if removed:
                conn.execute(_BUMP)
        return removed

    def close(self) -> None:
        self.db.close()
