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
from collections import Counter as Tally
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from linkpulse.backends.sqlite.analytics_schema import (
    DIM_CLASS,
    DIM_DAY,
    DIM_LEGACY,
    DIM_REF,
    DIM_UA,
    KIND_CLASS,
    KIND_REF,
    KIND_UA,
    RANKED_DIMS,
    RECENT_KEPT,
    SCHEMA,
    migrate,
)
from linkpulse.backends.sqlite.db import Database
from linkpulse.core.models import Analytics, Click, ClickEvent, Count

log = logging.getLogger("linkpulse.analytics")

_SCRATCH = """
CREATE TEMP TABLE IF NOT EXISTS incoming (
    click_id TEXT PRIMARY KEY, code TEXT, ts REAL, user_agent TEXT, referer TEXT, ip TEXT,
    class TEXT, ua INTEGER, ref INTEGER, cls INTEGER
) WITHOUT ROWID
"""

# One row per click; a click id seen twice in the batch counts once. Label ids known to
# this process come staged; the others are looked up (or created) under the write lock.
_STAGE = """
INSERT INTO temp.incoming VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
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
_INSERT_CLICKS = """
INSERT INTO main.clicks SELECT click_id, code, ts, ua, ref, ip FROM temp.incoming
ORDER BY click_id
"""
# Every counter a new click bumps, summed per counter first, into pending.
_BUMP = f"""
INSERT INTO main.pending (code, dim, key, count)
SELECT code, dim, key, count(*) FROM (
    SELECT code, {DIM_CLASS} AS dim, cls AS key FROM temp.incoming UNION ALL
    SELECT code, {DIM_DAY}, CAST(ts / 86400 AS INTEGER) FROM temp.incoming UNION ALL
    SELECT code, {DIM_UA}, ua FROM temp.incoming UNION ALL
    SELECT code, {DIM_REF}, ref FROM temp.incoming
) WHERE true GROUP BY code, dim, key
ON CONFLICT (code, dim, key) DO UPDATE SET count = count + excluded.count
"""
_KEEP_RECENT = f"""
INSERT INTO main.recent SELECT code, click_id, ts, ua, ref, ip, cls FROM (
    SELECT *, row_number() OVER (PARTITION BY code ORDER BY click_id DESC) AS n
    FROM temp.incoming) WHERE n <= {RECENT_KEPT} ORDER BY code, click_id
"""
# Fold pending into counts in key order (ranked counts move their index entries once
# per merge), and trim the recent clicks of the links they belong to: one range of
# codes [?1, ?2) per transaction (?2 NULL: to the end).
_RANGE = "code >= ?1 AND (?2 IS NULL OR code < ?2)"
_MERGE = (
    f"""INSERT INTO main.counts SELECT code, dim, key, count FROM main.pending
       WHERE {_RANGE} ORDER BY code, dim, key
       ON CONFLICT (code, dim, key) DO UPDATE SET count = count + excluded.count""",
    f"""DELETE FROM main.recent WHERE code IN (SELECT DISTINCT code FROM main.pending
                                              WHERE {_RANGE})
        AND click_id < coalesce((SELECT r.click_id FROM main.recent AS r
            WHERE r.code = recent.code ORDER BY r.click_id DESC
            LIMIT 1 OFFSET {RECENT_KEPT - 1}), '')""",
    f"DELETE FROM main.pending WHERE {_RANGE}",
)
_MERGE_BOUND = "SELECT code FROM main.pending WHERE code >= ? ORDER BY code LIMIT 1 OFFSET ?"
MERGE_CHUNK = 5_000
"""Pending rows merged per transaction: the consumers commit between chunks."""
MERGE_ROWS = 50_000
"""Pending counter rows (~2 MiB) that make a consumer merge them into ``counts``. Also
the bound of a stats read's extra work: a link's top-N reads its pending keys."""

# Reads add pending to counts. Rows of one counter in both tables add up in Python.
_CLASSES = " UNION ALL ".join(f"""
SELECT c.dim, l.text, c.count FROM {table} AS c JOIN labels AS l ON l.id = c.key
WHERE c.code = ?1 AND c.dim IN ({", ".join(map(str, (DIM_CLASS, *DIM_LEGACY.values())))})
""" for table in ("counts", "pending"))
_DAYS = " UNION ALL ".join(f"""
SELECT * FROM (SELECT key, count FROM {table} WHERE code = ?1 AND dim = ?2
ORDER BY key DESC LIMIT ?3)""" for table in ("counts", "pending"))
# The exact top-N of counts + pending: any key without pending clicks that is not in
# counts' own top-N is outranked by N keys that are, so the candidates are those N and
# the keys with pending clicks.
_TOP = f"""
SELECT l.text, t.n FROM (
    SELECT key, sum(count) AS n FROM (
        SELECT key, count FROM pending WHERE code = ?1 AND dim = ?2
        UNION ALL
        SELECT key, count FROM counts WHERE code = ?1 AND dim = ?2 AND key IN (
            SELECT key FROM pending WHERE code = ?1 AND dim = ?2)
        UNION ALL
        SELECT key, count FROM (
            SELECT key, count FROM counts WHERE code = ?1 AND dim = ?2 AND {RANKED_DIMS}
            ORDER BY count DESC, key LIMIT ?3)
        WHERE key NOT IN (SELECT key FROM pending WHERE code = ?1 AND dim = ?2))
    GROUP BY key ORDER BY n DESC, key LIMIT ?3) AS t
