"""Exact, all-time click analytics in SQLite (tables: ``analytics_schema``).

A batch is recorded set-wise in one transaction: the clicks go into a per-connection
scratch table, the ones already recorded are dropped, new user agents, referers and
classes get their label ids, then the rest are inserted and every counter they bump is
upserted, summed per counter and in key order, by a handful of statements whatever the
batch size. Stats read a handful of counter rows, never the clicks.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from linkpulse.backends.sqlite import analytics_reads as reads
from linkpulse.backends.sqlite.analytics_reads import SEP
from linkpulse.backends.sqlite.analytics_schema import (
    DIM_CLASS,
    DIM_COUNTRY,
    DIM_D_CLASS,
    DIM_D_COUNTRY,
    DIM_D_REF,
    DIM_D_UA,
    DIM_DAY,
    DIM_HOUR,
    DIM_LEGACY,
    DIM_REF,
    DIM_UA,
    DIM_UNIQUE,
    DIM_UNIQUE_ALL,
    FOLD_CAP,
    FOLD_KEY,
    KIND_CLASS,
    KIND_REF,
    KIND_UA,
    OTHER_CLASS,
    RECENT_KEPT,
    SCHEMA,
    migrate,
)
from linkpulse.backends.sqlite.db import Database, Pacer
from linkpulse.core.models import Analytics, Click, ClickEvent
from linkpulse.core.ranges import ALL_TIME, UNKNOWN_COUNTRY, StatsQuery

log = logging.getLogger("linkpulse.analytics")

_SCRATCH = ("""
CREATE TEMP TABLE IF NOT EXISTS incoming (
    click_id TEXT PRIMARY KEY, code TEXT, ts REAL, user_agent TEXT, referer TEXT, ip TEXT,
    class TEXT, ua INTEGER, ref INTEGER, cls INTEGER, country TEXT, cty INTEGER,
    visitor TEXT, day INTEGER, dk INTEGER, hk INTEGER, bot INTEGER,
    fua INTEGER, fref INTEGER, fcls INTEGER, fcty INTEGER, fresh INTEGER
) WITHOUT ROWID""", """
CREATE TEMP TABLE IF NOT EXISTS busy (code TEXT, day INTEGER, PRIMARY KEY (code, day))
    WITHOUT ROWID""")

# One row per click; a click id seen twice in the batch counts once. Label ids known to
# this process come staged; the others are looked up (or created) under the write lock.
_STAGE = """
INSERT INTO temp.incoming (click_id, code, ts, user_agent, referer, ip, class, ua, ref, cls,
    country, cty, visitor, day, dk, hk, bot)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (click_id) DO NOTHING
"""
_DROP_SEEN = """
DELETE FROM temp.incoming
WHERE EXISTS (SELECT 1 FROM main.clicks WHERE clicks.click_id = incoming.click_id)
"""
_LABEL = f"""
INSERT INTO main.labels (kind, text)
SELECT {KIND_UA}, user_agent FROM temp.incoming WHERE ua IS NULL UNION
SELECT {KIND_REF}, referer FROM temp.incoming WHERE ref IS NULL UNION
SELECT {KIND_CLASS}, class FROM temp.incoming WHERE cls IS NULL
ORDER BY 1, 2 ON CONFLICT DO NOTHING
"""
_LABEL_IDS = f"""
UPDATE temp.incoming SET
    ua = coalesce(ua, (SELECT id FROM main.labels WHERE kind = {KIND_UA} AND text = user_agent)),
    ref = coalesce(ref, (SELECT id FROM main.labels WHERE kind = {KIND_REF} AND text = referer)),
    cls = coalesce(cls, (SELECT id FROM main.labels WHERE kind = {KIND_CLASS} AND text = class))
