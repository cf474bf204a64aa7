"""Exact, all-time click analytics in SQLite.

``clicks`` holds one row per click, keyed by click id: inserting a click that is already
there does nothing, which is what makes redelivery harmless. ``counters`` holds the
pre-aggregated totals per link and dimension; they are bumped in the same transaction,
for new clicks only. Stats read a handful of counter rows, never the clicks.
"""

from __future__ import annotations

import time
from collections import Counter as Tally
from collections.abc import Sequence
from pathlib import Path

from linkpulse.backends.sqlite.db import Database
from linkpulse.core.models import Analytics, Click, ClickEvent, Count

SCHEMA = """
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
CREATE TABLE IF NOT EXISTS counters (
    code  TEXT NOT NULL,
    dim   TEXT NOT NULL,
    key   TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (code, dim, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS counters_top ON counters (code, dim, count);
"""

# Dimensions kept per link. "total" and "bots" have a single key, "".
TOP_DIMENSIONS = ("ua", "ref", "browser", "os", "device")
DAYS_SHOWN = 366


def dimensions(click: Click) -> list[tuple[str, str]]:
    """The (dimension, key) counters one click bumps."""
    event = click.event
    dims = [
        ("total", ""),
        ("ua", event.user_agent),
        ("ref", event.referer),
        ("browser", click.browser),
        ("os", click.os),
        ("device", click.device),
        ("day", click.day),
    ]
    if click.is_bot:
        dims.append(("bots", ""))
    return dims


class SqliteAnalyticsStore:
    def __init__(self, path: Path | str, synchronous: str = "NORMAL") -> None:
        self.db = Database(path, SCHEMA, synchronous)

    def record(self, clicks: Sequence[Click]) -> int:
        tally: Tally[tuple[str, str, str]] = Tally()
        with self.db.transaction() as conn:
            for click in clicks:
                e = click.event
                cur = conn.execute(
                    "INSERT INTO clicks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (click_id) DO NOTHING",
                    (e.click_id, e.code, e.timestamp, e.user_agent, e.referer, e.ip,
                     click.browser, click.os, click.device, int(click.is_bot), click.day),
                )
                if cur.rowcount == 1:
                    tally.update((e.code, dim, key) for dim, key in dimensions(click))
            conn.executemany(
                "INSERT INTO counters (code, dim, key, count) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (code, dim, key) DO UPDATE SET count = count + excluded.count",
                [(code, dim, key, n) for (code, dim, key), n in tally.items()],
            )
        return sum(n for (_, dim, _), n in tally.items() if dim == "total")

    def analytics(self, code: str, top: int = 5, recent: int = 10) -> Analytics:
        with self.db.transaction(immediate=False) as conn:  # one consistent snapshot
            singles = dict(conn.execute(
                "SELECT dim, count FROM counters WHERE code = ? AND dim IN ('total', 'bots')",
                (code,),
            ).fetchall())
            tops = {
                dim: tuple(Count(k, n) for k, n in conn.execute(
                    "SELECT key, count FROM counters WHERE code = ? AND dim = ? "
                    "ORDER BY count DESC, key LIMIT ?", (code, dim, top),
                ))
                for dim in TOP_DIMENSIONS
            }
            days = conn.execute(
                "SELECT key, count FROM counters WHERE code = ? AND dim = 'day' "
                "ORDER BY key DESC LIMIT ?", (code, DAYS_SHOWN),
            ).fetchall()
            rows = conn.execute(
                "SELECT click_id, code, ts, user_agent, referer, ip, browser, os, device, "
                "is_bot, day FROM clicks WHERE code = ? ORDER BY click_id DESC LIMIT ?",
                (code, recent),
            ).fetchall()
        return Analytics(
            total=singles.get("total", 0),
            bots=singles.get("bots", 0),
            user_agents=tops["ua"],
            referers=tops["ref"],
            browsers=tops["browser"],
            os=tops["os"],
            devices=tops["device"],
            days=tuple(Count(k, n) for k, n in reversed(days)),
            recent=tuple(
                Click(ClickEvent(*r[:6]), r[6], r[7], r[8], bool(r[9]), r[10]) for r in rows
            ),
        )

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