JOIN labels AS l ON l.id = t.key ORDER BY t.n DESC, t.key
"""
_RECENT = """
SELECT r.click_id, r.code, r.ts, u.text, f.text, r.ip, k.text
FROM recent AS r JOIN labels AS u ON u.id = r.ua JOIN labels AS f ON f.id = r.ref
    JOIN labels AS k ON k.id = r.class
WHERE r.code = ? ORDER BY r.click_id DESC LIMIT ?
"""

DAYS_SHOWN = 366
_SEP = "\x1f"
"""Joins a click's browser, OS, device and bot flag into one ``class`` label."""
_LEGACY_NAMES = {dim: name for name, dim in DIM_LEGACY.items()}

PURGE_CHUNK = 5_000
"""Click rows deleted per transaction by a retention purge."""
PURGE_DUTY = 0.5
"""Share of the time a purge holds the write lock: after each chunk it waits as long as
the chunk took, so consumers commit in between."""


def _counts(rows: Iterable[tuple[str, int]]) -> tuple[Count, ...]:
    return tuple(Count(key, n) for key, n in rows)


def _top(tally: Tally[str], n: int) -> tuple[Count, ...]:
    return _counts(sorted(tally.items(), key=lambda kv: (-kv[1], kv[0]))[:n])


def _day(days_since_epoch: int) -> str:
    return datetime.fromtimestamp(days_since_epoch * 86_400, UTC).strftime("%Y-%m-%d")


