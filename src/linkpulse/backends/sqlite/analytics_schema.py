"""The tables of the SQLite analytics store, and the migration of older layouts.

Sized for many clicks (every row is small, and what one batch writes sits close
together):

- ``labels``: every user agent, referer and click class (browser, OS, device and bot
  flag joined in one text) once, as an integer id. Counters and clicks carry the id,
  not the text: a counter row is ~20 bytes instead of ~130.
- ``counts``: a link's count per (dimension, key), one table for every dimension; a
  link's rows sit together. Dimensions are small integers (``DIM_*``), so the layout
  takes new ones (countries, hours, unique visitors) without a schema change. The
  open-ended dimensions (user agent, referer) also have an index on the count, for
  their top-N; it orders ties by key, so a top-N read stops after N entries however
  many keys tie.
- ``clicks``: one row per click, keyed by click id (time first), only to make
  redelivery harmless and to keep the raw clicks for the retention period; appended
  in time order, purged from the front.
- ``pending``: counts not yet folded into ``counts``, same shape. A batch bumps these
  (a small table that stays in memory: few pages written per commit); every
  ``MERGE_ROWS`` rows they are added to ``counts`` in key order, which writes each page
  of ``counts`` once per merge instead of once per batch. Stats add them up.
- ``recent``: at least the last ``RECENT_KEPT`` clicks of each link, for stats; older
  ones are trimmed at each merge.
- ``visitors``: the visitor hashes of each link seen per day (day first), only to count
  each one once a day; days before yesterday are dropped at each merge.

Per-day counters (``DIM_D_*``, for ranges) key on ``(day << 1 | bot) << 32 | id``: one
link's days are a key range, and bot clicks can be left out. Hours and daily uniques key
on ``n << 1 | bot``. User agents, referers, classes and countries beyond ``FOLD_CAP``
distinct keys per link and day are counted under one "other" key (``FOLD_KEY``, or the
"other" class with the click's bot flag), all-time and per day alike, so no per-link
table grows with keys a client chooses and every figure still adds up to the total.
"""

from __future__ import annotations

import sqlite3

RECENT_KEPT = 10
"""Clicks kept per link for "recent clicks": stats show at most this many."""

KIND_UA, KIND_REF, KIND_CLASS, KIND_NAME = 1, 2, 3, 4
"""What a label is: a user agent, a referer, a click class, or a name counted by an older
layout (a browser, an OS, a device)."""

