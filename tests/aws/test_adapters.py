"""The DynamoDB and SQS adapters: read pattern, TTLs, long keys, vendor errors."""

from __future__ import annotations

import time
from typing import Any

import pytest

from linkpulse.api import HttpApi
from linkpulse.core import service
from linkpulse.core.clicks import make_event
from linkpulse.core.errors import BackendUnavailable
from linkpulse.core.models import Link


def _reads(client: Any, run: Any) -> list[tuple[str, Any]]:
    seen: list[tuple[str, Any]] = []

    def hook(params: dict[str, Any], model: Any, **_: Any) -> None:
        seen.append((model.name, params.get("ConsistentRead")))

    client.meta.events.register("provide-client-params.dynamodb.*", hook)
    try:
        run()
    finally:
        client.meta.events.unregister("provide-client-params.dynamodb.*", hook)
    return seen


def test_link_read_is_eventually_consistent_and_only_a_miss_is_read_again(
    components: Any, aws_clients: tuple[Any, Any]
) -> None:
    store = components.links._inner  # the DynamoDB store behind the process cache
    store.create_if_absent(Link("hit0001", "https://e.example/", "https://e.example/", 1))
    assert _reads(aws_clients[0], lambda: store.get("hit0001")) == [("GetItem", False)]
    assert _reads(aws_clients[0], lambda: store.get("miss001")) == [
        ("GetItem", False), ("GetItem", True)]


def test_click_rows_expire_after_the_retention_and_links_only_if_they_expire(
    components: Any, aws_clients: tuple[Any, Any]
) -> None:
    dynamodb = aws_clients[0]
    settings = components.settings
    now = time.time()
    service.shorten(components.links, "https://e.example/", alias="keep001")
    service.shorten(components.links, "https://e.example/", alias="soon001",
                    expires_at=int(now) + 60)
    event = make_event("keep001", "curl/8", "", "192.0.2.1", now)
    components.analytics.record([service.enrich(event)])
    links = {c: dynamodb.get_item(TableName=settings.links_table, Key={"code": {"S": c}})
             ["Item"] for c in ("keep001", "soon001")}
    assert "ttl" not in links["keep001"]
    assert links["soon001"]["ttl"] == {"N": str(int(now) + 60)}
    row = dynamodb.get_item(TableName=settings.clicks_table, Key={
        "pk": {"S": "C#keep001"}, "sk": {"S": event.click_id}})["Item"]
    assert int(row["ttl"]["N"]) == int(now) + settings.click_retention_days * 86_400


def test_a_user_agent_longer_than_a_sort_key_is_counted_whole(components: Any) -> None:
    agent = "é" * 512  # 1 KiB in UTF-8: more than a sort key may hold with its prefix
    event = make_event("long001", agent, "", "192.0.2.1")
    assert components.analytics.record([service.enrich(event)]) == 1
    assert components.analytics.analytics("long001").user_agents[0].key == agent


@pytest.fixture
def unreachable(components: Any) -> Any:
    """The same adapters, with credentials, pointed at a port nobody listens on."""
    import boto3
    from botocore.config import Config

    from linkpulse.backends import aws
    from tests.support import free_port

    dead = f"http://127.0.0.1:{free_port()}"
    kw: dict[str, Any] = {"endpoint_url": dead, "region_name": "us-east-1",
                          "aws_access_key_id": "t", "aws_secret_access_key": "t",
                          "config": Config(retries={"max_attempts": 1}, connect_timeout=1)}
    settings = components.settings.replace(endpoint_url=dead, queue_url=f"{dead}/q")
    return aws.build(settings, dynamodb=boto3.client("dynamodb", **kw),
                     sqs=boto3.client("sqs", **kw))


def test_unreachable_backends_raise_backend_unavailable(unreachable: Any) -> None:
    with pytest.raises(BackendUnavailable):
        unreachable.links.get("abc1234")
    with pytest.raises(BackendUnavailable):
        unreachable.queue.send("x")
    with pytest.raises(BackendUnavailable):
        unreachable.analytics.analytics("abc1234")


def test_redirect_still_answers_302_when_the_queue_is_unreachable(
    components: Any, unreachable: Any
) -> None:
    service.shorten(components.links, "https://e.example/up", alias="up00001")
    api = HttpApi(components.links, components.analytics, unreachable.sender)
    reply = api.redirect("up00001", count=True, user_agent=None, referer=None,
                         client_ip="192.0.2.1")
    assert reply.status == 302
    assert reply.headers["location"] == "https://e.example/up"


def test_shorten_is_a_503_json_error_when_dynamodb_is_unreachable(unreachable: Any) -> None:
    api = HttpApi(unreachable.links, unreachable.analytics, unreachable.sender)
    reply = api.shorten(b'{"url": "https://e.example/"}', "https://lp.example")
    assert reply.status == 503
    assert reply.headers["retry-after"] == "1"
    assert "error" in reply.json()
