"""Run the analytics handler locally the way the SQS event source mapping does.

``linkpulse worker --backend aws`` long-polls the queue with the ordinary
:class:`linkpulse.consumer.Consumer` and hands each batch (at most 10) to
:func:`batch_handler`, which builds a real-shaped SQS event, invokes the Lambda handler
and turns its ``batchItemFailures`` into the messages to keep: the consumer deletes
only the others, exactly like the mapping with ``ReportBatchItemFailures``.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from typing import Any

from linkpulse.bootstrap import Components
from linkpulse.consumer import BatchHandler
from linkpulse.core.models import BatchResult, Message


@dataclass
class LocalContext:
    """The fields of the Lambda context object that Powertools reads."""

    function_name: str = "linkpulse-analytics"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:000000000000:function:linkpulse-analytics"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def sqs_event(messages: list[Message], queue_arn: str, region: str) -> dict[str, Any]:
    return {"Records": [{
        "messageId": m.message_id,
        "receiptHandle": m.receipt,
        "body": m.body,
        "attributes": {
            "ApproximateReceiveCount": str(m.receive_count),
            "SentTimestamp": str(int(m.sent_at * 1000)),
            "SenderId": "AIDAIENQZJOLO23YVJ4VO",
            "ApproximateFirstReceiveTimestamp": str(int(m.sent_at * 1000)),
        },
        "messageAttributes": {},
        "md5OfBody": hashlib.md5(m.body.encode(), usedforsecurity=False).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    } for m in messages]}


def batch_handler(components: Components) -> BatchHandler:
    """A :class:`Consumer` handle that goes through the analytics Lambda handler."""
    from linkpulse.aws_lambda import analytics, runtime

    runtime.use(components)
    settings = components.settings
    arn = f"arn:aws:sqs:{settings.region}:000000000000:{settings.queue_name}"

    def handle(messages: list[Message]) -> BatchResult:
        response = analytics.handler(sqs_event(messages, arn, settings.region), LocalContext())
        failed = {f["itemIdentifier"] for f in response.get("batchItemFailures", [])}
        return BatchResult(
            succeeded=tuple(m for m in messages if m.message_id not in failed),
            failed=tuple(m for m in messages if m.message_id in failed),
            recorded=analytics.last_recorded,
        )

    return handle
