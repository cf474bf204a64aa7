"""The SQS consumer: a batch of click messages -> exact counts, partial batch failure.

The whole batch is decoded and recorded in one transactional step
(:func:`service.process_batch`); Powertools' ``BatchProcessor`` then reports each
record's outcome, so ``batchItemFailures`` lists exactly the messages that must come
back: a poison message alone, or the whole batch if the write failed.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from linkpulse.aws_lambda import runtime
from linkpulse.core import service
from linkpulse.core.models import Message

processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
last_recorded = 0
"""Clicks newly counted by the last invocation (the local worker reports it)."""


class NotRecorded(Exception):
    """This record failed in the batch write (or could not be decoded)."""


def _message(record: dict[str, Any]) -> Message:
    attributes = record.get("attributes", {})
    return Message(record["messageId"], record["body"], record["receiptHandle"],
                   int(attributes.get("ApproximateReceiveCount", 1)),
                   int(attributes.get("SentTimestamp", 0)) / 1000)


@runtime.entry
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    messages = [_message(r) for r in event["Records"]]
    global last_recorded
    result = service.process_batch(runtime.components().analytics, messages)
    last_recorded = result.recorded
    failed = {m.message_id for m in result.failed}
    runtime.logger.info("batch processed", extra={
        "received": len(messages), "recorded": result.recorded, "failed": len(failed)})

    def outcome(record: SQSRecord) -> None:
        if record.message_id in failed:
            raise NotRecorded(record.message_id)

    return dict(process_partial_response(event=event, record_handler=outcome,
                                         processor=processor, context=context))
