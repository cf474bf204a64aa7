"""Monthly AWS cost of the Terraform stack, priced from the measured replay.

    python3 infra/cost_estimate.py                  # docs/aws-cost.json, its redirects
    python3 infra/cost_estimate.py --redirects 10000000 --levers

Every usage figure comes from ``docs/aws-cost.json``, written by
``python bench/aws_cost.py --json docs/aws-cost.json`` (the reference traffic mix
replayed through the Lambda handlers against moto, with every DynamoDB unit, SQS
request, invocation, millisecond and log byte counted). Nothing per click is set by
hand here: only list prices (each with its source) and the few things a replay on an
emulator cannot show (KMS key requests, X-Ray sampling), named below. Another
``--redirects`` scales the measured per-click figures linearly; the batches that rate
would form differ, so re-run the bench for a figure to quote.
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MEASUREMENT = Path(__file__).resolve().parents[1] / "docs" / "aws-cost.json"
PRICES_AS_OF = "us-east-1 on-demand list prices, 2026-11-26, before free tiers"
SECONDS_PER_MONTH = 30 * 86_400
GB = 1024 ** 3
M = 1e6

# --- prices (USD), us-east-1 -------------------------------------------------------------
HTTP_API_PER_M = 1.00
"""API Gateway HTTP API, first 300M requests a month (aws.amazon.com/api-gateway/pricing)."""
LAMBDA_PER_M_REQUESTS = 0.20
"""Lambda requests (aws.amazon.com/lambda/pricing)."""
LAMBDA_PER_GB_S = {"arm64": 0.0000133334, "x86_64": 0.0000166667}
"""Lambda duration per GB-second, first 6 billion GB-s (aws.amazon.com/lambda/pricing)."""
DDB_PER_M_WRU = 0.625
DDB_PER_M_RRU = 0.125
"""DynamoDB on-demand write and read request units, after the November 2024 price cut
(aws.amazon.com/dynamodb/pricing/on-demand)."""
DDB_STORAGE_PER_GB_MONTH = 0.25
DDB_PITR_PER_GB_MONTH = 0.20
"""DynamoDB Standard table storage; continuous backups (PITR) of the same bytes."""
SQS_PER_M = 0.40
"""SQS standard queue requests, each 64 KB chunk one request (aws.amazon.com/sqs/pricing)."""
LOGS_INGEST_PER_GB = 0.50
LOGS_STORAGE_PER_GB_MONTH = 0.03
"""CloudWatch Logs standard ingestion and archival storage (aws.amazon.com/cloudwatch/pricing)."""
ALARM_PER_METRIC_MONTH = 0.10
"""CloudWatch standard-resolution alarm, per metric it evaluates (same page)."""
XRAY_PER_M_TRACES = 5.00
"""X-Ray traces recorded (aws.amazon.com/xray/pricing)."""
KMS_KEY_PER_MONTH = 1.00
KMS_PER_10K_REQUESTS = 0.03
"""A customer-managed KMS key and its symmetric requests (aws.amazon.com/kms/pricing)."""

# --- what the emulator cannot show ----------------------------------------------------------
XRAY_SAMPLED_PER_SECOND = 1
XRAY_SAMPLED_SHARE = 0.05
"""Lambda's default sampling with tracing Active: the first request each second, then
5 % of the rest, per function."""
KMS_CALLERS = 4 * 2
"""Roles x tables that use the key: DynamoDB asks KMS for a table's key about every
5 minutes per caller (docs: "DynamoDB caches the table key ... for up to 5 minutes")."""
KMS_REQUESTS_PER_CALLER_MONTH = 12 * 730
STORAGE_MONTHS = 12
"""Counter and name items are all-time: the storage line prices the table after a year
of this traffic (click rows expire after click_retention_days and settle sooner)."""


@dataclass(frozen=True)
class Item:
    service: str
    what: str
    usd: float


def _tf(m: dict[str, Any], key: str) -> Any:
    return m["terraform_defaults"][key]


def table_gb(m: dict[str, Any], redirects: int) -> float:
    """DynamoDB bytes after ``STORAGE_MONTHS`` of ``redirects`` a month: the click rows
    of the retention period, every month's counter items, and the names and links as
    the replay left them (the mix has a bounded set of user agents, referers and links)."""
    rows = redirects * m["click_row_bytes"] * min(_tf(m, "click_retention_days") / 30,
                                                  STORAGE_MONTHS)
    counters = redirects * m["counter_bytes_per_click"] * STORAGE_MONTHS
    return (rows + counters + m["name_bytes"] + m["link_bytes"]) / GB


def gb_seconds(m: dict[str, Any], redirects: int) -> float:
    return sum(redirects * m["invocations_per_click"][f] * m["billed_ms_per_invocation"][f]
               / 1000 * m["memory_mb"][f] / 1024 for f in m["invocations_per_click"])


def estimate(m: dict[str, Any], redirects: int, *, architecture: str | None = None,
             log_level: str | None = None, tracing: bool = False, cmk: bool = False,
             pitr: bool = False) -> list[Item]:
    """The month's bill at ``redirects`` from the measurement ``m`` (aws-cost.json's
    ``measured``); the keyword arguments price an optional extra instead of the default."""
    arch = architecture or _tf(m, "lambda_architecture")
    level = (log_level or _tf(m, "log_level")).upper()
    level = "WARNING" if level == "WARN" else level
    api = redirects * m["api_requests_per_click"]
    invocations = redirects * sum(m["invocations_per_click"].values())
    gbs = gb_seconds(m, redirects)
    wru = redirects * m["wru_per_click"]
    rru = redirects * m["rru_per_click"]
    sqs = redirects * m["sqs_requests_per_click"]
    gb = table_gb(m, redirects)
    log_gb = redirects * (m["log_bytes_per_click"][level] + m["access_log_bytes_per_click"]) / GB
    retention_months = _tf(m, "cloudwatch_logs_retention_in_days") / 30
    alarms = m["alarm_metrics"]
    items = [
        Item("API Gateway HTTP API", f"{api / M:.3f}M requests", api / M * HTTP_API_PER_M),
        Item("Lambda requests", f"{invocations / M:.3f}M invocations",
             invocations / M * LAMBDA_PER_M_REQUESTS),
        Item("Lambda duration", f"{gbs:,.0f} GB-s ({arch})", gbs * LAMBDA_PER_GB_S[arch]),
        Item("DynamoDB writes", f"{wru / M:.2f}M WRU ({m['wru_per_click']} per click)",
             wru / M * DDB_PER_M_WRU),
        Item("DynamoDB reads", f"{rru / M:.2f}M RRU ({m['rru_per_click']} per click)",
             rru / M * DDB_PER_M_RRU),
        Item("DynamoDB storage", f"{gb:.2f} GB after {STORAGE_MONTHS} months",
             gb * DDB_STORAGE_PER_GB_MONTH),
        Item("SQS requests", f"{sqs / M:.2f}M ({m['sqs_requests_per_click']} per click)",
             sqs / M * SQS_PER_M),
        Item("CloudWatch Logs", f"{log_gb:.3f} GB ingested (log level {level})",
             log_gb * (LOGS_INGEST_PER_GB + LOGS_STORAGE_PER_GB_MONTH * retention_months)),
        Item("CloudWatch alarms", f"{alarms} alarm metrics", alarms * ALARM_PER_METRIC_MONTH),
    ]
    if tracing:
        traces = sum(_traced(redirects * per) for per in m["invocations_per_click"].values())
        items.append(Item("X-Ray (tracing Active)", f"{traces / M:.2f}M traces",
                          traces / M * XRAY_PER_M_TRACES))
    if cmk:
        requests = KMS_CALLERS * KMS_REQUESTS_PER_CALLER_MONTH
        items.append(Item("KMS (customer-managed key)", f"1 key, {requests / 1000:.0f}k requests",
                          KMS_KEY_PER_MONTH + requests / 10_000 * KMS_PER_10K_REQUESTS))
    if pitr:
        items.append(Item("DynamoDB PITR", f"{gb:.2f} GB", gb * DDB_PITR_PER_GB_MONTH))
    return items


def _traced(invocations: float) -> float:
    """Traces Lambda records of a function invoked ``invocations`` times, evenly spread."""
    reservoir = XRAY_SAMPLED_PER_SECOND * SECONDS_PER_MONTH
    return min(invocations, reservoir) + XRAY_SAMPLED_SHARE * max(0.0, invocations - reservoir)


def total(items: list[Item]) -> float:
    return round(sum(i.usd for i in items), 2)


def levers(m: dict[str, Any], redirects: int) -> dict[str, float]:
    """Total with each optional extra (or other setting) alone on top of the defaults."""
    other_arch = "x86_64" if _tf(m, "lambda_architecture") == "arm64" else "arm64"
    return {
        'lambda_tracing_mode = "Active" (X-Ray)': total(estimate(m, redirects, tracing=True)),
        "customer_managed_key_enabled = true (KMS)": total(estimate(m, redirects, cmk=True)),
        "point_in_time_recovery_enabled = true": total(estimate(m, redirects, pitr=True)),
        'log_level = "DEBUG"': total(estimate(m, redirects, log_level="DEBUG")),
        'log_level = "WARNING"': total(estimate(m, redirects, log_level="WARNING")),
        f'lambda_architecture = "{other_arch}"': total(estimate(m, redirects,
                                                                architecture=other_arch)),
    }


def table(items: list[Item], redirects: int) -> str:
    lines = [f"Monthly cost at {redirects:,} redirects ({PRICES_AS_OF})", "",
             "| Service | Usage | USD / month |", "|---|---|---:|"]
    lines += [f"| {i.service} | {i.what} | {i.usd:.2f} |" for i in items]
    lines.append(f"| **Total** | | **{total(items):.2f}** |")
    return "\n".join(lines)


def lever_table(extras: dict[str, float], base: float) -> str:
    lines = ["| Setting | Total USD / month | Change |", "|---|---:|---:|",
             f"| defaults | {base:.2f} | |"]
    lines += [f"| {name} | {usd:.2f} | {usd - base:+.2f} |" for name, usd in extras.items()]
    return "\n".join(lines)


def load(path: Path = MEASUREMENT) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return doc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--measured", type=Path, default=MEASUREMENT,
                        help="the JSON bench/aws_cost.py wrote (default docs/aws-cost.json)")
    parser.add_argument("--redirects", type=int, default=0,
                        help="redirects a month (default: the measurement's)")
    parser.add_argument("--levers", action="store_true", help="also price each optional extra")
    args = parser.parse_args()
    doc = load(args.measured)
    m = doc["measured"]
    redirects = args.redirects or doc["redirects_per_month"]
    if redirects < 1:
        parser.error(f"--redirects must be at least 1, got {redirects}")
    items = estimate(m, redirects)
    print(f"From {args.measured.name}: {m['clicks_replayed']:,} clicks replayed at "
          f"{doc['redirects_per_month']:,} redirects/month, revision {doc['git_revision']}\n")
    print(table(items, redirects))
    if args.levers:
        print()
        print(lever_table(levers(m, redirects), total(items)))
    if not math.isclose(redirects, doc["redirects_per_month"]):
        print(f"\nScaled linearly from {doc['redirects_per_month']:,}: rerun "
              f"`python bench/aws_cost.py --redirects {redirects} --json F` to measure "
              "that rate's batches.")


if __name__ == "__main__":
    main()
