"""`terraform plan` cannot fail on our own checks: every module block (the stack's and the
example's) is evaluated against the called module's variable validations, and every
precondition against the values that reach it. No terraform binary, no provider: the
expressions are evaluated by tests/infra/hcl_eval.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("hcl2", reason="python-hcl2 is in the `test` extra")

from tests.infra.hcl_eval import UNKNOWN, HclError, compile_expression, evaluate
from tests.infra.module_checks import Check, checks, failures

ROOT = Path(__file__).resolve().parents[2] / "infra" / "terraform"
EXAMPLE = ROOT / "examples" / "complete"


def _report(found: list[Check]) -> str:
    return "\n".join(f"{c.where}: {c.message}" for c in found)


@pytest.mark.parametrize("directory", [ROOT, EXAMPLE], ids=["stack", "examples/complete"])
def test_no_validation_or_precondition_fails_at_plan(directory: Path) -> None:
    """GIVEN the stack with its defaults, and the example with its values THEN every
    validation and precondition down the module tree passes or waits for apply."""
    assert failures(directory) == [], _report(failures(directory))


@pytest.mark.parametrize("directory", [ROOT, EXAMPLE], ids=["stack", "examples/complete"])
def test_the_checks_are_decided_not_skipped(directory: Path) -> None:
    """Only checks on values known after apply (ARNs in IAM statements) stay undecided."""
    found = checks(directory)
    undecided = [c for c in found if c.outcome is UNKNOWN]
    assert len(found) > 100
    assert all("policy_statements" in c.where for c in undecided), _report(undecided)
    routes = [c for c in found if c.where.endswith("module.api_gateway: validation of var.routes")]
    assert routes
    assert all(c.outcome is True for c in routes)


def test_a_bad_route_key_fails_the_plan() -> None:
    """The check that was missing when "$default" met a "METHOD /path"-only validation."""
    routes = {"GET /{code}": "redirect", "GET/stats": "stats"}
    found = failures(ROOT / "modules" / "api_gateway",
                     {"name": "x", "functions": UNKNOWN, "routes": routes})
    assert [c.where for c in found] == ["root: validation of var.routes"]


def test_an_unknown_or_missing_module_argument_fails_the_plan(tmp_path: Path) -> None:
    child = tmp_path / "child"
    child.mkdir()
    (child / "variables.tf").write_text(
        'variable "needed" {\n  type = string\n}\n', encoding="utf-8")
    (tmp_path / "main.tf").write_text(
        'module "child" {\n  source = "./child"\n  typo = 1\n}\n', encoding="utf-8")
    assert {c.message for c in failures(tmp_path)} == {
        "An argument named 'typo' is not expected here.", "The argument 'needed' is required."}


# --- the evaluator itself ---------------------------------------------------------------------


@pytest.mark.parametrize(("expression", "var", "expected"), [
    ('can(regex("^(GET|POST) /", var.x))', "GET /a", True),
    ('can(regex("^(GET|POST) /", var.x))', "$default", False),
    ('alltrue([for k in keys(var.x) : can(regex("^a", k))])', {"ab": 1, "b": 2}, False),
    ('alltrue([for k in keys(var.x) : can(regex("^a", k))])', {"ab": UNKNOWN}, True),
    ('contains(["x86_64", "arm64"], var.x)', "arm64", True),
    ('contains(["x86_64", "arm64"], var.x)', "ARM", False),
    ("var.x >= 1 && var.x <= 10", 0, False),
    ("var.x >= 1 && var.x <= 10", 10, True),
    ("var.x == null || var.x > 2", None, True),
    ('var.x > 0 ? "y" : "n"', 3, "y"),
    ("length(var.x) * 2 + 1", [1, 2], 5),
    ('!strcontains(var.x, "*")', "sqs:*", False),
    ("{for k, v in var.x : v => k}", {"a": "b"}, {"b": "a"}),
    ('"${var.x}-dlq"', "q", "q-dlq"),
    ("var.x >= 6 * 30 + 5", UNKNOWN, UNKNOWN),
    ("alltrue([false, var.x])", UNKNOWN, False),
])
def test_evaluator_computes_terraform_expressions(expression: str, var: Any,
                                                  expected: Any) -> None:
    assert compile_expression(expression)({"var": {"x": var}}) == expected


def test_evaluator_reports_errors_instead_of_guessing() -> None:
    with pytest.raises(HclError):
        evaluate('${regex("^a", "b")}', {})
    with pytest.raises(HclError):
        evaluate("${nosuchfunction(1)}", {})


# --- bad input: variables that would break the pipeline are refused at plan time -------------


@pytest.mark.parametrize(("inputs", "refusal"), [
    # 6 x 30 s (analytics_timeout) + 300 s (window) = 480 s
    ({"queue_visibility_timeout_seconds": 479},
     "visibility_timeout_seconds must be at least 6 x consumer_timeout_seconds + "
     "consumer_batching_window."),
    ({"analytics_batching_window_seconds": 301, "queue_visibility_timeout_seconds": 10_000},
     "analytics_batching_window_seconds must be 0-300."),
    # 4 days in the queue + 14 in the DLQ = 18 days of possible redelivery
    ({"click_retention_days": 17},
     "click_retention_days must cover queue_message_retention_seconds + "
     "dlq_message_retention_seconds."),
    ({"analytics_batch_size": 11, "analytics_batching_window_seconds": 0},
     "analytics_batch_size above 10 needs analytics_batching_window_seconds > 0."),
    ({"analytics_batch_size": 10_001}, "analytics_batch_size must be 1-10000 (the SQS event "
     "source mapping's limit)."),
    ({"analytics_maximum_concurrency": 1}, "analytics_maximum_concurrency must be null or 2-1000."),
    ({"lambda_tracing_mode": "On"}, "lambda_tracing_mode must be Active or PassThrough."),
    ({"lambda_system_log_level": "ERROR"}, "lambda_system_log_level must be DEBUG, INFO or WARN."),
    ({"create_rate_limit": "10/day"},
     "create_rate_limit must be N/second, N/minute, N/hour (N >= 1) or off."),
    ({"api_route_throttling": {"POST /shorten": {"burst_limit": 1.5, "rate_limit": 1}}},
     "api_route_throttling keys must be route keys (\"POST /shorten\") with a whole "
     "burst_limit >= 0 and a rate_limit >= 0."),
    ({"api_route_throttling": {"POST /nowhere": {"burst_limit": 5, "rate_limit": 1}}},
     "Every route_throttling key must be a route key of var.routes."),
    ({"api_throttling_rate_limit": -1},
     "api_throttling_rate_limit must be 0 or more requests per second."),
])
def test_settings_that_would_break_the_pipeline_are_refused(inputs: dict[str, Any],
                                                            refusal: str) -> None:
    """GIVEN one bad variable THEN plan fails with its message (the stack's own check comes
    first; a module given the same value may refuse it too)."""
    found = failures(ROOT, inputs)
    assert found, inputs
    assert found[0].message == refusal


def test_the_edges_of_the_refusals_pass() -> None:
    """The limits themselves are allowed: 480 s visibility, 18-day retention, 10 without a
    window, no concurrency cap."""
    assert failures(ROOT, {"queue_visibility_timeout_seconds": 480, "click_retention_days": 18,
                           "analytics_batch_size": 10, "analytics_batching_window_seconds": 0,
                           "analytics_maximum_concurrency": None}) == []
