"""A database written before ``tallies``/``rankings`` opens with the same analytics."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from linkpulse.backends.sqlite.analytics import SqliteAnalyticsStore
from linkpulse.core.clicks import make_event
from linkpulse.core.service import enrich

CHROME = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/120.0.0.0 Safari/537.36")
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
T0 = 1_780_000_000.0

# The counters table as the first release of the SQLite backend created it.
OLD_COUNTERS = """
CREATE TABLE counters (
    code TEXT NOT NULL, dim TEXT NOT NULL, key TEXT NOT NULL, count INTEGER NOT NULL,
    PRIMARY KEY (code, dim, key)
) WITHOUT ROWID;
CREATE INDEX counters_top ON counters (code, dim, count);
INSERT INTO counters VALUES
    ('old', 'total', '', 5), ('old', 'bots', '', 2),
    ('old', 'ua', 'curl/8', 2), ('old', 'ua', 'Firefox', 3),
    ('old', 'ref', '', 4), ('old', 'ref', 'https://t.co/', 1),
    ('old', 'browser', 'Firefox', 3), ('old', 'browser', 'curl', 2),
    ('old', 'os', 'Linux', 3), ('old', 'os', 'Other', 2),
    ('old', 'device', 'desktop', 3), ('old', 'device', 'bot', 2),
    ('old', 'day', '2026-05-28', 5);
"""


def test_old_counters_are_migrated_and_keep_counting(tmp_path: Path) -> None:
    path = tmp_path / "lp.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(OLD_COUNTERS)
    store = SqliteAnalyticsStore(path)
    try:
        store.record([enrich(make_event("old", ua, "", "192.0.2.1", now=T0))
                      for ua in (CHROME, GOOGLEBOT)])
        a = store.analytics("old")
        tables = {name for (name,) in store.db.connection().execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        store.close()
    assert "counters" not in tables
    assert (a.total, a.bots) == (7, 3)
    assert {c.key: c.count for c in a.browsers} == {"Firefox": 3, "curl": 2, "Chrome": 1,
                                                    "Googlebot": 1}
    assert {c.key: c.count for c in a.devices} == {"desktop": 4, "bot": 3}
    assert {c.key: c.count for c in a.os}["Linux"] == 3
    assert [(c.key, c.count) for c in a.user_agents][:2] == [("Firefox", 3), ("curl/8", 2)]
    assert [(c.key, c.count) for c in a.referers] == [("", 6), ("https://t.co/", 1)]
    assert [(c.key, c.count) for c in a.days] == [("2026-05-28", 7)]


# The second layout: tallies and rankings keyed by text, every click's texts in clicks.
V2 = """
CREATE TABLE clicks (
    click_id TEXT PRIMARY KEY, code TEXT NOT NULL, ts REAL NOT NULL,
    user_agent TEXT NOT NULL, referer TEXT NOT NULL, ip TEXT NOT NULL,
    browser TEXT NOT NULL, os TEXT NOT NULL, device TEXT NOT NULL,
    is_bot INTEGER NOT NULL, day TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX clicks_recent ON clicks (code, click_id);
CREATE TABLE tallies (code TEXT NOT NULL, dim TEXT NOT NULL, key TEXT NOT NULL,
    count INTEGER NOT NULL, PRIMARY KEY (code, dim, key)) WITHOUT ROWID;
CREATE TABLE rankings (code TEXT NOT NULL, dim TEXT NOT NULL, key TEXT NOT NULL,
    count INTEGER NOT NULL, PRIMARY KEY (code, dim, key)) WITHOUT ROWID;
CREATE INDEX rankings_top ON rankings (code, dim, count);
"""


def test_second_layout_is_migrated_with_its_clicks(tmp_path: Path) -> None:
    path = tmp_path / "lp.db"
    old = [enrich(make_event("v2", CHROME, f"https://r{i % 2}.example/", "192.0.2.1",
                             now=T0 + i)) for i in range(12)]
    with sqlite3.connect(path) as conn:
        conn.executescript(V2)
        sep = "\x1f"
        for c in old:
            e = c.event
            conn.execute("INSERT INTO clicks VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                         (*e[:6], c.browser, c.os, c.device, int(c.is_bot), c.day))
            for table, dim, key in (
                    ("tallies", "class", sep.join((c.browser, c.os, c.device, "0"))),
                    ("tallies", "day", c.day), ("rankings", "ua", e.user_agent),
                    ("rankings", "ref", e.referer)):
                conn.execute(f"INSERT INTO {table} VALUES (?, ?, ?, 1) ON CONFLICT "
                             "DO UPDATE SET count = count + 1", (e.code, dim, key))
    store = SqliteAnalyticsStore(path)
    try:
        newer = enrich(make_event("v2", GOOGLEBOT, "", "192.0.2.1", now=T0 + 100))
        assert store.record([*old[:3], newer]) == 1  # the old clicks still count once
        a = store.analytics("v2")
    finally:
        store.close()
    assert (a.total, a.bots) == (13, 1)
    assert [(c.key, c.count) for c in a.user_agents] == [(CHROME, 12), (GOOGLEBOT, 1)]
    assert [(c.key, c.count) for c in a.referers][:2] == [
        ("https://r0.example/", 6), ("https://r1.example/", 6)]
    assert [(c.key, c.count) for c in a.days] == [("2026-05-28", 13)]
    assert [c.event for c in a.recent] == [newer.event, *(c.event for c in old[::-1][:9])]
    assert a.recent[1].browser == "Chrome"
