"""The click queue on SQS, with its dead-letter queue (redrive policy set on the queue)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from linkpulse.backends.aws.clients import LazyClient, error_code, translated
from linkpulse.core.errors import BackendUnavailable
from linkpulse.core.models import Message
from linkpulse.core.ports import MAX_EVENT_BATCH

MAX_BATCH = 10
"""SQS's limit on messages per ReceiveMessage / SendMessageBatch / DeleteMessageBatch."""
_ATTRIBUTES = ["ApproximateReceiveCount", "SentTimestamp"]


def _message(raw: dict[str, Any]) -> Message:
    attrs = raw.get("Attributes", {})
    return Message(
        message_id=raw["MessageId"],
        body=raw["Body"],
        receipt=raw["ReceiptHandle"],
        receive_count=int(attrs.get("ApproximateReceiveCount", 1)),
        sent_at=int(attrs.get("SentTimestamp", 0)) / 1000,
    )


def _batches(items: Sequence[Any]) -> list[Sequence[Any]]:
    return [items[i:i + MAX_BATCH] for i in range(0, len(items), MAX_BATCH)]


class SqsQueue:
    """``ClickQueue`` and ``DeadLetters`` on an SQS queue and its dead-letter queue.

    Queue URLs come from settings when known (Lambda passes them; no ``GetQueueUrl``
    call) or are looked up by name on first use. Moving a message to the dead-letter
    queue after ``maxReceiveCount`` receives is SQS's own redrive policy.
    """

    def __init__(self, client: Any = None, *, queue_url: str = "", queue_name: str = "",
                 dlq_url: str = "", dlq_name: str = "", endpoint_url: str = "",
                 region: str = "us-east-1") -> None:
        from linkpulse.backends.aws.clients import make_client

        self._client = LazyClient(
            client, lambda: make_client("sqs", endpoint_url, region, read_timeout=30))
        self._queue_url, self._queue_name = queue_url, queue_name
        self._dlq_url, self._dlq_name = dlq_url, dlq_name

    @property
    def client(self) -> Any:
        return self._client.get()

    @property
    def queue_url(self) -> str:
        if not self._queue_url:
            self._queue_url = self._lookup(self._queue_name)
        return self._queue_url

    @property
    def dlq_url(self) -> str:
        if not self._dlq_url:
            self._dlq_url = self._lookup(self._dlq_name)
        return self._dlq_url

    def _lookup(self, name: str) -> str:
        with translated(f"looking up queue {name!r}"):
            return str(self.client.get_queue_url(QueueName=name)["QueueUrl"])

    # --- producing
    def send(self, body: str) -> None:
        with translated("sending a click"):
            self.client.send_message(QueueUrl=self.queue_url, MessageBody=body)

    def send_batch(self, bodies: Sequence[str]) -> None:
        with translated("sending clicks"):
            for batch in _batches(bodies):
                entries = [{"Id": str(i), "MessageBody": b} for i, b in enumerate(batch)]
                for _ in range(3):
                    failed = self.client.send_message_batch(
                        QueueUrl=self.queue_url, Entries=entries).get("Failed", [])
                    if not failed:
                        break
                    ids = {f["Id"] for f in failed}
                    entries = [e for e in entries if e["Id"] in ids]
                else:
                    raise BackendUnavailable(f"SQS refused {len(entries)} messages: {failed}")

    # --- consuming
    def receive(self, max_messages: int = 10, wait_seconds: float = 0.0,
                visibility_timeout: float | None = None) -> list[Message]:
        return self._receive(self.queue_url, max_messages, wait_seconds, visibility_timeout)

    def receive_batch(self, max_messages: int, wait_seconds: float = 0.0,
                      visibility_timeout: float | None = None) -> list[Message]:
        """Receives of 10 back to back while they come back full, as the event source
        mapping gathers a batch."""
        if not 1 <= max_messages <= MAX_EVENT_BATCH:
            raise ValueError(f"max_messages must be 1-{MAX_EVENT_BATCH}, not {max_messages}")
        messages = self.receive(min(max_messages, MAX_BATCH), wait_seconds, visibility_timeout)
        batch = messages
        while len(batch) == MAX_BATCH and len(messages) < max_messages:
            batch = self.receive(min(max_messages - len(messages), MAX_BATCH), 0.0,
                                 visibility_timeout)
            messages += batch
        return messages

    def _receive(self, url: str, max_messages: int, wait_seconds: float,
                 visibility_timeout: float | None) -> list[Message]:
        if not 1 <= max_messages <= MAX_BATCH:
            raise ValueError(f"max_messages must be 1-{MAX_BATCH}, not {max_messages}")
        params: dict[str, Any] = {
            "QueueUrl": url,
            "MaxNumberOfMessages": max_messages,
            "WaitTimeSeconds": min(20, math.ceil(wait_seconds)),
            "MessageSystemAttributeNames": _ATTRIBUTES,
        }
        if visibility_timeout is not None:
            params["VisibilityTimeout"] = math.ceil(visibility_timeout)
        with translated("receiving clicks"):
            response = self.client.receive_message(**params)
        return [_message(m) for m in response.get("Messages", [])]

    def delete_batch(self, receipts: Sequence[str]) -> int:
        return self._delete(self.queue_url, receipts)

    def _delete(self, url: str, receipts: Sequence[str]) -> int:
        deleted = 0
        with translated("deleting messages"):
            for batch in _batches(receipts):
                entries = [{"Id": str(i), "ReceiptHandle": r} for i, r in enumerate(batch)]
                response = self.client.delete_message_batch(QueueUrl=url, Entries=entries)
                deleted += len(response.get("Successful", []))
        return deleted

    def change_visibility(self, receipt: str, timeout: float) -> bool:
        from botocore.exceptions import ClientError

        with translated("changing visibility"):
            try:
                self.client.change_message_visibility(
                    QueueUrl=self.queue_url, ReceiptHandle=receipt,
                    VisibilityTimeout=math.ceil(timeout))
            except ClientError as exc:
                if error_code(exc) in ("ReceiptHandleIsInvalid", "MessageNotInflight",
                                       "InvalidParameterValue"):
                    return False
                raise
        return True

    def approximate_depth(self) -> tuple[int, int]:
        attrs = self._attributes(self.queue_url)
        return (int(attrs.get("ApproximateNumberOfMessages", 0)),
                int(attrs.get("ApproximateNumberOfMessagesNotVisible", 0)))

    def _attributes(self, url: str) -> dict[str, str]:
        with translated("reading queue attributes"):
            return dict(self.client.get_queue_attributes(
                QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages",
                                              "ApproximateNumberOfMessagesNotVisible"],
            ).get("Attributes", {}))

    # --- dead letters
    def dlq_list(self, limit: int = 100) -> list[Message]:
        """Peek at dead letters: receive them briefly, then make them visible again."""
        seen: dict[str, Message] = {}
        while len(seen) < limit:
            batch = self._receive(self.dlq_url, min(MAX_BATCH, limit - len(seen)), 0, 30)
            fresh = [m for m in batch if m.message_id not in seen]
            if not fresh:
                break
            seen.update((m.message_id, m) for m in fresh)
        with translated("releasing dead letters"):
            for chunk in _batches(list(seen.values())):
                self.client.change_message_visibility_batch(
                    QueueUrl=self.dlq_url,
                    Entries=[{"Id": str(i), "ReceiptHandle": m.receipt, "VisibilityTimeout": 0}
                             for i, m in enumerate(chunk)])
        return list(seen.values())

    def dlq_redrive(self) -> int:
        """Receive from the dead-letter queue, send to the main queue, then delete.

        A crash between send and delete redrives a message twice; counting is keyed by
        click id, so that is harmless."""
        moved = 0
        while True:
            batch = self._receive(self.dlq_url, MAX_BATCH, 0, 60)
            if not batch:
                return moved
            self.send_batch([m.body for m in batch])
            moved += self._delete(self.dlq_url, [m.receipt for m in batch])

    def dlq_depth(self) -> int:
        attrs = self._attributes(self.dlq_url)
        return (int(attrs.get("ApproximateNumberOfMessages", 0))
                + int(attrs.get("ApproximateNumberOfMessagesNotVisible", 0)))
