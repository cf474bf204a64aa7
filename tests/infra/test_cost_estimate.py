"""The quoted AWS cost is the measured one: docs/aws-cost.json, written by
bench/aws_cost.py, priced by infra/cost_estimate.py and quoted by the docs."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parents[2]
MEASUREMENT = REPO / "docs" / "aws-cost.json"
MEASURED_KEYS = {"wru_per_click", "rru_per_click", "sqs_requests_per_click",
                 "clicks_per_batch", "clicks_replayed"}


def _cost_estimate() -> ModuleType:
    spec = importlib.util.spec_from_file_location("cost_estimate",
                                                  REPO / "infra" / "cost_estimate.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["cost_estimate"] = module
    spec.loader.exec_module(module)
    return module


def _stored() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(MEASUREMENT.read_text(encoding="utf-8"))
    return doc


def test_the_stored_measurement_replayed_at_least_20000_clicks() -> None:
    doc = _stored()
    assert doc.keys() >= {"total_usd", "breakdown", "measured", "clicks_replayed",
                          "git_revision", "levers", "redirects_per_month"}
    assert doc["measured"].keys() >= MEASURED_KEYS
    assert doc["clicks_replayed"] == doc["measured"]["clicks_replayed"] >= 20_000
    assert doc["measured"]["clicks_counted"] == doc["clicks_replayed"]  # exactly once


def test_cost_estimate_prices_the_measurement_to_the_same_total() -> None:
    doc = _stored()
    cost = _cost_estimate()
    items = cost.estimate(doc["measured"], doc["redirects_per_month"])
    assert cost.total(items) == doc["total_usd"]
    assert [i.service for i in items] == [row["service"] for row in doc["breakdown"]]


def test_cost_estimate_has_no_hand_set_usage_per_click() -> None:
    """Usage comes from the measurement: a different measurement, a different bill."""
    doc = _stored()
    cost = _cost_estimate()
    doubled = {**doc["measured"], "wru_per_click": 2 * doc["measured"]["wru_per_click"]}
    base = cost.total(cost.estimate(doc["measured"], 1_000_000))
    assert cost.total(cost.estimate(doubled, 1_000_000)) > base


def test_deploy_doc_and_readme_quote_the_measured_cost() -> None:
    table = subprocess.run(
        [sys.executable, str(REPO / "infra" / "cost_estimate.py"), "--levers"],
        capture_output=True, text=True, check=True,
    ).stdout
    doc = (REPO / "docs" / "deploy-aws.md").read_text(encoding="utf-8")
    rows = [line for line in table.splitlines() if line.startswith("|")]
    assert len(rows) > 15
    for row in rows:
        assert row in doc, row
    total = f"${_stored()['total_usd']:.2f}"
    assert total in (REPO / "README.md").read_text(encoding="utf-8")
    assert total in doc