DIM_CLASS, DIM_DAY, DIM_UA, DIM_REF = 0, 1, 2, 3
"""Dimensions of ``counts``. Day keys are days since the epoch; the others label ids."""
DIM_COUNTRY, DIM_HOUR, DIM_UNIQUE, DIM_UNIQUE_ALL = 4, 5, 6, 7
"""Countries (key: the two letters as a 16-bit number), clicks per hour and unique
visitors per day (``n << 1 | bot``), unique visitors of all days (key: bot flag)."""
DIM_D_CLASS, DIM_D_UA, DIM_D_REF, DIM_D_COUNTRY = 20, 21, 22, 23
"""The per-day counters of classes, user agents, referers and countries."""
FOLD_CAP = 100
"""Distinct user agents (referers, classes, countries) counted apart per link and day."""
FOLD_KEY = 0
"""The key of the "other" user agent, referer or country (no label has id 0)."""
OTHER_CLASS = "other\x1fother\x1fother\x1f{bot}"
"""The text of the "other" class label of human (bot 0) and bot (1) clicks."""
RANKED_DIMS = f"dim IN ({DIM_UA}, {DIM_REF})"
"""The dimensions with a top-N index: a read of one says this term as is, so SQLite
sees that the partial index covers it."""
DIM_LEGACY = {"total": 10, "bots": 11, "browser": 12, "os": 13, "device": 14}
"""Counters of the first layout, which counted these apart: kept as they are."""

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS labels (
    id   INTEGER PRIMARY KEY,
    kind INTEGER NOT NULL,
    text TEXT NOT NULL,
    UNIQUE (kind, text)
);
CREATE TABLE IF NOT EXISTS counts (
    code  TEXT NOT NULL,
    dim   INTEGER NOT NULL,
    key   INTEGER NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (code, dim, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS counts_top ON counts (code, dim, count DESC, key)
    WHERE {RANKED_DIMS};
CREATE TABLE IF NOT EXISTS pending (
    code  TEXT NOT NULL,
    dim   INTEGER NOT NULL,
    key   INTEGER NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (code, dim, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS recent (
    code     TEXT NOT NULL,
    click_id TEXT NOT NULL,
    ts       REAL NOT NULL,
    ua       INTEGER NOT NULL,
    ref      INTEGER NOT NULL,
    ip       TEXT NOT NULL,
    class    INTEGER NOT NULL,
    country  TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (code, click_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS visitors (
    day     INTEGER NOT NULL,
    code    TEXT NOT NULL,
    visitor TEXT NOT NULL,
    PRIMARY KEY (day, code, visitor)
) WITHOUT ROWID;
INSERT INTO labels (kind, text) VALUES ({KIND_CLASS}, '{OTHER_CLASS.format(bot=0)}'),
    ({KIND_CLASS}, '{OTHER_CLASS.format(bot=1)}') ON CONFLICT DO NOTHING;
"""

CLICKS = """
CREATE TABLE IF NOT EXISTS clicks (
    click_id TEXT PRIMARY KEY,
    code     TEXT NOT NULL,
    ts       REAL NOT NULL,
    ua       INTEGER NOT NULL,
    ref      INTEGER NOT NULL,
    ip       TEXT NOT NULL,
    country  TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID
"""

# --- older layouts ------------------------------------------------------------------------
# 1. ``counters``: every counter in one table keyed by text (code, dim, key), browser,
#    OS, device, bots and total counted apart.
# 2. ``tallies`` (class and day) and ``rankings`` (user agent and referer), same shape;
#    the total, bots, browser, OS and device rows of layout 1 moved to ``tallies``.
# Both kept every click's texts in ``clicks``, with an index on (code, click_id).

_SEP = "char(31)"
_OLD_CLASS = f"browser || {_SEP} || os || {_SEP} || device || {_SEP} || is_bot"


def _label_kind(dim: str) -> str:
    return (f"CASE {dim} WHEN 'ua' THEN {KIND_UA} WHEN 'ref' THEN {KIND_REF} "
            f"WHEN 'class' THEN {KIND_CLASS} ELSE {KIND_NAME} END")


def _migrate_counters(table: str) -> list[str]:
    legacy = " ".join(f"WHEN '{name}' THEN {dim}" for name, dim in DIM_LEGACY.items())
    return [
        f"""INSERT INTO labels (kind, text) SELECT DISTINCT {_label_kind('dim')}, key FROM {table}
            WHERE dim <> 'day' ORDER BY 1, 2 ON CONFLICT DO NOTHING""",
        f"""INSERT INTO counts (code, dim, key, count)
            SELECT code, d, k, sum(count) FROM (
                SELECT o.code, {DIM_DAY} AS d,
                    CAST(julianday(o.key) - 2440587.5 AS INTEGER) AS k, o.count
                FROM {table} AS o WHERE o.dim = 'day'
                UNION ALL
                SELECT o.code, CASE o.dim WHEN 'class' THEN {DIM_CLASS}
                    WHEN 'ua' THEN {DIM_UA} WHEN 'ref' THEN {DIM_REF} {legacy} END,
                    l.id, o.count
                FROM {table} AS o
                JOIN labels AS l ON l.kind = {_label_kind('o.dim')} AND l.text = o.key
                WHERE o.dim <> 'day')
            WHERE d IS NOT NULL GROUP BY code, d, k
            ON CONFLICT (code, dim, key) DO UPDATE SET count = count + excluded.count""",
        f"DROP TABLE {table}",
    ]


_MIGRATE_CLICKS = [
    "ALTER TABLE clicks RENAME TO clicks_old",
    "DROP INDEX IF EXISTS clicks_recent",
    CLICKS,
    *(f"""INSERT INTO labels (kind, text) SELECT DISTINCT {kind}, {column} FROM clicks_old
          WHERE true ON CONFLICT DO NOTHING"""
      for kind, column in ((KIND_UA, "user_agent"), (KIND_REF, "referer"),
                           (KIND_CLASS, _OLD_CLASS))),
    "CREATE TEMP TABLE label_ids AS SELECT id, kind, text FROM main.labels",
    "CREATE INDEX temp.label_ids_text ON label_ids (kind, text)",
    f"""INSERT INTO clicks (click_id, code, ts, ua, ref, ip)
        SELECT c.click_id, c.code, c.ts, u.id, r.id, c.ip
        FROM clicks_old AS c
        JOIN label_ids AS u ON u.kind = {KIND_UA} AND u.text = c.user_agent
        JOIN label_ids AS r ON r.kind = {KIND_REF} AND r.text = c.referer
        ORDER BY c.click_id""",
    f"""INSERT INTO recent (code, click_id, ts, ua, ref, ip, class)
        SELECT code, click_id, ts, u.id, r.id, ip, k.id FROM (
            SELECT *, row_number() OVER (PARTITION BY code ORDER BY click_id DESC) AS n
            FROM clicks_old) AS c
        JOIN label_ids AS u ON u.kind = {KIND_UA} AND u.text = c.user_agent
        JOIN label_ids AS r ON r.kind = {KIND_REF} AND r.text = c.referer
        JOIN label_ids AS k ON k.kind = {KIND_CLASS} AND k.text = {_OLD_CLASS}
        WHERE c.n <= {RECENT_KEPT}""",
    "DROP TABLE temp.label_ids",
    "DROP TABLE clicks_old",
]


def migrate(conn: sqlite3.Connection) -> None:
    """Bring a database of an older layout to this one, in the caller's transaction."""
    tables = {name for (name,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'")}
    for old in ("counters", "tallies", "rankings"):
        if old in tables:
            for statement in _migrate_counters(old):
                conn.execute(statement)
    columns = {row[1] for row in conn.execute("PRAGMA table_info(clicks)")}
    if "user_agent" in columns:
        for statement in _MIGRATE_CLICKS:
            conn.execute(statement)
    else:
        conn.execute(CLICKS)
    # 3. clicks and recent clicks without their country.
    for table in ("clicks", "recent"):
        if "country" not in {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN country TEXT NOT NULL DEFAULT ''")
