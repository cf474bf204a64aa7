"""Recorded clicks read back by click id from the SQLite analytics tables: the live click
stream's source (``core.events``), shared by every worker process through the file.

``clicks`` is keyed by click id alone (ids start with their millisecond timestamp), so a
read is a range of the primary key. A read of one link's clicks scans at most
``SCANNED`` clicks of that range and says how far it got, so a resume from long ago is
paged instead of scanning the whole table at once.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from linkpulse.backends.sqlite.db import Database
from linkpulse.core.errors import InvalidInput
from linkpulse.core.models import Click, ClickEvent, ClickPage
from linkpulse.core.useragent import classify

SCANNED = 20_000
"""Clicks one read of one link's clicks looks at, at most."""
BY_ID_CHUNK = 500

# ?1 after (""= latest), ?2 clicks scanned, ?3 code (NULL: every link), ?4 limit.
_WINDOW = """
WITH w AS (SELECT * FROM clicks WHERE click_id > ?1 ORDER BY click_id LIMIT ?2)
"""
_LATEST = """
WITH w AS (SELECT * FROM clicks ORDER BY click_id DESC LIMIT ?2)
"""
_COLUMNS = "w.click_id, w.code, w.ts, u.text, r.text, {country}"
_JOIN = "JOIN labels AS u ON u.id = w.ua JOIN labels AS r ON r.id = w.ref"
_SELECT = f"""
SELECT {_COLUMNS} FROM w {_JOIN}
WHERE ?3 IS NULL OR w.code = ?3 ORDER BY w.click_id {{order}} LIMIT ?4
"""
_BY_ID = f"SELECT {_COLUMNS} FROM clicks AS w {_JOIN} WHERE w.click_id IN ({{marks}})"


def _click(row: tuple[str, str, float, str, str, str]) -> Click:
    click_id, code, ts, user_agent, referer, country = row
    kind = classify(user_agent)
    return Click(ClickEvent(click_id, code, ts, user_agent, referer, "", country or ""),
                 kind.browser, kind.os, kind.device, kind.is_bot, "")


class SqliteClickFeed:
    """Reads the clicks an analytics store (:class:`SqliteAnalyticsStore`) recorded."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def _country(self, conn: sqlite3.Connection) -> str:
        """The clicks' country column if this layout has one."""
        columns = {row[1] for row in conn.execute("PRAGMA table_info(clicks)")}
        return "w.country" if "country" in columns else "''"

    def clicks_after(self, code: str | None, after: str, limit: int) -> ClickPage:
        if limit < 1:
            raise InvalidInput("limit must be positive")
        scanned = limit if code is None else max(limit, SCANNED)
        with self.db.transaction(immediate=False) as conn:  # one snapshot for both reads
            select = _SELECT.format(country=self._country(conn),
                                    order="ASC" if after else "DESC")
            window = _WINDOW if after else _LATEST
            params = (after, scanned, code, limit)
            rows = conn.execute(window + select, params).fetchall()
            if not after:
                rows.reverse()
                newest = conn.execute("SELECT max(click_id) FROM clicks").fetchone()[0]
                return ClickPage([_click(r) for r in rows], newest or "")
            if len(rows) == limit:
                end = rows[-1][0]
            else:
                end = conn.execute(_WINDOW + "SELECT max(click_id) FROM w",
                                   (after, scanned)).fetchone()[0] or after
        return ClickPage([_click(r) for r in rows], end)

    def click_ids_after(self, after: str, limit: int) -> list[str]:
        rows = self.db.connection().execute(
            "SELECT click_id FROM clicks WHERE click_id > ? ORDER BY click_id LIMIT ?",
            (after, limit)).fetchall()
        return [row[0] for row in rows]

    def clicks_by_id(self, ids: Sequence[str]) -> list[Click]:
        out: list[Click] = []
        conn = self.db.connection()
        country = self._country(conn)
        for start in range(0, len(ids), BY_ID_CHUNK):
            chunk = list(ids[start:start + BY_ID_CHUNK])
            sql = _BY_ID.format(country=country, marks=",".join("?" * len(chunk)))
            out += [_click(row) for row in conn.execute(sql, chunk)]
        return out
