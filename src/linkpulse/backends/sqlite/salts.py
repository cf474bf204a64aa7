"""The visitor salt in SQLite: one row, next to the links, overwritten each day.

The row is updated in place (``secure_delete`` zeroes the old bytes in the page), so the
previous day's salt survives only in the write-ahead log until that is checkpointed
and overwritten."""

from __future__ import annotations

from pathlib import Path

from linkpulse.backends.sqlite.db import Database

SCHEMA = """
CREATE TABLE IF NOT EXISTS visitor_salt (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    day  INTEGER NOT NULL,
    salt BLOB NOT NULL
);
"""


class SqliteSaltStore:
    def __init__(self, path: Path | str, synchronous: str = "NORMAL") -> None:
        self.db = Database(path, SCHEMA, synchronous)

    def day_salt(self, day: int, fresh: bytes) -> bytes | None:
        with self.db.transaction() as conn:
            conn.execute("PRAGMA secure_delete = ON")
            conn.execute(
                "INSERT INTO visitor_salt (id, day, salt) VALUES (1, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET day = excluded.day, salt = excluded.salt "
                "WHERE excluded.day > visitor_salt.day", (day, fresh))
            stored, salt = conn.execute("SELECT day, salt FROM visitor_salt").fetchone()
        return bytes(salt) if stored == day else None

    def close(self) -> None:
        self.db.close()