WHERE ua IS NULL OR ref IS NULL OR cls IS NULL
"""
_LEARN = f"""
SELECT DISTINCT {KIND_UA}, user_agent, ua FROM temp.incoming UNION
SELECT DISTINCT {KIND_REF}, referer, ref FROM temp.incoming UNION
SELECT DISTINCT {KIND_CLASS}, class, cls FROM temp.incoming
"""
LABELS_CACHED = 100_000
"""Label ids a store remembers (emptied when full): user agents, referers and classes of
a realistic mix fit, so a batch's ids are mostly known before it takes the write lock."""


def _day_keys(table: str, dim: int, outer: str, column: str) -> str:
    """The keys of ``outer``'s label ``column`` on its click's day, bot or not."""
    return (f"SELECT 1 FROM main.{table} AS c WHERE c.code = {outer}.code AND c.dim = {dim} "
            f"AND c.key IN (({outer}.day << 33) | {outer}.{column}, "
            f"({outer}.day << 33) | 4294967296 | {outer}.{column})")


def _fold(column: str, dim: int, other: str) -> str:
    """Fold the labels of ``column`` that would be more than ``FOLD_CAP`` distinct ones
    of a link on a day into ``other``: the batch's new ones, in label order, once the
    day's counted ones (both tables, any bot flag) and those before them reach the cap.

    Only the link-days in ``temp.busy`` (``_BUSY``) can pass the cap; of those, the ones
    whose batch labels plus the day's counter rows pass it look their labels up one by
    one."""
    rows = " UNION ALL ".join(
        f"SELECT key & 4294967295 AS k FROM main.{table} WHERE code = d.code AND dim = {dim} "
        f"AND key >= d.day << 33 AND key < (d.day + 1) << 33" for table in ("counts", "pending"))
    return f"""
UPDATE temp.incoming AS i SET f{column} = {other} FROM (
    WITH crowded AS (
        SELECT code, day FROM (
            SELECT i.code, i.day, count(DISTINCT i.{column}) AS b FROM temp.busy AS y
            JOIN temp.incoming AS i ON i.code = y.code AND i.day = y.day
            GROUP BY i.code, i.day) AS d
        WHERE d.b + (SELECT count(*) FROM ({rows})) > {FOLD_CAP}),
    fresh AS (
        SELECT DISTINCT n.code, n.day, n.{column} AS k
        FROM temp.incoming AS n JOIN crowded AS c ON c.code = n.code AND c.day = n.day
        WHERE NOT EXISTS ({_day_keys("counts", dim, "n", column)})
            AND NOT EXISTS ({_day_keys("pending", dim, "n", column)})),
    used AS (
        SELECT code, day, (SELECT count(DISTINCT k) FROM ({rows})) AS n FROM crowded AS d)
    SELECT f.code, f.day, f.k FROM (
        SELECT *, row_number() OVER (PARTITION BY code, day ORDER BY k) AS r FROM fresh) AS f
    JOIN used AS u ON u.code = f.code AND u.day = f.day
    WHERE f.r + u.n > {FOLD_CAP}) AS o
WHERE i.code = o.code AND i.day = o.day AND i.{column} = o.k
"""


