"""The four Lambda handlers on real-shaped events (tests/events), against moto."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable
from typing import Any

from linkpulse.aws_lambda import analytics, redirect, runtime, shortener, stats
from linkpulse.core import service
from tests.support import wait_for

Event = Callable[[str], dict[str, Any]]
POISON_ID = "2e1424d4-f796-459a-8184-9c92662be6da"


def _drain(components: Any) -> list[Any]:
    got: list[Any] = []
    while batch := components.queue.receive(10, wait_seconds=0.5):
        got += batch
    return got


def test_redirect_event_answers_302_and_queues_one_anonymised_click(
    components: Any, event: Event, context: Any
) -> None:
    service.shorten(components.links, "https://example.org/target", alias="abc1234")
    result = redirect.handler(event("apigw_v2_redirect"), context)
    assert result["statusCode"] == 302
    assert result["headers"]["location"] == "https://example.org/target"
    assert result["headers"]["cache-control"] == "no-cache, no-store"
    [message] = wait_for(lambda: _drain(components), timeout=10, message="a click message")
    click = json.loads(message.body)
    assert click["code"] == "abc1234"
    assert click["ip"] == "203.0.113.0"  # sourceIp of payload 2.0, anonymised
    assert click["ref"] == "https://news.example/"


def test_redirect_of_unknown_code_is_404_json(components: Any, event: Event,
                                              context: Any) -> None:
    result = redirect.handler(event("apigw_v2_redirect"), context)
    assert result["statusCode"] == 404
    assert json.loads(result["body"]) == {"error": "Short URL not found"}
    assert _drain(components) == []


def test_shorten_event_answers_201_with_the_api_gateway_host_and_cors(
    components: Any, event: Event, context: Any
) -> None:
    result = shortener.handler(event("apigw_v2_shorten"), context)
    assert result["statusCode"] == 201
    body = json.loads(result["body"])
    assert body["short_url"] == (
        f"https://r3pmxmplak.execute-api.us-east-1.amazonaws.com/{body['code']}")
    assert result["headers"]["access-control-allow-origin"] == "*"
    assert components.links.get(body["code"]).url == "https://example.com/landing"


def test_short_url_never_comes_from_the_clients_host_or_proto(
    components: Any, event: Event, context: Any
) -> None:
    """Issue 12: a hostile Host or x-forwarded-proto never reaches ``short_url``; the
    domain is the one API Gateway matched, the scheme http or https."""
    raw = event("apigw_v2_shorten")
    raw["headers"].update({"host": "evil.example", "x-forwarded-proto": "javascript:alert(1)//"})
    result = shortener.handler(raw, context)
    assert result["statusCode"] == 201
    body = json.loads(result["body"])
    assert body["short_url"] == (
        f"https://r3pmxmplak.execute-api.us-east-1.amazonaws.com/{body['code']}")


def test_shorten_event_with_base64_body_is_decoded(components: Any, event: Event,
                                                    context: Any) -> None:
    import base64

    raw = event("apigw_v2_shorten")
    raw["body"] = base64.b64encode(b'{"url": "https://example.com/b64"}').decode()
    raw["isBase64Encoded"] = True
    result = shortener.handler(raw, context)
    assert result["statusCode"] == 201
    assert json.loads(result["body"])["original_url"] == "https://example.com/b64"


def test_sqs_batch_with_a_poison_message_fails_that_message_alone(
    components: Any, event: Event, context: Any
) -> None:
    service.shorten(components.links, "https://example.org/", alias="abc1234")
    result = analytics.handler(event("sqs_clicks"), context)
    assert result == {"batchItemFailures": [{"itemIdentifier": POISON_ID}]}
    counted = components.analytics.analytics("abc1234")
    assert counted.total == 2
    assert counted.bots == 1


def test_redelivered_sqs_batch_counts_nothing_twice(components: Any, event: Event,
                                                    context: Any) -> None:
    for _ in range(3):
        analytics.handler(event("sqs_clicks"), context)
    assert components.analytics.analytics("abc1234").total == 2


def test_failed_batch_write_reports_every_message(
    aws_clients: tuple[Any, Any], event: Event, context: Any
) -> None:
    """GIVEN a clicks table that does not exist THEN every record comes back."""
    from linkpulse.backends import aws
    from linkpulse.settings import Settings

    dynamodb, sqs = aws_clients
    broken = aws.build(Settings(backend="aws", clicks_table="no-such-table"),
                       dynamodb=dynamodb, sqs=sqs)
    runtime.use(broken)
    try:
        result = analytics.handler(event("sqs_clicks"), context)
    finally:
        runtime.use(None)
    ids = [r["messageId"] for r in event("sqs_clicks")["Records"]]
    assert sorted(f["itemIdentifier"] for f in result["batchItemFailures"]) == sorted(ids)


def test_stats_event_answers_200_with_the_v1_fields(components: Any, event: Event,
                                                   context: Any) -> None:
    service.shorten(components.links, "https://example.org/", alias="abc1234")
    analytics.handler(event("sqs_clicks"), context)
    result = stats.handler(event("apigw_v2_stats"), context)
    assert result["statusCode"] == 200
    body = json.loads(result["body"])
    assert body["total_clicks"] == 2
    assert body["recent_clicks_shown"] == 2
    assert body["recent_clicks"][0]["click_id"] > body["recent_clicks"][1]["click_id"]


def _log_lines(run: Callable[[], object]) -> list[dict[str, Any]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(runtime.logger.registered_formatter)
    runtime.logger.addHandler(handler)
    level = runtime.logger.log_level
    runtime.logger.setLevel("DEBUG")
    try:
        run()
    finally:
        runtime.logger.setLevel(level)
        runtime.logger.removeHandler(handler)
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_http_invocations_are_logged_as_http_with_the_v2_method(
    components: Any, event: Event, context: Any
) -> None:
    lines = _log_lines(lambda: stats.handler(event("apigw_v2_stats"), context))
    assert lines
    assert all(line["invocation"] == "http" for line in lines)
    assert {line["http_method"] for line in lines} == {"GET"}
    assert lines[0]["function_name"] == context.function_name


def test_sqs_invocations_are_logged_as_sqs(components: Any, event: Event,
                                           context: Any) -> None:
    lines = _log_lines(lambda: analytics.handler(event("sqs_clicks"), context))
    summary = [line for line in lines if line["message"] == "batch processed"]
    assert summary
    assert summary[0]["invocation"] == "sqs"
    assert summary[0]["records"] == 3
    assert "http_method" not in summary[0]


def test_thirty_concurrent_creations_under_ten_per_minute_on_lambda(
        aws_components: Callable[..., Any]) -> None:
    """The handlers count creations in DynamoDB: 30 concurrent invocations (one client
    behind API Gateway) under 10/minute create 10 (one more per 6 s the burst takes on a
    loaded machine: at most 12), the rest are 429."""
    from concurrent.futures import ThreadPoolExecutor

    from tests.lambda_target import LambdaEdge

    components = aws_components(create_rate_limit="10/minute", open=True)
    runtime.use(components)
    edge = LambdaEdge()
    try:
        with ThreadPoolExecutor(8) as pool:
            replies = list(pool.map(lambda i: edge.request(
                "POST", "/shorten", body=f'{{"url": "https://example.com/{i}"}}'.encode(),
                headers={"content-type": "application/json"}), range(30)))
    finally:
        runtime.use(None)
        components.close()
    statuses = [status for status, _, _ in replies]
    assert 10 <= statuses.count(201) <= 12
    assert statuses.count(201) + statuses.count(429) == 30
    assert all(1 <= int(h["retry-after"]) <= 60 for s, h, _ in replies if s == 429)
