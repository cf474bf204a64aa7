"""Links in SQLite: a conditional insert is ``INSERT ... ON CONFLICT DO NOTHING``."""

from __future__ import annotations

from pathlib import Path

from linkpulse.backends.sqlite.db import Database
from linkpulse.core.errors import CodeTaken
from linkpulse.core.models import Link

SCHEMA = """
CREATE TABLE IF NOT EXISTS links (
    code       TEXT PRIMARY KEY,
    url        TEXT NOT NULL,
    location   TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER
) WITHOUT ROWID;
"""


class SqliteLinkStore:
    def __init__(self, path: Path | str, synchronous: str = "NORMAL") -> None:
        self.db = Database(path, SCHEMA, synchronous)

    def create_if_absent(self, link: Link) -> None:
        with self.db.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO links (code, url, location, created_at, expires_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (code) DO NOTHING",
                (link.code, link.url, link.location, link.created_at, link.expires_at),
            )
            if cur.rowcount != 1:
                raise CodeTaken(link.code)

    def get(self, code: str) -> Link | None:
        row = self.db.connection().execute(
            "SELECT code, url, location, created_at, expires_at FROM links WHERE code = ?",
            (code,),
        ).fetchone()
        return None if row is None else Link(*row)

    def list_links(self, limit: int) -> list[Link]:
        """Up to ``limit`` links, in code order: to fill a cache at start-up."""
        rows = self.db.connection().execute(
            "SELECT code, url, location, created_at, expires_at FROM links LIMIT ?", (limit,),
        ).fetchall()
        return [Link(*row) for row in rows]

    def count(self) -> int:
        return int(self.db.connection().execute("SELECT count(*) FROM links").fetchone()[0])

    def close(self) -> None:
        self.db.close()