# The link-days of the batch with more than FOLD_CAP clicks, the day's counted ones
# included: only they can have more than FOLD_CAP distinct keys of a dimension (each
# click brings at most one, and counters are never deleted). Two point reads per
# link-day; most of a realistic batch's link-days (the long tail of links) are not busy,
# and when none is the folds are skipped.
_BUSY = f"""
INSERT INTO temp.busy (code, day)
SELECT d.code, d.day FROM (
    SELECT code, day, count(*) AS b FROM temp.incoming GROUP BY code, day) AS d
WHERE d.b + coalesce((SELECT c.count FROM main.counts AS c WHERE c.code = d.code
                      AND c.dim = {DIM_DAY} AND c.key = d.day), 0)
          + coalesce((SELECT p.count FROM main.pending AS p WHERE p.code = d.code
                      AND p.dim = {DIM_DAY} AND p.key = d.day), 0) > {FOLD_CAP}
"""
_FOLDS = (
    _fold("ua", DIM_D_UA, str(FOLD_KEY)),
    _fold("ref", DIM_D_REF, str(FOLD_KEY)),
    _fold("cty", DIM_D_COUNTRY, str(FOLD_KEY)),
    _fold("cls", DIM_D_CLASS, "CASE i.bot WHEN 1 THEN ?2 ELSE ?1 END"),
)
# A visitor is new the first time its hash is seen for a link on a day; the click that
# brings it (the first in the batch) adds one to the day's uniques.
_NEW_VISITORS = """
UPDATE temp.incoming SET fresh = 1 WHERE click_id IN (
    SELECT min(click_id) FROM temp.incoming AS n WHERE visitor <> '' AND NOT EXISTS (
        SELECT 1 FROM main.visitors AS v
        WHERE v.day = n.day AND v.code = n.code AND v.visitor = n.visitor)
    GROUP BY day, code, visitor)
"""
_KEEP_VISITORS = """
INSERT INTO main.visitors SELECT day, code, visitor FROM temp.incoming WHERE fresh
ORDER BY day, code, visitor
"""
VISITOR_DAYS = 18
"""Days of visitor hashes kept: as long as a click can wait on the queue and then among
the dead letters (4 + 14 days), so a late click still meets its day's visitors. Older
ones are dropped at each merge: their uniques are counted."""
_INSERT_CLICKS = """
INSERT INTO main.clicks (click_id, code, ts, ua, ref, ip, country)
SELECT click_id, code, ts, ua, ref, ip, country FROM temp.incoming ORDER BY click_id
"""
_F = {name: f"coalesce(f{name}, {name})" for name in ("ua", "ref", "cls", "cty")}
# Every counter a new click bumps, summed per counter first, into pending.
_BUMP = f"""
INSERT INTO main.pending (code, dim, key, count)
SELECT code, dim, key, count(*) FROM (
    SELECT code, {DIM_CLASS} AS dim, {_F["cls"]} AS key FROM temp.incoming UNION ALL
    SELECT code, {DIM_DAY}, day FROM temp.incoming UNION ALL
    SELECT code, {DIM_UA}, {_F["ua"]} FROM temp.incoming UNION ALL
    SELECT code, {DIM_REF}, {_F["ref"]} FROM temp.incoming UNION ALL
    SELECT code, {DIM_COUNTRY}, {_F["cty"]} FROM temp.incoming UNION ALL
    SELECT code, {DIM_HOUR}, hk FROM temp.incoming UNION ALL
    SELECT code, {DIM_D_CLASS}, (dk << 32) | {_F["cls"]} FROM temp.incoming UNION ALL
    SELECT code, {DIM_D_UA}, (dk << 32) | {_F["ua"]} FROM temp.incoming UNION ALL
    SELECT code, {DIM_D_REF}, (dk << 32) | {_F["ref"]} FROM temp.incoming UNION ALL
    SELECT code, {DIM_D_COUNTRY}, (dk << 32) | {_F["cty"]} FROM temp.incoming UNION ALL
    SELECT code, {DIM_UNIQUE}, dk FROM temp.incoming WHERE fresh UNION ALL
    SELECT code, {DIM_UNIQUE_ALL}, bot FROM temp.incoming WHERE fresh
) WHERE true GROUP BY code, dim, key
ON CONFLICT (code, dim, key) DO UPDATE SET count = count + excluded.count
"""
_KEEP_RECENT = f"""
INSERT INTO main.recent (code, click_id, ts, ua, ref, ip, class, country)
SELECT code, click_id, ts, ua, ref, ip, cls, country FROM (
    SELECT *, row_number() OVER (PARTITION BY code ORDER BY click_id DESC) AS n
    FROM temp.incoming) WHERE n <= {RECENT_KEPT} ORDER BY code, click_id
"""
# Fold pending into counts in key order (ranked counts move their index entries once
# per merge), and trim the recent clicks of the links they belong to: one range of
# codes [?1, ?2) per transaction, or [?1, end) for the last. The two forms are apart
# because SQLite bounds a scan only by a plain comparison: with "?2 IS NULL OR code <
# ?2" every step read pending from its start code to the end, so a merge cost the
# square of its rows (1,044 steps over the rows of 200k clicks: ~90 ms each).


