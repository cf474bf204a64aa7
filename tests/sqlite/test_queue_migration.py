"""A queue file written before the deliveries/dead_letters split opens with its messages."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from linkpulse.backends.sqlite.queue import SqliteQueue

# The first layout: one table for the main queue and the dead letters.
OLD_QUEUE = """
CREATE TABLE messages (
    seq INTEGER PRIMARY KEY, queue TEXT NOT NULL CHECK (queue IN ('main', 'dlq')),
    body TEXT NOT NULL, sent_at REAL NOT NULL, visible_at REAL NOT NULL,
    receive_count INTEGER NOT NULL DEFAULT 0, receipt TEXT, moved_at REAL
);
CREATE INDEX messages_visible ON messages (queue, visible_at);
INSERT INTO messages VALUES
    (1, 'main', 'never received', {t}, {t}, 0, NULL, NULL),
    (2, 'main', 'in flight', {t}, {t} + 3600, 1, '2.1.aaaaaaaaaaaa', NULL),
    (3, 'main', 'came back', {t}, {t}, 2, '3.2.bbbbbbbbbbbb', NULL),
    (4, 'dlq', 'dead', {t}, {t}, 3, NULL, {t});
"""


def test_old_queue_is_migrated_with_its_deliveries_and_dead_letters(tmp_path: Path) -> None:
    path = tmp_path / "lp.queue.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(OLD_QUEUE.format(t=time.time() - 60))
    queue = SqliteQueue(path, max_receive_count=3, retention_seconds=4 * 86_400)
    try:
        assert queue.approximate_depth() == (2, 1)
        got = {m.body: m for m in queue.receive(10)}
        assert {body: m.receive_count for body, m in got.items()} == {"never received": 1,
                                                                      "came back": 3}
        assert queue.delete_batch(["2.1.aaaaaaaaaaaa"]) == 1  # the in-flight receipt holds
        assert [m.body for m in queue.dlq_list()] == ["dead"]
        assert queue.dlq_redrive() == 1
        assert [m.body for m in queue.receive(10)] == ["dead"]
    finally:
        queue.close()
