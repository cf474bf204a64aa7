"""Create the AWS resources of the local flavour (``serve --create-resources``).

Mirrors ``infra/terraform`` (tables with TTL, the queue with its
dead-letter queue and redrive policy) for an emulator or a sandbox account. Existing
resources are left as they are.
"""

from __future__ import annotations

import json
from typing import Any

from linkpulse.backends.aws.clients import error_code, translated
from linkpulse.settings import Settings


def create_resources(settings: Settings, dynamodb: Any, sqs: Any) -> None:
    with translated("creating resources"):
        _table(dynamodb, settings.links_table,
               {"code": "S", "owner": "S", "created_at": "N"}, [("code", "HASH")],
               gsi=[{"IndexName": "by_owner",
                     "KeySchema": [{"AttributeName": "owner", "KeyType": "HASH"},
                                   {"AttributeName": "created_at", "KeyType": "RANGE"}],
                     "Projection": {"ProjectionType": "ALL"}}])
        _table(dynamodb, settings.clicks_table, {"pk": "S", "sk": "S"},
               [("pk", "HASH"), ("sk", "RANGE")])
        dlq_url = sqs.create_queue(QueueName=settings.dlq_name, Attributes={
            "MessageRetentionPeriod": str(settings.dlq_retention_seconds),
        })["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(
            QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sqs.create_queue(QueueName=settings.queue_name, Attributes={
            "MessageRetentionPeriod": str(settings.queue_retention_seconds),
            "VisibilityTimeout": str(int(settings.visibility_timeout)),
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn,
                                         "maxReceiveCount": settings.max_receive_count}),
        })


def _table(client: Any, name: str, attributes: dict[str, str],
           key: list[tuple[str, str]], gsi: list[dict[str, Any]] | None = None) -> None:
    from botocore.exceptions import ClientError

    params: dict[str, Any] = {
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": a, "AttributeType": t}
                                 for a, t in attributes.items()],
        "KeySchema": [{"AttributeName": a, "KeyType": k} for a, k in key],
    }
    if gsi:
        params["GlobalSecondaryIndexes"] = gsi
    try:
        client.create_table(**params)
    except ClientError as exc:
        if error_code(exc) != "ResourceInUseException":
            raise
        return
    client.get_waiter("table_exists").wait(TableName=name,
                                           WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    client.update_time_to_live(TableName=name, TimeToLiveSpecification={
        "Enabled": True, "AttributeName": "ttl"})
