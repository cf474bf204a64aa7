"""Each function's role grants exactly what its code calls.

The AWS calls every handler makes are recorded from botocore's own event system
(``provide-client-params`` on the injected clients) while a workload covering each
handler's paths runs: hits, misses, a taken alias, a redelivered batch, a poison
message. Then they are compared with the ``policy_statements`` of
``infra/terraform/main.tf``: nothing missing, nothing granted that is never called.
The analytics function's ``event_source_mapping`` grants serve the Lambda service's
poller, not the code; the local worker's calls must fit in them.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.support import wait_for

pytest.importorskip("hcl2", reason="python-hcl2 is in the `test` extra")

from tests.terraform_support import MAIN_TF, modules

FUNCTIONS = ("shortener", "redirect", "analytics", "stats", "manage")
LINKS = "${module.dynamodb.links_table_arn}"
BY_OWNER = "${module.dynamodb.links_table_arn}/index/by_owner"
CLICKS = "${module.dynamodb.clicks_table_arn}"
QUEUE = "${module.sqs.queue_arn}"
DLQ = "${module.sqs.dlq_arn}"
ESM = "event_source_mapping"
# What the SQS event source mapping needs (AWS Lambda developer guide, "Execution role
# permissions" for Amazon SQS).
ESM_NEEDS = {("sqs:ReceiveMessage", QUEUE), ("sqs:DeleteMessage", QUEUE),
             ("sqs:GetQueueAttributes", QUEUE)}
# API operations authorised by another IAM action.
IAM_ACTION = {"SendMessageBatch": "SendMessage", "DeleteMessageBatch": "DeleteMessage",
              "ChangeMessageVisibilityBatch": "ChangeMessageVisibility"}
TRANSACT_ACTION = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
                   "ConditionCheck": "ConditionCheckItem"}

Grant = tuple[str, str]


def terraform_grants() -> dict[str, dict[str, set[Grant]]]:
    """{function: {statement key: {(action, resource reference)}}} from main.tf."""
    return {
        name: {key: {(a, r) for a in s["actions"] for r in s["resources"]}
               for key, s in body["policy_statements"].items()}
        for name, body in modules(MAIN_TF).items() if name in FUNCTIONS
    }


class Recorder:
    """Records (IAM action, resource) per function from the clients' event system."""

    def __init__(self, resources: dict[str, str]) -> None:
        self.resources = resources
        self.function = "setup"
        self.calls: dict[str, set[Grant]] = defaultdict(set)

    def __call__(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        service = model.service_model.service_name
        operation = model.name
        if operation == "TransactWriteItems":
            for item in params["TransactItems"]:
                [(kind, body)] = item.items()
                self._add(f"dynamodb:{TRANSACT_ACTION[kind]}", body["TableName"])
            return
        if operation in ("BatchWriteItem", "BatchGetItem"):
            for table in params["RequestItems"]:
                self._add(f"dynamodb:{operation}", table)
            return
        target = params.get("TableName") or params.get("QueueUrl") or ""
        if params.get("IndexName"):
            target = f"{target}/index/{params['IndexName']}"
        self._add(f"{service}:{IAM_ACTION.get(operation, operation)}", target)

    def _add(self, action: str, physical: str) -> None:
        self.calls[self.function].add((action, self.resources.get(physical, physical)))


@pytest.fixture
def recorded(moto_server: Any, aws_clients: tuple[Any, Any]) -> Iterator[Recorder]:
    """Run the workload on components configured like the deployed functions."""
    from linkpulse.aws_lambda import runtime
    from linkpulse.backends import aws
    from linkpulse.backends.aws.resources import create_resources
    from linkpulse.settings import Settings
    from tests.aws_support import unique_names

    dynamodb, sqs = aws_clients
    names = unique_names()
    settings = Settings(backend="aws", endpoint_url=moto_server.endpoint,
                        visibility_timeout=1, open=True, **names)
    create_resources(settings, dynamodb, sqs)
    # Lambda gets the queue URLs from its environment (no GetQueueUrl call).
    urls = {key: sqs.get_queue_url(QueueName=names[f"{key}_name"])["QueueUrl"]
            for key in ("queue", "dlq")}
    settings = settings.replace(queue_url=urls["queue"], dlq_url=urls["dlq"])
    recorder = Recorder({names["links_table"]: LINKS, names["clicks_table"]: CLICKS,
                         f"{names['links_table']}/index/by_owner": BY_OWNER,
                         urls["queue"]: QUEUE, urls["dlq"]: DLQ})
    for client in aws_clients:
        client.meta.events.register("provide-client-params.*.*", recorder)
    components = aws.build(settings, dynamodb=dynamodb, sqs=sqs)
    runtime.use(components)
    try:
        _workload(components, recorder)
        yield recorder
    finally:
        for client in aws_clients:
            client.meta.events.unregister("provide-client-params.*.*", recorder)
        runtime.use(None)
        components.close()


def _workload(components: Any, recorder: Recorder) -> None:
    from linkpulse.aws_lambda.local import batch_handler
    from tests.lambda_target import LambdaEdge

    def as_function(name: str) -> None:
        recorder.function = name

    edge = LambdaEdge(on_invoke=as_function)
    json_headers = {"content-type": "application/json"}
    created = edge.request("POST", "/shorten", body=b'{"url": "https://example.com/"}',
                           headers=json_headers)
    code = json.loads(created[2])["code"]
    edge.request("POST", "/shorten", body=json.dumps(
        {"url": "https://example.com/", "alias": code}).encode(), headers=json_headers)
    edge.request("POST", "/shorten", body=b"not json", headers=json_headers)
    for path in (f"/{code}", f"/{code}", "/zzzzzzz", f"/stats/{code}", "/stats/zzzzzzz"):
        edge.request("GET", path, headers={"user-agent": "curl/8.5.0"})
    as_function("setup")
    components.queue.send("poison")
    handle: Callable[[list[Any]], Any] = batch_handler(components)
    for _ in range(2):  # the batch is not deleted after the first try: a redelivery
        as_function(ESM)
        messages = wait_for(lambda: _receive(components, 3), timeout=15,
                            message="3 messages delivered")
        as_function("analytics")
        result = handle(messages)
    as_function(ESM)
    components.queue.delete_batch([m.receipt for m in result.succeeded])
    as_function("stats")
    edge.request("GET", f"/stats/{code}")
    _keyed_workload(components, edge, as_function)
    as_function("setup")


def _keyed_workload(components: Any, edge: Any, as_function: Callable[[str], None]) -> None:
    """Calls with API keys: one key per function, as each container checks its own."""
    from linkpulse.core.keys import new_key

    def key(name: str, admin: bool = False) -> dict[str, str]:
        as_function("setup")
        secret, record = new_key(name, admin=admin)
        components.keys.add_key(record)
        return {"authorization": f"Bearer {secret}", "content-type": "application/json"}

    shortener, stats, manage = key("iam-shortener"), key("iam-stats"), key("iam-manage", True)
    created = edge.request("POST", "/shorten", body=b'{"url": "https://example.com/k"}',
                           headers=shortener)
    code = json.loads(created[2])["code"]
    edge.request("GET", f"/stats/{code}", headers=stats)
    edge.request("GET", f"/api/v1/events?code={code}", headers=stats)
    for method, path, body in (
            ("POST", "/api/v1/links", {"url": "https://example.com/m", "tags": ["t"]}),
            ("GET", "/api/v1/links", None), ("GET", "/api/v1/links?order=clicks", None),
            ("GET", f"/api/v1/links/{code}", None),
            ("PATCH", f"/api/v1/links/{code}", {"title": "t"}),
            ("DELETE", f"/api/v1/links/{code}", None),
            ("POST", "/api/v1/keys", {"name": "iam-made"}), ("GET", "/api/v1/keys", None),
            ("DELETE", "/api/v1/keys/iam-made", None)):
        edge.request(method, path, headers=manage,
                     body=json.dumps(body).encode() if body is not None else None)
    # A key's own listing goes through the by_owner index.
    edge.request("GET", "/api/v1/links", headers=shortener)


def _receive(components: Any, n: int) -> list[Any]:
    """``n`` messages received in one go (invisible 1 s), or [] after giving back."""
    got: list[Any] = []
    while len(got) < n and (batch := components.queue.receive(10, wait_seconds=1,
                                                              visibility_timeout=1)):
        got += batch
    return got if len(got) == n else []


def test_every_function_is_granted_exactly_what_its_code_calls(recorded: Recorder) -> None:
    grants = terraform_grants()
    assert set(grants) == set(FUNCTIONS)
    for function in FUNCTIONS:
        granted = set().union(*(g for key, g in grants[function].items() if key != ESM))
        called = recorded.calls[function]
        assert called - granted == set(), f"{function} calls what its role does not grant"
        assert granted - called == set(), f"{function} is granted what it never calls"


def test_event_source_mapping_grants_are_what_the_poller_needs(recorded: Recorder) -> None:
    grants = terraform_grants()
    esm = grants["analytics"].get(ESM, set())
    assert esm == ESM_NEEDS
    assert recorded.calls[ESM] <= esm, "the local worker does what the poller may not"
    assert all(ESM not in grants[f] for f in FUNCTIONS if f != "analytics")


def test_recorder_sees_every_handler(recorded: Recorder) -> None:
    """The workload reached every function (an empty record would prove nothing)."""
    assert all(recorded.calls[f] for f in (*FUNCTIONS, ESM)), dict(recorded.calls)
