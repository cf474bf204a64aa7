"""Links in SQLite: a conditional insert is ``INSERT ... ON CONFLICT DO NOTHING``.

Every edit also appends the code to ``link_changes``, a short log each process's link
cache reads (at most twice a second) to drop what another process changed.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from linkpulse.backends.sqlite.db import Database
from linkpulse.core.errors import CodeTaken
from linkpulse.core.models import Link, LinkQuery

SCHEMA = """
CREATE TABLE IF NOT EXISTS links (
    code       TEXT PRIMARY KEY,
    url        TEXT NOT NULL,
    location   TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS link_changes (
    seq  INTEGER PRIMARY KEY,
    code TEXT NOT NULL,
    at   INTEGER NOT NULL
);
"""
# Columns added by link management; a database made before it gains them at open.
_MANAGED_COLUMNS = {
    "owner": "TEXT",
    "title": "TEXT",
    "tags": "TEXT NOT NULL DEFAULT '[]'",
    "forward_query": "INTEGER NOT NULL DEFAULT 0",
    "disabled": "INTEGER NOT NULL DEFAULT 0",
    "deleted": "INTEGER NOT NULL DEFAULT 0",
}
_INDEXES = """
CREATE INDEX IF NOT EXISTS links_owner_created ON links (owner, created_at, code);
CREATE INDEX IF NOT EXISTS links_created ON links (created_at, code);
"""
_COLUMNS = ("code, url, location, created_at, expires_at, owner, title, tags, "
            "forward_query, disabled, deleted")
CHANGE_LOG_SECONDS = 3_600
"""How long an edit stays in ``link_changes``; a cache that has not looked for longer
drops everything it holds."""


def _link(row: tuple[Any, ...]) -> Link:
    code, url, location, created, expires, owner, title, tags, fwd, disabled, deleted = row
    return Link(code, url, location, created, expires, owner, title, tuple(json.loads(tags)),
                bool(fwd), bool(disabled), bool(deleted))


def _values(link: Link) -> tuple[Any, ...]:
    return (link.code, link.url, link.location, link.created_at, link.expires_at, link.owner,
            link.title, json.dumps(list(link.tags)), int(link.forward_query),
            int(link.disabled), int(link.deleted))


class SqliteLinkStore:
    def __init__(self, path: Path | str, synchronous: str = "NORMAL") -> None:
        self.db = Database(path, SCHEMA, synchronous)
        self._migrate()

    def _migrate(self) -> None:
        conn = self.db.connection()
        have = {row[1] for row in conn.execute("PRAGMA table_info(links)")}
        missing = [(n, t) for n, t in _MANAGED_COLUMNS.items() if n not in have]
        if missing:
            with self.db.transaction() as tx:
                have = {row[1] for row in tx.execute("PRAGMA table_info(links)")}
                for name, kind in missing:
                    if name not in have:
                        tx.execute(f"ALTER TABLE links ADD COLUMN {name} {kind}")
        conn.executescript(_INDEXES)

    def create_if_absent(self, link: Link) -> None:
        with self.db.transaction() as conn:
            cur = conn.execute(
                f"INSERT INTO links ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (code) DO NOTHING", _values(link))
            if cur.rowcount != 1:
                raise CodeTaken(link.code)

    def get(self, code: str) -> Link | None:
        row = self.db.connection().execute(
            f"SELECT {_COLUMNS} FROM links WHERE code = ?", (code,)).fetchone()
        return None if row is None else _link(row)

    def update(self, link: Link) -> None:
        now = int(time.time())
        with self.db.transaction() as conn:
            conn.execute(f"REPLACE INTO links ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, "
                         "?, ?)", _values(link))
            conn.execute("INSERT INTO link_changes (code, at) VALUES (?, ?)", (link.code, now))
            conn.execute("DELETE FROM link_changes WHERE at < ?", (now - CHANGE_LOG_SECONDS,))

    def changes_since(self, seq: int) -> tuple[int, list[str] | None]:
        """(latest change, codes changed after ``seq``), or None for the codes when the
        log no longer reaches back to ``seq`` (the caller must forget everything)."""
        conn = self.db.connection()
        first, last = conn.execute("SELECT min(seq), max(seq) FROM link_changes").fetchone()
        if last is None or last <= seq:
            return seq if last is None else last, []
        if seq and first > seq + 1:
            return last, None
        rows = conn.execute("SELECT code FROM link_changes WHERE seq > ?", (seq,)).fetchall()
        return last, [r[0] for r in rows]

    def query(self, query: LinkQuery) -> list[Link]:
        where, args = self._where(query)
        if query.after is not None:
            where.append("(created_at, code) < (?, ?)")
            args += list(query.after)
        rows = self.db.connection().execute(
            f"SELECT {_COLUMNS} FROM links WHERE {' AND '.join(where)} "
            "ORDER BY created_at DESC, code DESC LIMIT ?", (*args, query.limit)).fetchall()
        return [_link(row) for row in rows]

    def codes(self, query: LinkQuery) -> list[str]:
        where, args = self._where(query)
        rows = self.db.connection().execute(
            f"SELECT code FROM links WHERE {' AND '.join(where)}", args).fetchall()
        return [row[0] for row in rows]

    @staticmethod
    def _where(query: LinkQuery) -> tuple[list[str], list[Any]]:
        where: list[str] = ["deleted = 0"]
        args: list[Any] = []
        if query.owner is not None:
            where.append("owner = ?")
            args.append(query.owner)
        if query.search:
            where.append("(instr(lower(code), ?) OR instr(lower(url), ?) "
                         "OR instr(lower(coalesce(title, '')), ?))")
            args += [query.search.lower()] * 3
        if query.tag:
            where.append("EXISTS (SELECT 1 FROM json_each(links.tags) WHERE value = ?)")
            args.append(query.tag)
        if query.created_from is not None:
            where.append("created_at >= ?")
            args.append(query.created_from)
        if query.created_to is not None:
            where.append("created_at <= ?")
            args.append(query.created_to)
        return where, args

    def list_links(self, limit: int) -> list[Link]:
        """Up to ``limit`` live links, in code order: to fill a cache at start-up."""
        rows = self.db.connection().execute(
            f"SELECT {_COLUMNS} FROM links WHERE deleted = 0 LIMIT ?", (limit,)).fetchall()
        return [_link(row) for row in rows]

    def count(self) -> int:
        return int(self.db.connection().execute("SELECT count(*) FROM links").fetchone()[0])

    def close(self) -> None:
        self.db.close()


