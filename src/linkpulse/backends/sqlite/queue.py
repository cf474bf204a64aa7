"""A durable queue in SQLite with SQS semantics.

Each message row carries its visibility deadline, receive count and current receipt
handle. Receiving is one ``BEGIN IMMEDIATE`` transaction, so concurrent consumers in
any number of processes never get the same delivery. A receipt embeds the delivery it
belongs to; once the message is delivered again, the old receipt deletes nothing.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from linkpulse.backends.sqlite.db import Database
from linkpulse.core.models import Message
from linkpulse.core.ports import MAX_EVENT_BATCH

SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    seq           INTEGER PRIMARY KEY,
    queue         TEXT NOT NULL CHECK (queue IN ('main', 'dlq')),
    body          TEXT NOT NULL,
    sent_at       REAL NOT NULL,
    visible_at    REAL NOT NULL,
    receive_count INTEGER NOT NULL DEFAULT 0,
    receipt       TEXT,
    moved_at      REAL
);
CREATE INDEX IF NOT EXISTS messages_visible ON messages (queue, visible_at);
"""
# No AUTOINCREMENT: it costs a sqlite_sequence update per sent message (~1 us of the
# ~5 us an insert takes). A seq may then be reused after the newest message is deleted;
# that is harmless, because a receipt also carries the delivery count and a random part.

MAX_BATCH = 10
"""SQS's largest receive."""
POLL_INTERVAL = 0.02
"""How often an idle long poll looks for messages sent by other processes."""
HOUSEKEEPING_INTERVAL = 60.0


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
    ) -> None:
        self.db = Database(path, SCHEMA, synchronous)
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
                "INSERT INTO messages (queue, body, sent_at, visible_at) "
                "SELECT 'main', value, ?, ? FROM json_each(?)",
                (now, now, json.dumps(list(bodies), ensure_ascii=False)),
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
        row = self.db.connection().execute(
            "SELECT 1 FROM messages WHERE queue = 'main' AND visible_at <= ? LIMIT 1",
            (time.time(),),
        ).fetchone()
        return row is not None

    def _take(self, max_messages: int, visibility_timeout: float) -> list[Message]:
        """Deliver the oldest visible messages, set-wise: one statement dead-letters those
        already received ``max_receive_count`` times, one hides the rest and gives each
        a receipt of its own (sequence, delivery count, and a token of this receive)."""
        taken: list[tuple[int, str, float, int]] = []
        token = os.urandom(6).hex()
        with self.db.transaction() as conn:
            now = time.time()
            while len(taken) < max_messages:
                rows = conn.execute(
                    "SELECT seq, body, sent_at, receive_count FROM messages "
                    "WHERE queue = 'main' AND visible_at <= ? ORDER BY visible_at, seq LIMIT ?",
                    (now, max_messages - len(taken)),
                ).fetchall()
                if not rows:
                    break
                exhausted = [seq for seq, _, _, count in rows
                             if count >= self.max_receive_count]
                if exhausted:
                    conn.execute(
                        "UPDATE messages SET queue = 'dlq', moved_at = ?1, visible_at = ?1, "
                        "receipt = NULL WHERE seq IN (SELECT value FROM json_each(?2))",
                        (now, json.dumps(exhausted)),
                    )
                    rows = [r for r in rows if r[3] < self.max_receive_count]
                conn.execute(
                    "UPDATE messages SET receive_count = receive_count + 1, "
                    "receipt = seq || '.' || (receive_count + 1) || '.' || ?1, visible_at = ?2 "
                    "WHERE seq IN (SELECT value FROM json_each(?3))",
                    (token, now + visibility_timeout, json.dumps([r[0] for r in rows])),
                )
                taken += rows
        # Built after the commit: other writers wait on the lock for SQL only.
        return [Message(str(seq), body, f"{seq}.{count + 1}.{token}", count + 1, sent)
                for seq, body, sent, count in taken]

    def delete_batch(self, receipts: Sequence[str]) -> int:
        if not receipts:
            return 0
        batch = json.dumps(list(receipts))
        with self.db.transaction() as conn:
            # A receipt starts with its message's seq: look the rows up by that, then
            # delete those whose current receipt is one of these.
            return conn.execute(
                "DELETE FROM messages WHERE seq IN (SELECT CAST(substr(value, 1, "
                "instr(value, '.') - 1) AS INTEGER) FROM json_each(?1)) "
                "AND receipt IN (SELECT value FROM json_each(?1)) AND queue = 'main'",
                (batch,),
            ).rowcount

    def delete(self, receipt: str) -> bool:
        return self.delete_batch((receipt,)) == 1

    def change_visibility(self, receipt: str, timeout: float) -> bool:
        seq = _seq_of(receipt)
        if seq is None:
            return False
        with self.db.transaction() as conn:
            cur = conn.execute(
                "UPDATE messages SET visible_at = ? WHERE seq = ? AND receipt = ? "
                "AND queue = 'main'", (time.time() + timeout, seq, receipt),
            )
            return cur.rowcount == 1

    def approximate_depth(self) -> tuple[int, int]:
        now = time.time()
        visible, in_flight = self.db.connection().execute(
            "SELECT coalesce(sum(visible_at <= ?), 0), coalesce(sum(visible_at > ?), 0) "
            "FROM messages WHERE queue = 'main'", (now, now),
        ).fetchone()
        return int(visible), int(in_flight)

    # --- dead letters
    def dlq_depth(self) -> int:
        return int(self.db.connection().execute(
            "SELECT count(*) FROM messages WHERE queue = 'dlq'"
        ).fetchone()[0])

    def dlq_list(self, limit: int = 100) -> list[Message]:
        rows = self.db.connection().execute(
            "SELECT seq, body, receive_count, sent_at FROM messages WHERE queue = 'dlq' "
            "ORDER BY moved_at, seq LIMIT ?", (limit,),
        ).fetchall()
        return [Message(str(seq), body, "", count, sent) for seq, body, count, sent in rows]

    def dlq_redrive(self) -> int:
        now = time.time()
        with self.db.transaction() as conn:
            moved = conn.execute(
                "UPDATE messages SET queue = 'main', receive_count = 0, receipt = NULL, "
                "visible_at = ?, sent_at = ?, moved_at = NULL WHERE queue = 'dlq'", (now, now),
            ).rowcount
        with self._arrived:
            self._arrived.notify_all()
        return moved

    # --- retention
    def _housekeeping(self) -> None:
        now = time.monotonic()
        if now >= self._next_housekeeping:
            self._next_housekeeping = now + HOUSEKEEPING_INTERVAL
            self.purge_expired()

    def purge_expired(self, now: float | None = None) -> int:
        """Drop messages past their retention: SQS's MessageRetentionPeriod."""
        t = time.time() if now is None else now
        with self.db.transaction() as conn:
            return conn.execute(
                "DELETE FROM messages WHERE (queue = 'main' AND sent_at < ?) "
                "OR (queue = 'dlq' AND moved_at < ?)",
                (t - self.retention_seconds, t - self.dlq_retention_seconds),
            ).rowcount

    def close(self) -> None:
        self.db.close()


def _seq_of(receipt: str) -> int | None:
    head = receipt.split(".", 1)[0]
    return int(head) if head.isdigit() else None
