"""On Lambda the pipeline's events are CloudWatch metrics: Powertools writes them as EMF
lines on stdout at the end of each invocation (no CloudWatch API call)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from linkpulse.aws_lambda import analytics, redirect, runtime, shortener
from linkpulse.core import service

Event = Callable[[str], dict[str, Any]]


@pytest.fixture
def emf_components(aws_components: Callable[..., Any]) -> Iterator[Any]:
    """aws Components whose events go to the handlers' EMF metrics, as on Lambda."""
    made = aws_components(open=True, metrics=runtime.metrics)
    runtime.use(made)
    yield made
    runtime.use(None)
    made.close()


def emf_metrics(stdout: str) -> list[tuple[str, dict[str, str], Any]]:
    """(metric name, dimensions, value) of every EMF line printed; values a line lists
    (one per add_metric) are summed."""
    found = []
    for line in stdout.splitlines():
        if not line.startswith("{") or '"_aws"' not in line:
            continue  # a log line
        blob = json.loads(line)
        [directive] = blob["_aws"]["CloudWatchMetrics"]
        assert directive["Namespace"] == "linkpulse"
        dimensions = {d: blob[d] for group in directive["Dimensions"] for d in group}
        for metric in directive["Metrics"]:
            value = blob[metric["Name"]]
            found.append((metric["Name"], dimensions,
                          sum(value) if isinstance(value, list) else value))
    return found


def test_a_redirect_writes_its_outcome_and_the_queued_click_as_emf(
    emf_components: Any, event: Event, context: Any, capsys: pytest.CaptureFixture[str],
) -> None:
    service.shorten(emf_components.links, "https://example.org/target", alias="abc1234")
    capsys.readouterr()
    assert redirect.handler(event("apigw_v2_redirect"), context)["statusCode"] == 302
    metrics = emf_metrics(capsys.readouterr().out)
    assert ("Redirects", {"service": "linkpulse", "outcome": "302"}, 1) in metrics
    assert ("ClicksQueued", {"service": "linkpulse"}, 1) in metrics


def test_an_unknown_code_is_a_404_redirect_and_queues_nothing(
    emf_components: Any, event: Event, context: Any, capsys: pytest.CaptureFixture[str],
) -> None:
    redirect.handler(event("apigw_v2_redirect"), context)
    metrics = emf_metrics(capsys.readouterr().out)
    assert metrics == [("Redirects", {"service": "linkpulse", "outcome": "404"}, 1)]


def test_a_creation_writes_links_created(
    emf_components: Any, event: Event, context: Any, capsys: pytest.CaptureFixture[str],
) -> None:
    assert shortener.handler(event("apigw_v2_shorten"), context)["statusCode"] == 201
    assert emf_metrics(capsys.readouterr().out) == [
        ("LinksCreated", {"service": "linkpulse"}, 1)]


def test_a_batch_writes_its_size_duration_and_recorded_clicks(
    emf_components: Any, event: Event, context: Any, capsys: pytest.CaptureFixture[str],
) -> None:
    """The sample batch: two clicks and a poison message."""
    service.shorten(emf_components.links, "https://example.org/", alias="abc1234")
    capsys.readouterr()
    sqs_event = event("sqs_clicks")
    analytics.handler(sqs_event, context)
    metrics = {name: (dims, value) for name, dims, value in
               emf_metrics(capsys.readouterr().out)}
    assert metrics["BatchSize"] == ({"service": "linkpulse"}, len(sqs_event["Records"]))
    assert metrics["ClicksRecorded"] == ({"service": "linkpulse"}, 2)
    assert metrics["BatchDuration"][1] > 0


def test_an_invocation_with_no_event_to_count_writes_no_emf(
    emf_components: Any, event: Event, context: Any, capsys: pytest.CaptureFixture[str],
) -> None:
    analytics.handler({"Records": []}, context)
    assert emf_metrics(capsys.readouterr().out) == []
