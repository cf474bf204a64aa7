"""Exact, all-time click analytics in SQLite.

``clicks`` holds one row per click, keyed by click id: a click that is already there is
not counted again, which is what makes redelivery harmless. The counters are
pre-aggregated per link, in two tables shaped by how they are read:

- ``tallies``: dimensions with few keys per link: the day, and the class (browser, OS,
  device and bot flag joined in one key, so a click bumps one class row instead of
  five: stats add the classes up into the total, the bots and the counts per browser,
  OS and device). Stats read a link's whole range of them, so they need no index
  beyond their key, and bumping one is a single b-tree update.
- ``rankings``: dimensions with open-ended keys (user agent, referer), whose top-N is
  read through an index on the count.

A batch is recorded set-wise in one transaction: the clicks go into a per-connection
scratch table, the ones already recorded are dropped, the rest are inserted, and every
counter they bump is upserted, by a handful of statements whatever the batch size.
Stats read a handful of counter rows, never the clicks.
"""

from __future__ import annotations

import sqlite3
import time
from collections import Counter as Tally
from collections.abc import Iterable, Sequence
from pathlib import Path

from linkpulse.backends.sqlite.db import Database
from linkpulse.core.models import Analytics, Click, ClickEvent, Count

# A link's count per (dimension, key); tallies and rankings share this shape.
_COUNTERS = """
CREATE TABLE IF NOT EXISTS {name} (
    code  TEXT NOT NULL,
    dim   TEXT NOT NULL,
    key   TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (code, dim, key)
) WITHOUT ROWID;"""

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS clicks (
    click_id   TEXT PRIMARY KEY,
    code       TEXT NOT NULL,
    ts         REAL NOT NULL,
    user_agent TEXT NOT NULL,
    referer    TEXT NOT NULL,
    ip         TEXT NOT NULL,
    browser    TEXT NOT NULL,
    os         TEXT NOT NULL,
    device     TEXT NOT NULL,
    is_bot     INTEGER NOT NULL,
    day        TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS clicks_recent ON clicks (code, click_id);
{_COUNTERS.format(name="tallies")}
{_COUNTERS.format(name="rankings")}
CREATE INDEX IF NOT EXISTS rankings_top ON rankings (code, dim, count);
"""

# Before tallies and rankings, every counter lived in one indexed table, ``counters``,
# with browser, OS, device and bots counted apart: those rows move to ``tallies`` as
# they are, and stats add them to the class rows.
_MIGRATE_COUNTERS = """
INSERT INTO tallies SELECT code, dim, key, count FROM counters
    WHERE dim NOT IN ('ua', 'ref') ORDER BY code, dim, key;
INSERT INTO rankings SELECT code, dim, key, count FROM counters
    WHERE dim IN ('ua', 'ref') ORDER BY code, dim, key;
DROP TABLE counters;
"""

_SCRATCH = """
CREATE TEMP TABLE IF NOT EXISTS incoming (
    click_id TEXT PRIMARY KEY, code TEXT, ts REAL, user_agent TEXT, referer TEXT, ip TEXT,
    browser TEXT, os TEXT, device TEXT, is_bot INTEGER, day TEXT
) WITHOUT ROWID
"""

# One row per click; a click id seen twice in the batch counts once.
_STAGE = """
INSERT INTO temp.incoming VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (click_id) DO NOTHING
"""
_DROP_SEEN = """
DELETE FROM temp.incoming
WHERE EXISTS (SELECT 1 FROM main.clicks WHERE clicks.click_id = incoming.click_id)
"""
_INSERT_CLICKS = "INSERT INTO main.clicks SELECT * FROM temp.incoming ORDER BY click_id"

# Every counter a new click bumps. Rankings are summed per key first: each change of a
# count moves its index entry, so one change per key beats one per click.
_BUMP = """
INSERT INTO main.{table} (code, dim, key, count)
SELECT code, dim, key, {count} FROM ({bumps}) WHERE true {group}
ON CONFLICT (code, dim, key) DO UPDATE SET count = count + excluded.count
"""
_BUMP_TALLIES = _BUMP.format(table="tallies", count="1", group="", bumps=" UNION ALL ".join((
    "SELECT code, 'class' AS dim, browser || char(31) || os || char(31) || device || char(31)"
    " || is_bot AS key FROM temp.incoming",
    "SELECT code, 'day', day FROM temp.incoming",
)))
_BUMP_RANKINGS = _BUMP.format(table="rankings", count="count(*)",
                             group="GROUP BY code, dim, key", bumps=" UNION ALL ".join((
    "SELECT code, 'ua' AS dim, user_agent AS key FROM temp.incoming",
    "SELECT code, 'ref', referer FROM temp.incoming",
)))

DAYS_SHOWN = 366
_SEP = "\x1f"
"""Joins a click's browser, OS, device and bot flag into one ``class`` tally key."""


def _counts(rows: Iterable[tuple[str, int]]) -> tuple[Count, ...]:
    return tuple(Count(key, n) for key, n in rows)


def _top(tally: Tally[str], n: int) -> tuple[Count, ...]:
    return _counts(sorted(tally.items(), key=lambda kv: (-kv[1], kv[0]))[:n])


def _row(click: Click) -> tuple[object, ...]:
    e = click.event
    return (e.click_id, e.code, e.timestamp, e.user_agent, e.referer, e.ip,
            click.browser, click.os, click.device, int(click.is_bot), click.day)


class SqliteAnalyticsStore:
    def __init__(self, path: Path | str, synchronous: str = "NORMAL") -> None:
        self.db = Database(path, SCHEMA, synchronous)
        with self.db.transaction() as conn:
            if conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'counters'"
            ).fetchone():
                for statement in _MIGRATE_COUNTERS.split(";"):
                    if statement.strip():
                        conn.execute(statement)

    def record(self, clicks: Sequence[Click]) -> int:
        if not clicks:
            return 0
        conn = self.db.connection()
        # Staging touches only this connection's temp schema: it needs no write lock,
        # so other processes keep writing meanwhile.
        self._scratch(conn)
        conn.execute("BEGIN")
        try:
            conn.execute("DELETE FROM temp.incoming")
            conn.executemany(_STAGE, map(_row, clicks))
        finally:
            conn.execute("COMMIT")
        with self.db.transaction() as conn:
            conn.execute(_DROP_SEEN)
            recorded = conn.execute(_INSERT_CLICKS).rowcount
            conn.execute(_BUMP_TALLIES)
            conn.execute(_BUMP_RANKINGS)
        return recorded

    @staticmethod
    def _scratch(conn: sqlite3.Connection) -> None:
        conn.execute("PRAGMA temp_store = MEMORY")
        conn.execute(_SCRATCH)

    def analytics(self, code: str, top: int = 5, recent: int = 10) -> Analytics:
        with self.db.transaction(immediate=False) as conn:  # one consistent snapshot
            classes = conn.execute(
                "SELECT dim, key, count FROM tallies WHERE code = ? "
                "AND dim IN ('class', 'total', 'browser', 'os', 'device', 'bots')", (code,),
            ).fetchall()
            days = conn.execute(
                "SELECT key, count FROM tallies WHERE code = ? AND dim = 'day' "
                "ORDER BY key DESC LIMIT ?", (code, DAYS_SHOWN),
            ).fetchall()
            user_agents, referers = (conn.execute(
                "SELECT key, count FROM rankings WHERE code = ? AND dim = ? "
                "ORDER BY count DESC, key LIMIT ?", (code, dim, top),
            ).fetchall() for dim in ("ua", "ref"))
            rows = conn.execute(
                "SELECT click_id, code, ts, user_agent, referer, ip, browser, os, device, "
                "is_bot, day FROM clicks WHERE code = ? ORDER BY click_id DESC LIMIT ?",
                (code, recent),
            ).fetchall()
        browsers: Tally[str] = Tally()
        systems: Tally[str] = Tally()
        devices: Tally[str] = Tally()
        total = bots = 0
        for dim, key, n in classes:
            if dim == "class":  # every click has exactly one class: they add up to the total
                browser, os_family, device, is_bot = key.split(_SEP)
                browsers[browser] += n
                systems[os_family] += n
                devices[device] += n
                total += n
                bots += n if is_bot == "1" else 0
            elif dim == "total":  # the rest were counted apart before (_MIGRATE_COUNTERS)
                total += n
            elif dim == "bots":
                bots += n
            else:
                {"browser": browsers, "os": systems, "device": devices}[dim][key] += n
        return Analytics(
            total=total,
            bots=bots,
            user_agents=_counts(user_agents),
            referers=_counts(referers),
            browsers=_top(browsers, top),
            os=_top(systems, top),
            devices=_top(devices, top),
            days=_counts(reversed(days)),
            recent=tuple(
                Click(ClickEvent(*r[:6]), r[6], r[7], r[8], bool(r[9]), r[10]) for r in rows
            ),
        )

    def totals(self, codes: Sequence[str]) -> dict[str, tuple[int, int]]:
        out: dict[str, tuple[int, int]] = {}
        conn = self.db.connection()
        for start in range(0, len(codes), 500):
            chunk = list(codes[start:start + 500])
            marks = ",".join("?" * len(chunk))
            for code, total, bots in conn.execute(
                "SELECT code, sum(count) FILTER (WHERE dim IN ('class', 'total')), "
                "coalesce(sum(count) FILTER (WHERE (dim = 'class' AND key LIKE '%' || "
                "char(31) || '1') OR dim = 'bots'), 0) "
                f"FROM tallies WHERE code IN ({marks}) "
                "AND dim IN ('class', 'total', 'bots') GROUP BY code", chunk,
            ):
                out[code] = (int(total or 0), int(bots))
        return out

    def purge_clicks(self, retention_days: int, now: float | None = None) -> int:
        """Delete raw click rows older than the retention; counters are kept forever.

        Click ids start with their millisecond timestamp in hex, so this is a range
        delete on the primary key.
        """
        cutoff_ms = int(((time.time() if now is None else now) - retention_days * 86_400) * 1000)
        with self.db.transaction() as conn:
            return conn.execute(
                "DELETE FROM clicks WHERE click_id < ?", (f"{max(cutoff_ms, 0):012x}",)
            ).rowcount

    def close(self) -> None:
        self.db.close()
