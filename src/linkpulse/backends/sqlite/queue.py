"""A durable queue in SQLite with SQS semantics.

Three tables, each row written as few times as a message's life needs:

- ``messages``: the main queue, a body per row in send order. Sending is an append.
- ``deliveries``: one narrow row per message received at least once: its receive
  count, current receipt and visibility deadline. Receiving writes these rows only,
  never the bodies, and no index has to move: visible messages are found by walking
  ``messages`` in order, skipping those whose delivery is still in flight.
- ``dead_letters``: messages received ``max_receive_count`` times, kept apart so a
  large dead-letter queue never slows the main one.

Receiving is one ``BEGIN IMMEDIATE`` transaction, so concurrent consumers in any number
of processes never get the same delivery. A receipt embeds the delivery it belongs to;
once the message is delivered again, the old receipt deletes nothing.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from linkpulse.backends.sqlite.db import Database
from linkpulse.core.models import Message
from linkpulse.core.ports import MAX_EVENT_BATCH

SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    seq     INTEGER PRIMARY KEY,
    body    TEXT NOT NULL,
    sent_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS deliveries (
    seq           INTEGER PRIMARY KEY,
    receive_count INTEGER NOT NULL,
    receipt       TEXT NOT NULL,
    visible_at    REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS dead_letters (
    seq           INTEGER PRIMARY KEY,
    body          TEXT NOT NULL,
    sent_at       REAL NOT NULL,
    receive_count INTEGER NOT NULL,
    moved_at      REAL NOT NULL
);
"""
# No AUTOINCREMENT: it costs a sqlite_sequence update per sent message (~1 us of the
# ~5 us an insert takes). A seq may then be reused after the newest message is deleted;
# that is harmless, because a message's delivery row always goes with it, and a receipt
# also carries the delivery count and a random part.

# The first layout kept every message, main or dead, in one table with its delivery
# state, indexed on (queue, visible_at): each receive rewrote the body's row and moved
# its index entry.
_MIGRATE_V1 = (
    "ALTER TABLE messages RENAME TO messages_v1",
    SCHEMA.split(";")[0],
    "INSERT INTO messages SELECT seq, body, sent_at FROM messages_v1 WHERE queue = 'main'",
    "INSERT INTO deliveries SELECT seq, receive_count, receipt, visible_at FROM messages_v1 "
    "WHERE queue = 'main' AND receive_count > 0 AND receipt IS NOT NULL",
    "INSERT INTO dead_letters SELECT seq, body, sent_at, receive_count, moved_at "
    "FROM messages_v1 WHERE queue = 'dlq'",
    "DROP TABLE messages_v1",
)

# Visible: never received, or its delivery's visibility timeout has passed.
_VISIBLE = """
SELECT m.seq, m.body, m.sent_at, coalesce(d.receive_count, 0)
FROM messages AS m LEFT JOIN deliveries AS d ON d.seq = m.seq
WHERE d.seq IS NULL OR d.visible_at <= ?1
ORDER BY m.seq LIMIT ?2
"""
_DELIVER = """
INSERT INTO deliveries (seq, receive_count, receipt, visible_at)
SELECT value, 1, value || '.1.' || ?1, ?2 FROM json_each(?3) WHERE true
ON CONFLICT (seq) DO UPDATE SET receive_count = receive_count + 1,
    receipt = seq || '.' || (receive_count + 1) || '.' || ?1, visible_at = ?2
"""
_DEAD_LETTER = (
    "INSERT INTO dead_letters SELECT m.seq, m.body, m.sent_at, d.receive_count, ?1 "
    "FROM messages AS m JOIN deliveries AS d ON d.seq = m.seq "
    "WHERE m.seq IN (SELECT value FROM json_each(?2))",
    "DELETE FROM deliveries WHERE seq IN (SELECT value FROM json_each(?2))",
    "DELETE FROM messages WHERE seq IN (SELECT value FROM json_each(?2))",
)
# Ends the deliveries whose current receipt is one of a JSON array of receipts (a
# receipt starts with its message's seq: the rows are looked up by that).
_END_DELIVERIES = (
    "DELETE FROM deliveries WHERE seq IN (SELECT CAST(substr(value, 1, "
    "instr(value, '.') - 1) AS INTEGER) FROM json_each(?1)) "
    "AND receipt IN (SELECT value FROM json_each(?1)) RETURNING seq"
)