def _merge(range_: str) -> tuple[str, ...]:
    return (
        f"""INSERT INTO main.counts SELECT code, dim, key, count FROM main.pending
           WHERE {range_} ORDER BY code, dim, key
           ON CONFLICT (code, dim, key) DO UPDATE SET count = count + excluded.count""",
        f"""DELETE FROM main.recent WHERE code IN (SELECT DISTINCT code FROM main.pending
                                                  WHERE {range_})
            AND click_id < coalesce((SELECT r.click_id FROM main.recent AS r
                WHERE r.code = recent.code ORDER BY r.click_id DESC
                LIMIT 1 OFFSET {RECENT_KEPT - 1}), '')""",
        f"DELETE FROM main.pending WHERE {range_}",
    )


_MERGE = _merge("code >= ?1 AND code < ?2")
_MERGE_LAST = _merge("code >= ?1")
_FORGET_VISITORS = "DELETE FROM main.visitors WHERE day < ?"
_MERGE_BOUND = "SELECT code FROM main.pending WHERE code >= ? ORDER BY code LIMIT 1 OFFSET ?"
_NEXT_CODE = "SELECT code FROM main.pending WHERE code > ? ORDER BY code LIMIT 1"
MERGE_CHUNK = 2_000
"""Pending rows merged by the first transaction of a merge; then as many as fit in the
write lock's share (``db.Pacer``): the consumers commit between chunks."""
MERGE_ROWS = 50_000
"""Pending counter rows (~2 MiB) that make a consumer merge them into ``counts``. Also
the bound of a stats read's extra work: a link's top-N reads its pending keys."""

PURGE_CHUNK = 2_000
"""Click rows deleted by the first transaction of a retention purge; then as many as
fit in the write lock's share (``db.Pacer``)."""


_CLICKS = """
SELECT c.click_id, c.code, c.ts, u.text, f.text, c.ip, c.country
FROM clicks AS c JOIN labels AS u ON u.id = c.ua JOIN labels AS f ON f.id = c.ref
WHERE c.click_id >= ? AND c.click_id < ? AND c.code = ? ORDER BY c.click_id LIMIT ?
"""


def _country(country: str) -> str:
    """The click's country if it is an ISO code, else "" (unknown)."""
    return country if len(country) == 2 and country.isascii() and country.isupper() else ""


