"""The pipeline's CloudWatch alarms (infra/terraform/alarms.tf): the metrics they read,
their thresholds, and variables that refuse values no alarm could use."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("hcl2", reason="python-hcl2 is in the `test` extra")

from tests.infra.hcl_eval import evaluate
from tests.infra.module_checks import failures, scope
from tests.infra.test_terraform import ROOT, blocks, resources, single, variables

EXAMPLE = ROOT / "examples" / "complete"


def _alarms() -> dict[str, dict[str, Any]]:
    return resources(ROOT, "aws_cloudwatch_metric_alarm")


def _queue_age_threshold(**inputs: Any) -> Any:
    return evaluate(_alarms()["queue_age"]["threshold"], scope(ROOT, inputs))


def test_queue_age_alarm_fires_when_a_click_waited_a_minute_past_the_window() -> None:
    alarm = _alarms()["queue_age"]
    assert alarm["namespace"] == "AWS/SQS"
    assert alarm["metric_name"] == "ApproximateAgeOfOldestMessage"
    assert alarm["dimensions"] == {"QueueName": "${module.sqs.queue_name}"}
    assert alarm["statistic"] == "Maximum"
    assert alarm["comparison_operator"] == "GreaterThanThreshold"
    assert variables(ROOT)["alarm_queue_age_threshold_seconds"]["default"] == 60
    assert _queue_age_threshold(analytics_batching_window_seconds=0) == 60


def test_queue_age_alarm_stays_quiet_while_clicks_wait_for_the_batching_window() -> None:
    """The event source mapping holds received clicks until its window closes, and SQS
    counts them in ApproximateAgeOfOldestMessage: at the default 300 s window a 60 s
    threshold would fire on every quiet batch."""
    window = variables(ROOT)["analytics_batching_window_seconds"]["default"]
    assert window == 300
    assert _queue_age_threshold() == window + 60
    assert _queue_age_threshold(analytics_batching_window_seconds=20,
                                alarm_queue_age_threshold_seconds=30) == 50


def test_error_ratio_alarm_divides_5xx_by_requests_of_this_api() -> None:
    alarm = _alarms()["error_ratio"]
    queries = {q["id"]: q for q in alarm["metric_query"]}
    assert queries["ratio"]["return_data"] is True
    assert "errors / requests" in queries["ratio"]["expression"]
    for query_id, metric_name in (("errors", "5xx"), ("requests", "Count")):
        metric = single(queries[query_id]["metric"])
        assert metric["namespace"] == "AWS/ApiGateway"
        assert metric["metric_name"] == metric_name
        assert metric["dimensions"] == {"ApiId": "${module.api_gateway.api_id}"}
        assert metric["stat"] == "Sum"
    assert alarm["threshold"] == "${var.alarm_error_ratio_threshold}"


def test_dead_letter_alarm_is_the_queue_modules() -> None:
    """The third alarm, DLQ not empty, lives with the queue; alarms.tf reports it."""
    assert "dlq" in resources(ROOT / "modules" / "sqs", "aws_cloudwatch_metric_alarm")
    outputs = dict(blocks(ROOT, "output"))
    assert "${module.sqs.dlq_alarm_arn}" in str(outputs["alarm_arns"]["value"])


def test_every_alarm_notifies_the_alarm_topic() -> None:
    for name in ("queue_age", "error_ratio"):
        alarm = _alarms()[name]
        assert alarm["alarm_actions"] == "${local.alarm_actions}", name
        assert alarm["ok_actions"] == "${local.alarm_actions}", name


@pytest.mark.parametrize(("variable", "value"), [
    ("alarm_queue_age_threshold_seconds", 0),
    ("alarm_queue_age_threshold_seconds", 2_000_000),
    ("alarm_error_ratio_threshold", 0),
    ("alarm_error_ratio_threshold", 1.5),
    ("alarm_error_ratio_period_seconds", 90),
    ("alarm_error_ratio_period_seconds", 30),
])
def test_a_threshold_no_alarm_could_use_fails_the_plan(variable: str, value: float) -> None:
    found = failures(ROOT, {variable: value})
    assert [c.where for c in found] == [f"root: validation of var.{variable}"]


def test_the_example_passes_its_alarm_thresholds() -> None:
    assert failures(EXAMPLE) == []
