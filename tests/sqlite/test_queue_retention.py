"""Messages past their retention are dropped, like SQS's MessageRetentionPeriod."""

from __future__ import annotations

import time
from pathlib import Path

from linkpulse.backends.sqlite.queue import SqliteQueue

DAY = 86_400.0


def test_expired_messages_are_purged_in_flight_or_not_and_younger_ones_kept(
        tmp_path: Path) -> None:
    queue = SqliteQueue(tmp_path / "q.db", retention_seconds=4 * DAY)
    try:
        queue.send_batch(["old-1", "old-2"])
        assert len(queue.receive(1)) == 1  # one of them is in flight
        between = time.time()
        queue.send_batch(["young"])
        assert queue.purge_expired(between + 4 * DAY) == 2
        assert queue.approximate_depth() == (1, 0)
        assert [m.body for m in queue.receive(10)] == ["young"]
    finally:
        queue.close()


def test_dead_letters_are_kept_for_their_own_retention(tmp_path: Path) -> None:
    queue = SqliteQueue(tmp_path / "q.db", max_receive_count=1, retention_seconds=4 * DAY,
                        dlq_retention_seconds=14 * DAY)
    try:
        queue.send("poison")
        [message] = queue.receive(1)
        assert queue.change_visibility(message.receipt, 0)  # visible again at once
        assert queue.receive(10) == []  # received once already: dead-lettered instead
        now = time.time()
        assert queue.purge_expired(now + 5 * DAY) == 0
        assert queue.dlq_depth() == 1
        assert queue.purge_expired(now + 15 * DAY) == 1
        assert queue.dlq_depth() == 0
    finally:
        queue.close()