class SqliteAnalyticsStore:
    def __init__(self, path: Path | str, synchronous: str = "NORMAL") -> None:
        self.db = Database(path, SCHEMA, synchronous)
        with self.db.transaction() as conn:
            migrate(conn)
            self._other_classes = tuple(conn.execute(
                "SELECT id FROM labels WHERE kind = ? AND text = ?",
                (KIND_CLASS, OTHER_CLASS.format(bot=bot))).fetchone()[0] for bot in (0, 1))
        # (kind, text) -> id of labels seen committed: ids never change once given.
        self._label_ids: dict[tuple[int, str], int] = {}
        self._lock = threading.Lock()
        self._merger: threading.Thread | None = None
        self._closing = threading.Event()
        self._bumped = 0
        """Pending rows this store has bumped since its last merge (rows other
        processes bumped are merged by them, or with these)."""

    def _rows(self, clicks: Sequence[Click]) -> tuple[list[tuple[object, ...]], bool, bool]:
        """Staged rows, whether any label id is still unknown, whether any click has a
        visitor hash."""
        ids = self._label_ids.get
        rows: list[tuple[object, ...]] = []
        unknown = visitors = False
        for click in clicks:
            e = click.event
            bot = int(click.is_bot)
            cls = f"{click.browser}{SEP}{click.os}{SEP}{click.device}{SEP}{bot}"
            ua, ref, cl = ids((KIND_UA, e.user_agent)), ids((KIND_REF, e.referer)), ids(
                (KIND_CLASS, cls))
            unknown = unknown or ua is None or ref is None or cl is None
            visitors = visitors or bool(e.visitor)
            country = _country(e.country)
            day = int(e.timestamp // 86_400)
            rows.append((e.click_id, e.code, e.timestamp, e.user_agent, e.referer, e.ip, cls,
                         ua, ref, cl, country, reads.country_key(country or UNKNOWN_COUNTRY),
                         e.visitor[:64],
                         day, day << 1 | bot, int(e.timestamp // 3_600) << 1 | bot, bot))
        return rows, unknown, visitors

    def _learn(self, conn: sqlite3.Connection) -> None:
        """Remember the label ids of the batch just committed."""
        learned = {(kind, text): id_ for kind, text, id_ in conn.execute(_LEARN)}
        with self._lock:
            if len(self._label_ids) + len(learned) > LABELS_CACHED:
                self._label_ids.clear()
            self._label_ids.update(learned)

    def record(self, clicks: Sequence[Click]) -> int:
        if not clicks:
            return 0
        conn = self.db.connection()
        # Staging touches only this connection's temp schema: it needs no write lock,
        # so other processes keep writing meanwhile.
        self._scratch(conn)
        rows, unknown, visitors = self._rows(clicks)
        conn.execute("BEGIN")
        try:
            conn.execute("DELETE FROM temp.incoming")
            conn.executemany(_STAGE, rows)
        finally:
            conn.execute("COMMIT")
        with self.db.transaction() as conn:
            conn.execute(_DROP_SEEN)
            if unknown:
                conn.execute(_LABEL)
                conn.execute(_LABEL_IDS)
            conn.execute("DELETE FROM temp.busy")
            if conn.execute(_BUSY).rowcount:
                for fold in _FOLDS:
                    conn.execute(fold, self._other_classes if "?1" in fold else ())
            if visitors:
                conn.execute(_NEW_VISITORS)
                conn.execute(_KEEP_VISITORS)
            recorded = conn.execute(_INSERT_CLICKS).rowcount
            bumped = conn.execute(_BUMP).rowcount
            conn.execute(_KEEP_RECENT)
        if unknown:
            self._learn(conn)
        self._bumped += bumped
        if self._bumped >= MERGE_ROWS:
            self._merge_in_background()
        return recorded

    def _merge_in_background(self) -> None:
        with self._lock:
            if self._merger is not None and self._merger.is_alive():
                return
            self._bumped = 0
            self._merger = threading.Thread(target=self._merge_logged, name="counts-merge",
                                            daemon=True)
            self._merger.start()

    def _merge_logged(self) -> None:
        try:
            self.merge()
        except Exception:
            log.exception("merging pending counts failed; the next merge takes them")

    def merge(self) -> None:
        """Fold the pending counts into ``counts`` in paced steps (``db.Pacer``), each
        its own transaction. Any process may (what one merged, the next does not
        see); clicks counted meanwhile are merged by the next one. Stops early once the
        store is closing (the rest waits for the next merge)."""
        low = ""
        pacer = Pacer(MERGE_CHUNK)
        while True:
            with pacer.step() as size, self.db.transaction() as conn:
                row = conn.execute(_MERGE_BOUND, (low, size)).fetchone()
                if row is not None and row[0] == low:
                    # one link has more pending rows than a step: all of them at once
                    # (a range of codes cannot split a link; [low, low) merged nothing)
                    row = conn.execute(_NEXT_CODE, (low,)).fetchone()
                high = None if row is None else row[0]
                statements, args = (_MERGE_LAST, (low,)) if high is None else (_MERGE, (low, high))
                for statement in statements:
                    conn.execute(statement, args)
                if not low:
                    conn.execute(_FORGET_VISITORS,
                                 (int(time.time() // 86_400) - VISITOR_DAYS + 1,))
            if high is None or self._closing.is_set():
                return
            low = high

    @staticmethod
    def _scratch(conn: sqlite3.Connection) -> None:
        conn.execute("PRAGMA temp_store = MEMORY")
        for statement in _SCRATCH:
            conn.execute(statement)

    def analytics(self, code: str, top: int = 5, recent: int = 10,
                  query: StatsQuery | None = None) -> Analytics:
        """``recent`` is at most ``RECENT_KEPT``: only that many are kept per link."""
        q = query or ALL_TIME
        with self.db.transaction(immediate=False) as conn:  # one consistent snapshot
            figures = (reads.ranged(conn, code, top, q) if q.ranged
                       else reads.all_time(conn, code, top))
            return replace(figures, hours=reads.hours(conn, code, q),
                           recent=reads.recent(conn, code, recent, q))

    def clicks(self, code: str, first_id: str, last_id: str, limit: int
               ) -> list[ClickEvent]:
        """Reads the click rows of every link in the id range (the clicks table is keyed
        by time only), keeping ``code``'s."""
        conn = self.db.connection()
        return [ClickEvent(*row) for row in conn.execute(_CLICKS, (first_id, last_id, code,
                                                                    limit))]

    def totals(self, codes: Sequence[str]) -> dict[str, tuple[int, int]]:
        out: dict[str, tuple[int, int]] = {}
        conn = self.db.connection()
        for start in range(0, len(codes), 500):
            chunk = list(codes[start:start + 500])
            marks = ",".join("?" * len(chunk))
            dims = f"dim IN ({DIM_CLASS}, {DIM_LEGACY['total']}, {DIM_LEGACY['bots']})"
            for code, total, bots in conn.execute(
                f"SELECT c.code, sum(c.count) FILTER (WHERE c.dim IN ({DIM_CLASS}, "
                f"{DIM_LEGACY['total']})), coalesce(sum(c.count) FILTER (WHERE (c.dim = "
                f"{DIM_CLASS} AND l.text LIKE '%' || char(31) || '1') OR c.dim = "
                f"{DIM_LEGACY['bots']}), 0) FROM ("
                f"SELECT code, dim, key, count FROM counts WHERE code IN ({marks}) AND {dims} "
                f"UNION ALL SELECT code, dim, key, count FROM pending WHERE code IN ({marks}) "
                f"AND {dims}) AS c LEFT JOIN labels AS l ON l.id = c.key GROUP BY c.code",
                chunk + chunk,
            ):
                out[code] = (int(total or 0), int(bots))
        return out

    def purge_clicks(self, retention_days: int, now: float | None = None) -> int:
        """Delete raw click rows older than the retention; counters are kept.

        Click ids start with their millisecond timestamp in hex, so this deletes ranges
        of the primary key from the front: ``PURGE_CHUNK`` rows per transaction, paced
        so that consumers commit between chunks, then gives the freed pages back to the
        file system a chunk at a time.
        """
        cutoff_ms = int(((time.time() if now is None else now) - retention_days * 86_400) * 1000)
        cutoff = f"{max(cutoff_ms, 0):012x}"
        purged = 0
        pacer = Pacer(PURGE_CHUNK, largest=PURGE_CHUNK * 10)
        while True:
            with pacer.step() as size, self.db.transaction() as conn:
                row = conn.execute(
                    "SELECT click_id FROM clicks WHERE click_id < ? ORDER BY click_id "
                    "LIMIT 1 OFFSET ?", (cutoff, size)).fetchone()
                deleted = conn.execute("DELETE FROM clicks WHERE click_id < ?",
                                       (cutoff if row is None else row[0],)).rowcount
            purged += deleted
            if row is None:
                break
        self.db.reclaim_free_pages()
        return purged

    def close(self) -> None:
        # A background merge stops after its current chunk (one bounded transaction):
        # closing the connections under it would crash the process.
        self._closing.set()
        merger = self._merger
        if merger is not None:
            merger.join()
        self.db.close()
