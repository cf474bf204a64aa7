"""The SQS consumer: a batch of click messages -> exact counts, partial batch failure.

The whole batch is decoded and recorded in one transactional step
(:func:`service.process_batch`, which splits a batch whose write fails until only the
messages that cannot be recorded are left); Powertools' ``BatchProcessor`` then reports
each record's outcome, so ``batchItemFailures`` lists exactly the messages that must
come back. A malformed record (no body, say) fails alone; one without a usable
``messageId`` cannot be reported and is only logged.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from linkpulse.aws_lambda import events, runtime
from linkpulse.core import service
from linkpulse.core.models import Message

processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
last_recorded = 0
"""Clicks newly counted by the last invocation (the local worker reports it)."""


class NotRecorded(Exception):
    """This record failed in the batch write (or could not be decoded)."""


def _messages(records: list[Any]) -> tuple[list[Message], set[str]]:
    """The records as messages, and the ids of the records that are malformed."""
    messages: list[Message] = []
    malformed: set[str] = set()
    for record in records:
        try:
            messages.append(events.sqs_message(record))
        except ValueError as exc:
            runtime.logger.warning("malformed SQS record", extra={"error": str(exc)})
            if isinstance(record, dict) and isinstance(record.get("messageId"), str):
                malformed.add(record["messageId"])
    return messages, malformed


@runtime.entry
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    raw = event.get("Records") if isinstance(event, dict) else None
    records = [r for r in raw if _reportable(r)] if isinstance(raw, list) else []
    messages, malformed = _messages(records)
    global last_recorded
    if not records:  # nothing to report on (Powertools refuses an empty batch)
        last_recorded = 0
        return {"batchItemFailures": []}
    components = runtime.components()
    result = service.process_batch(components.analytics, messages, components.metrics)
    last_recorded = result.recorded
    failed = {m.message_id for m in result.failed} | malformed
    runtime.logger.info("batch processed", extra={
        "received": len(messages), "recorded": result.recorded, "failed": len(failed)})

    def outcome(record: SQSRecord) -> None:
        if record.message_id in failed:
            raise NotRecorded(record.message_id)

    return dict(process_partial_response(event={"Records": records}, record_handler=outcome,
                                         processor=processor, context=context))


def _reportable(record: object) -> bool:
    """A record ``batchItemFailures`` can name; SQS never sends one without an id."""
    if isinstance(record, dict) and isinstance(record.get("messageId"), str):
        return True
    runtime.logger.warning("SQS record without a messageId ignored")
    return False