MAX_BATCH = 10
"""SQS's largest receive."""
POLL_INTERVAL = 0.02
"""How often an idle long poll looks for messages sent by other processes."""
HOUSEKEEPING_INTERVAL = 60.0
FREE_PAGES_KEPT = 2_500
"""Free pages (~10 MiB) the queue file keeps for the next sends; past a backlog the rest
go back to the file system, so the file does not keep its peak size forever."""


class SqliteQueue:
    def __init__(
        self,
        path: Path | str,
        *,
        visibility_timeout: float = 30.0,
        max_receive_count: int = 3,
        retention_seconds: float = 4 * 86_400,
        dlq_retention_seconds: float = 14 * 86_400,
        synchronous: str = "NORMAL",
        on_dead_letter: Callable[[int], None] | None = None,
    ) -> None:
        """``on_dead_letter(n)`` is told after a receive moved ``n`` messages to the
        dead-letter queue (a metric counts them)."""
        self.db = Database(path, SCHEMA, synchronous)
        self._on_dead_letter = on_dead_letter
        with self.db.transaction() as conn:
            if "queue" in _columns(conn, "messages"):
                for statement in _MIGRATE_V1:
                    conn.execute(statement)
        self.visibility_timeout = visibility_timeout
        self.max_receive_count = max_receive_count
        self.retention_seconds = retention_seconds
        self.dlq_retention_seconds = dlq_retention_seconds
        self._arrived = threading.Condition()
        self._next_housekeeping = 0.0

    # --- producing
    def send(self, body: str) -> None:
        self.send_batch((body,))

    def send_batch(self, bodies: Sequence[str]) -> None:
        if not bodies:
            return
        now = time.time()
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO messages (body, sent_at) SELECT value, ? FROM json_each(?)",
                (now, json.dumps(list(bodies), ensure_ascii=False)),
            )
        with self._arrived:
            self._arrived.notify_all()

    # --- consuming
    def receive(
        self, max_messages: int = 10, wait_seconds: float = 0.0,
        visibility_timeout: float | None = None,
    ) -> list[Message]:
        if not 1 <= max_messages <= MAX_BATCH:
            raise ValueError(f"max_messages must be 1-{MAX_BATCH}")
        return self._receive(max_messages, wait_seconds, visibility_timeout)

    def receive_batch(
        self, max_messages: int, wait_seconds: float = 0.0,
        visibility_timeout: float | None = None,
    ) -> list[Message]:
        """Up to ``max_messages`` in one transaction: what SQS's event source mapping
        gathers with many receives, taken here in one step."""
        if not 1 <= max_messages <= MAX_EVENT_BATCH:
            raise ValueError(f"max_messages must be 1-{MAX_EVENT_BATCH}")
        return self._receive(max_messages, wait_seconds, visibility_timeout)

    def _receive(
        self, max_messages: int, wait_seconds: float, visibility_timeout: float | None,
    ) -> list[Message]:
        timeout = self.visibility_timeout if visibility_timeout is None else visibility_timeout
        deadline = time.monotonic() + wait_seconds
        while True:
            self._housekeeping()
            if self._any_visible():
                messages = self._take(max_messages, timeout)
                if messages:
                    return messages
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            with self._arrived:
                self._arrived.wait(min(POLL_INTERVAL, remaining))

    def _any_visible(self) -> bool:
        row = self.db.connection().execute(_VISIBLE, (time.time(), 1)).fetchone()
        return row is not None

    def _take(self, max_messages: int, visibility_timeout: float) -> list[Message]:
        """Deliver the oldest visible messages, set-wise: one statement dead-letters those
        already received ``max_receive_count`` times, one hides the rest and gives each
        a receipt of its own (sequence, delivery count, and a token of this receive)."""
        taken: list[tuple[int, str, float, int]] = []
        token = os.urandom(6).hex()
        dead = 0
        with self.db.transaction() as conn:
            now = time.time()
            while len(taken) < max_messages:
                rows = conn.execute(_VISIBLE, (now, max_messages - len(taken))).fetchall()
                if not rows:
                    break
                exhausted = [seq for seq, _, _, count in rows
                             if count >= self.max_receive_count]
                if exhausted:
                    for statement in _DEAD_LETTER:
                        conn.execute(statement, (now, json.dumps(exhausted)))
                    dead += len(exhausted)
                    rows = [r for r in rows if r[3] < self.max_receive_count]
                conn.execute(_DELIVER, (token, now + visibility_timeout,
                                        json.dumps([r[0] for r in rows])))
                taken += rows
        if dead and self._on_dead_letter is not None:  # committed: they are dead letters
            self._on_dead_letter(dead)
        # Built after the commit: other writers wait on the lock for SQL only.
        return [Message(str(seq), body, f"{seq}.{count + 1}.{token}", count + 1, sent)
                for seq, body, sent, count in taken]

    def delete_batch(self, receipts: Sequence[str]) -> int:
        if not receipts:
            return 0
        batch = json.dumps(list(receipts))
        with self.db.transaction() as conn:
            gone = [seq for (seq,) in conn.execute(_END_DELIVERIES, (batch,))]
            if gone:
                conn.execute("DELETE FROM messages WHERE seq IN (SELECT value FROM json_each(?))",
                             (json.dumps(gone),))
        return len(gone)

    def delete(self, receipt: str) -> bool:
        return self.delete_batch((receipt,)) == 1

    def change_visibility(self, receipt: str, timeout: float) -> bool:
        seq = _seq_of(receipt)
        if seq is None:
            return False
        with self.db.transaction() as conn:
            cur = conn.execute(
                "UPDATE deliveries SET visible_at = ? WHERE seq = ? AND receipt = ?",
                (time.time() + timeout, seq, receipt),
            )
            return cur.rowcount == 1

    def approximate_depth(self) -> tuple[int, int]:
        with self.db.transaction(immediate=False) as conn:  # one snapshot
            total = conn.execute("SELECT count(*) FROM messages").fetchone()[0]
            in_flight = conn.execute(
                "SELECT count(*) FROM deliveries WHERE visible_at > ?", (time.time(),),
            ).fetchone()[0]
        return int(total) - int(in_flight), int(in_flight)

    def oldest_age(self) -> float:
        """Seconds since the oldest message still in the queue was sent (0 if empty), as
        SQS's ``ApproximateAgeOfOldestMessage``: it grows while the consumer lags."""
        row = self.db.connection().execute(
            "SELECT sent_at FROM messages ORDER BY seq LIMIT 1").fetchone()
        return 0.0 if row is None else max(0.0, time.time() - float(row[0]))

    # --- dead letters
    def dlq_depth(self) -> int:
        return int(self.db.connection().execute(
            "SELECT count(*) FROM dead_letters"
        ).fetchone()[0])

    def dlq_list(self, limit: int = 100) -> list[Message]:
        rows = self.db.connection().execute(
            "SELECT seq, body, receive_count, sent_at FROM dead_letters "
            "ORDER BY moved_at, seq LIMIT ?", (limit,),
        ).fetchall()
        return [Message(str(seq), body, "", count, sent) for seq, body, count, sent in rows]

    def dlq_redrive(self) -> int:
        """Send every dead letter again, as new messages at the end of the queue."""
        with self.db.transaction() as conn:
            moved = conn.execute(
                "INSERT INTO messages (body, sent_at) SELECT body, ? FROM dead_letters "
                "ORDER BY moved_at, seq", (time.time(),),
            ).rowcount
            conn.execute("DELETE FROM dead_letters")
        with self._arrived:
            self._arrived.notify_all()
        return moved

    # --- retention
    def _housekeeping(self) -> None:
        now = time.monotonic()
        if now >= self._next_housekeeping:
            self._next_housekeeping = now + HOUSEKEEPING_INTERVAL
            self.purge_expired()
            self.db.reclaim_free_pages(keep=FREE_PAGES_KEPT)

    def purge_expired(self, now: float | None = None) -> int:
        """Drop messages past their retention: SQS's MessageRetentionPeriod."""
        t = time.time() if now is None else now
        cutoff = t - self.retention_seconds
        with self.db.transaction() as conn:
            # Messages are appended, so the expired ones are the first: walk up to the
            # first that is not, instead of reading the whole queue.
            row = conn.execute(
                "SELECT seq FROM messages WHERE sent_at >= ? ORDER BY seq LIMIT 1", (cutoff,),
            ).fetchone()
            bound = "seq < ? AND" if row else ""
            args = (row[0], cutoff) if row else (cutoff,)
            conn.execute(f"DELETE FROM deliveries WHERE seq IN (SELECT seq FROM messages "
                         f"WHERE {bound} sent_at < ?)", args)
            purged = conn.execute(f"DELETE FROM messages WHERE {bound} sent_at < ?",
                                  args).rowcount
            return purged + conn.execute(
                "DELETE FROM dead_letters WHERE moved_at < ?",
                (t - self.dlq_retention_seconds,),
            ).rowcount

    def close(self) -> None:
        self.db.close()


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}


def _seq_of(receipt: str) -> int | None:
    head = receipt.split(".", 1)[0]
    return int(head) if head.isdigit() else None