def _click(row: tuple[str, str, float, str, str, str, str]) -> Click:
    browser, os_family, device, is_bot = row[6].split(_SEP)
    return Click(ClickEvent(*row[:6]), browser, os_family, device, is_bot == "1",
                 _day(int(row[2] // 86_400)))


class SqliteAnalyticsStore:
    def __init__(self, path: Path | str, synchronous: str = "NORMAL") -> None:
        self.db = Database(path, SCHEMA, synchronous)
        with self.db.transaction() as conn:
            migrate(conn)
        # (kind, text) -> id of labels seen committed: ids never change once given.
        self._label_ids: dict[tuple[int, str], int] = {}
        self._lock = threading.Lock()
        self._merger: threading.Thread | None = None
        self._bumped = 0
        """Pending rows this store has bumped since its last merge (rows other
        processes bumped are merged by them, or with these)."""

    def _rows(self, clicks: Sequence[Click]) -> tuple[list[tuple[object, ...]], bool]:
        """Staged rows, and whether any label id is still unknown."""
        ids = self._label_ids.get
        rows: list[tuple[object, ...]] = []
        unknown = False
        for click in clicks:
            e = click.event
            cls = f"{click.browser}{_SEP}{click.os}{_SEP}{click.device}{_SEP}{int(click.is_bot)}"
            ua, ref, cl = ids((KIND_UA, e.user_agent)), ids((KIND_REF, e.referer)), ids(
                (KIND_CLASS, cls))
            unknown = unknown or ua is None or ref is None or cl is None
            rows.append((e.click_id, e.code, e.timestamp, e.user_agent, e.referer, e.ip, cls,
                         ua, ref, cl))
        return rows, unknown

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
        rows, unknown = self._rows(clicks)
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
        """Fold the pending counts into ``counts``, ``MERGE_CHUNK`` rows at a time, each
        chunk its own transaction. Any process may (what one merged, the next does not
        see); clicks counted meanwhile are merged by the next one."""
        low = ""
        while True:
            with self.db.transaction() as conn:
                row = conn.execute(_MERGE_BOUND, (low, MERGE_CHUNK)).fetchone()
                high = None if row is None else row[0]
                for statement in _MERGE:
                    conn.execute(statement, (low, high))
            if high is None:
                return
            low = high

    @staticmethod
    def _scratch(conn: sqlite3.Connection) -> None:
        conn.execute("PRAGMA temp_store = MEMORY")
        conn.execute(_SCRATCH)

    def analytics(self, code: str, top: int = 5, recent: int = 10) -> Analytics:
        """``recent`` is at most ``RECENT_KEPT``: only that many are kept per link."""
        with self.db.transaction(immediate=False) as conn:  # one consistent snapshot
            classes = conn.execute(_CLASSES, (code,)).fetchall()
            day_counts: Tally[int] = Tally()
            for day, n in conn.execute(_DAYS, (code, DIM_DAY, DAYS_SHOWN)):
                day_counts[day] += n
            days = sorted(day_counts.items())[-DAYS_SHOWN:]
            user_agents, referers = (conn.execute(_TOP, (code, dim, top)).fetchall()
                                     for dim in (DIM_UA, DIM_REF))
            rows = conn.execute(_RECENT, (code, min(recent, RECENT_KEPT))).fetchall()
        browsers: Tally[str] = Tally()
        systems: Tally[str] = Tally()
        devices: Tally[str] = Tally()
        total = bots = 0
        for dim, key, n in classes:
            if dim == DIM_CLASS:  # every click has exactly one class: they add up to the total
                browser, os_family, device, is_bot = key.split(_SEP)
                browsers[browser] += n
                systems[os_family] += n
                devices[device] += n
                total += n
                bots += n if is_bot == "1" else 0
                continue
            legacy = _LEGACY_NAMES[dim]  # counted apart by the first layout
            if legacy == "total":
                total += n
            elif legacy == "bots":
                bots += n
            else:
                {"browser": browsers, "os": systems, "device": devices}[legacy][key] += n
        return Analytics(
            total=total,
            bots=bots,
            user_agents=_counts(user_agents),
            referers=_counts(referers),
            browsers=_top(browsers, top),
            os=_top(systems, top),
            devices=_top(devices, top),
            days=tuple(Count(_day(day), n) for day, n in days),
            recent=tuple(map(_click, rows)),
        )

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
        while True:
            started = time.monotonic()
            with self.db.transaction() as conn:
                row = conn.execute(
                    "SELECT click_id FROM clicks WHERE click_id < ? ORDER BY click_id "
                    "LIMIT 1 OFFSET ?", (cutoff, PURGE_CHUNK)).fetchone()
                deleted = conn.execute("DELETE FROM clicks WHERE click_id < ?",
                                       (cutoff if row is None else row[0],)).rowcount
            purged += deleted
            if row is None:
                break
            time.sleep((time.monotonic() - started) * PURGE_DUTY / (1 - PURGE_DUTY))
        self.db.reclaim_free_pages()
        return purged

    def close(self) -> None:
        merger = self._merger
        if merger is not None:
            merger.join(timeout=60)
        self.db.close()
