"""API keys in SQLite, next to the links they own: only hashes are stored."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from linkpulse.backends.sqlite.db import Database
from linkpulse.core.errors import KeyNameTaken
from linkpulse.core.models import ApiKey

SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    hash         TEXT NOT NULL,
    scopes       TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER,
    revoked_at   INTEGER,
    last_used_at INTEGER
) WITHOUT ROWID;
"""
_COLUMNS = "id, name, hash, scopes, created_at, expires_at, revoked_at, last_used_at"


def _key(row: tuple[object, ...]) -> ApiKey:
    key_id, name, hash_, scopes, created, expires, revoked, used = row
    return ApiKey(str(key_id), str(name), str(hash_), frozenset(str(scopes).split()),
                  int(created),  # type: ignore[call-overload]
                  expires, revoked, used)  # type: ignore[arg-type]


class SqliteKeyStore:
    def __init__(self, path: Path | str, synchronous: str = "NORMAL") -> None:
        self.db = Database(path, SCHEMA, synchronous)

    def add_key(self, key: ApiKey) -> None:
        try:
            with self.db.transaction() as conn:
                conn.execute(f"INSERT INTO api_keys ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                             (key.id, key.name, key.hash, " ".join(sorted(key.scopes)),
                              key.created_at, key.expires_at, key.revoked_at,
                              key.last_used_at))
        except sqlite3.IntegrityError as exc:
            raise KeyNameTaken(f"an API key named {key.name!r} exists already") from exc

    def get_key(self, key_id: str) -> ApiKey | None:
        row = self.db.connection().execute(
            f"SELECT {_COLUMNS} FROM api_keys WHERE id = ?", (key_id,)).fetchone()
        return None if row is None else _key(row)

    def list_keys(self) -> list[ApiKey]:
        rows = self.db.connection().execute(
            f"SELECT {_COLUMNS} FROM api_keys ORDER BY created_at, name").fetchall()
        return [_key(row) for row in rows]

    def revoke_key(self, name: str, now: int) -> ApiKey | None:
        with self.db.transaction() as conn:
            row = conn.execute(
                f"UPDATE api_keys SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL "
                f"RETURNING {_COLUMNS}", (now, name)).fetchone()
        return None if row is None else _key(row)

    def touch_key(self, key_id: str, now: int) -> None:
        with self.db.transaction() as conn:
            conn.execute("UPDATE api_keys SET last_used_at = ? WHERE id = ?", (now, key_id))

    def close(self) -> None:
        self.db.close()
