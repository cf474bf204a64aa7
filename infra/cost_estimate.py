"""Monthly AWS cost of the Terraform stack, priced from a measured replay (list prices).

    python bench/aws_cost.py --json docs/aws-cost.json     # measure (starts moto), then:
    python infra/cost_estimate.py                           # the table of that measurement
    python infra/cost_estimate.py --set lambda_tracing_mode=Active   # what an option costs

Only prices are constants here. What a click costs in requests, write and read units,
bytes and milliseconds comes from ``bench/aws_cost.py``'s replay of the reference traffic
mix through the real handlers (stored in docs/aws-cost.json); the configuration comes
from the defaults in infra/terraform/variables.tf, overridable with ``--set``.
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
VARIABLES_TF = ROOT / "infra" / "terraform" / "variables.tf"
MEASURED = ROOT / "docs" / "aws-cost.json"

PRICES_AS_OF = "2026-11-26, us-east-1 public list prices, before free tiers"
SECONDS_PER_MONTH = 30 * 86_400

# --- prices (USD) -------------------------------------------------------------------------
HTTP_API_PER_MILLION = 1.00  # first 300M requests / month
LAMBDA_PER_MILLION_REQUESTS = 0.20
LAMBDA_PER_GB_SECOND = {"x86_64": 0.0000166667, "arm64": 0.0000133334}
DDB_PER_MILLION_WRU = 0.625  # on-demand, since the Nov 2024 price cut
DDB_PER_MILLION_RRU = 0.125
DDB_STORAGE_PER_GB_MONTH = 0.25
DDB_PITR_PER_GB_MONTH = 0.20
SQS_PER_MILLION_REQUESTS = 0.40  # standard queue; each 64 KiB chunk of a payload = 1 request
LOGS_INGEST_PER_GB = 0.50
LOGS_STORAGE_PER_GB_MONTH = 0.03
XRAY_PER_MILLION_TRACES = 5.00  # recorded
KMS_KEY_PER_MONTH = 1.00  # + $1 per rotation of the material for the first two rotations
KMS_PER_10K_REQUESTS = 0.03
ALARM_PER_MONTH = 0.10

# --- facts of the platform, not of our code -------------------------------------------------
SQS_LONG_POLL_SECONDS = 20
"""The event source mapping's pollers long-poll; a receive returns as soon as a message is
there, so at low rates each receive carries about one message."""
ESM_POLLERS_LOW_TRAFFIC = 2
"""At low traffic Lambda scales an SQS mapping down to 2 concurrent pollers, but only when
maximum concurrency is not set; with it, 5 (AWS Lambda developer guide, SQS scaling)."""
ESM_POLLERS_WITH_MAXIMUM_CONCURRENCY = 5
SQS_RECEIVE_ROUND_TRIP_SECONDS = 0.02
"""Messages that reach a poller while its receive is answered come in the same receive."""
REPLAYED = ("analytics_batch_size", "analytics_batching_window_seconds",
            "analytics_maximum_concurrency", "lambda_log_level", "log_level")
"""Variables that change what the replay measures: rerun bench/aws_cost.py --set ..."""
KMS_REQUESTS_PER_MONTH = 80_000
"""A customer-managed key: DynamoDB re-fetches each table's key about every 5 minutes per
caller, plus Lambda environment decryption on cold starts and CloudWatch Logs."""
TEXT_PLATFORM_LINES = (
    "START RequestId: 8f5b3c2e-4a1d-4e0b-9c6a-2b7d1e9f0a3c Version: $LATEST\n"
    "END RequestId: 8f5b3c2e-4a1d-4e0b-9c6a-2b7d1e9f0a3c\n"
    "REPORT RequestId: 8f5b3c2e-4a1d-4e0b-9c6a-2b7d1e9f0a3c\tDuration: 11.52 ms\t"
    "Billed Duration: 12 ms\tMemory Size: 256 MB\tMax Memory Used: 93 MB\t\n"
)
"""What Lambda logs around every invocation in the Text format (system logs at INFO).
With the JSON format and system_log_level WARN it logs none of them."""


def terraform_defaults(path: Path = VARIABLES_TF) -> dict[str, Any]:
    """``{variable: default}`` of the stack's variables.tf."""
    import hcl2

    with path.open(encoding="utf-8") as f:
        parsed = hcl2.load(f)
    out: dict[str, Any] = {}
    for block in parsed.get("variable", []):
        for name, body in block.items():
            out[name.strip('"')] = _unquote(body.get("default"))
    return out


def _unquote(value: Any) -> Any:
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    if isinstance(value, list):
        return [_unquote(v) for v in value]
    return value


def parse_setting(text: str) -> tuple[str, Any]:
    """``name=value`` with value read as JSON when it is JSON (numbers, true, null)."""
    name, sep, raw = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected name=value, got {text!r}")
    try:
        return name, json.loads(raw)
    except ValueError:
        return name, raw


@dataclass(frozen=True)
class Item:
    service: str
    usage: str
    usd: float


def pollers(settings: dict[str, Any]) -> int:
    capped = settings.get("analytics_maximum_concurrency") is not None
    return ESM_POLLERS_WITH_MAXIMUM_CONCURRENCY if capped else ESM_POLLERS_LOW_TRAFFIC


def clicks_per_batch(redirects: int, settings: dict[str, Any]) -> int:
    """How the event source mapping fills batches at this rate: each poller gathers what
    reaches it in one batching window, up to the batch size."""
    rate = redirects / SECONDS_PER_MONTH / pollers(settings)
    window = settings["analytics_batching_window_seconds"]
    return max(1, min(settings["analytics_batch_size"], round(rate * window)))


def receives_per_month(redirects: int, settings: dict[str, Any]) -> float:
    """ReceiveMessage calls of the mapping: about one per message at low rates (a long
    poll returns on the first message), at least one per 10 messages, plus the long polls
    that time out empty."""
    n = pollers(settings)
    per_poller = redirects / SECONDS_PER_MONTH / n
    empty = n * SECONDS_PER_MONTH / SQS_LONG_POLL_SECONDS * math.exp(
        -per_poller * SQS_LONG_POLL_SECONDS)
    per_receive = min(10.0, 1 + per_poller * SQS_RECEIVE_ROUND_TRIP_SECONDS)
    return redirects / per_receive + empty


def price(measured: dict[str, Any], settings: dict[str, Any],
          redirects: int) -> list[Item]:
    """The monthly bill of ``redirects`` with the per-click quantities of ``measured``."""
    m = measured
    per = m["per_click"]
    shortens = redirects * m["workload"]["shortens_per_redirect"]
    stats = redirects * m["workload"]["stats_per_redirect"]
    batches = redirects / m["clicks_per_batch"]
    api_requests = redirects + shortens + stats
    invocations = api_requests + batches
    fn = m["functions"]
    gb = {"api": settings["api_memory_size"] / 1024,
          "analytics": settings["analytics_memory_size"] / 1024}
    gb_seconds = (
        gb["api"] * (redirects * fn["redirect"]["billed_ms"] + shortens
                     * fn["shortener"]["billed_ms"] + stats * fn["stats"]["billed_ms"]) / 1000
        + gb["analytics"] * batches * fn["analytics"]["billed_ms"] / 1000)
    arch = settings["lambda_architecture"]
    wru = redirects * per["wru"] + shortens * fn["shortener"]["wru"]
    rru = redirects * per["rru"] + stats * fn["stats"]["rru"]
    retention_months = settings["click_retention_days"] / 30
    stored_gb = (redirects * retention_months * per["click_row_bytes"]
                 + 12 * redirects * per["counter_bytes"]) / 1e9
    sqs_requests = (redirects * (per["sqs_sends"] + per["sqs_deletes"])
                    + receives_per_month(redirects, settings))
    json_warn = (settings.get("lambda_log_format") == "JSON"
                 and settings.get("lambda_system_log_level") == "WARN")
    platform_bytes = 0 if json_warn else len(TEXT_PLATFORM_LINES.encode())
    app_bytes = (redirects * fn["redirect"]["log_bytes"] + batches
                 * fn["analytics"]["log_bytes"] + stats * fn["stats"]["log_bytes"]
                 + shortens * fn["shortener"]["log_bytes"])
    log_gb = (invocations * platform_bytes + app_bytes
              + api_requests * m["access_log_bytes_per_request"]) / 1e9
    millions = 1e6
    items = [
        Item("API Gateway HTTP API", f"{api_requests / millions:.2f}M requests",
             api_requests / millions * HTTP_API_PER_MILLION),
        Item("Lambda requests", f"{invocations / millions:.2f}M invocations",
             invocations / millions * LAMBDA_PER_MILLION_REQUESTS),
        Item("Lambda duration",
             f"{gb_seconds:,.0f} GB-s ({settings['api_memory_size']} MB, {arch})",
             gb_seconds * LAMBDA_PER_GB_SECOND[arch]),
        Item("DynamoDB writes", f"{wru / millions:.2f}M WRU",
             wru / millions * DDB_PER_MILLION_WRU),
        Item("DynamoDB reads", f"{rru / millions:.2f}M RRU",
             rru / millions * DDB_PER_MILLION_RRU),
        Item("DynamoDB storage",
             f"{stored_gb:.2f} GB ({settings['click_retention_days']}-day clicks, "
             "a year of counters)", stored_gb * DDB_STORAGE_PER_GB_MONTH),
        Item("SQS requests", f"{sqs_requests / millions:.2f}M (send, receive, delete)",
             sqs_requests / millions * SQS_PER_MILLION_REQUESTS),
        Item("CloudWatch Logs", f"{log_gb:.3f} GB ingested",
             log_gb * (LOGS_INGEST_PER_GB + LOGS_STORAGE_PER_GB_MONTH)),
        Item("CloudWatch alarm", "1 standard alarm (DLQ depth)", ALARM_PER_MONTH),
    ]
    if settings.get("point_in_time_recovery_enabled"):
        items.append(Item("DynamoDB PITR (opt-in)", f"{stored_gb:.2f} GB",
                          stored_gb * DDB_PITR_PER_GB_MONTH))
    if settings.get("lambda_tracing_mode") == "Active":
        # Lambda samples the first request each second and 5% of the rest, per function.
        traces = sum(min(n, SECONDS_PER_MONTH) + 0.05 * max(0.0, n - SECONDS_PER_MONTH)
                     for n in (redirects, shortens, stats, batches))
        items.append(Item("X-Ray (opt-in, tracing Active)", f"{traces / millions:.2f}M traces",
                          traces / millions * XRAY_PER_MILLION_TRACES))
    if settings.get("kms_key_arn") or settings.get("create_kms_key"):
        items.append(Item("KMS (opt-in customer-managed key)",
                          f"1 key + {KMS_REQUESTS_PER_MONTH // 1000}k requests (first year)",
                          KMS_KEY_PER_MONTH + KMS_REQUESTS_PER_MONTH / 10_000
                          * KMS_PER_10K_REQUESTS))
    return items


def table(items: list[Item], redirects: int) -> str:
    lines = [f"Monthly cost at {redirects:,} redirects ({PRICES_AS_OF})", "",
             "| Service | Usage | USD / month |", "|---|---|---:|"]
    lines += [f"| {i.service} | {i.usage} | {i.usd:.2f} |" for i in items]
    lines.append(f"| **Total** | | **{sum(i.usd for i in items):.2f}** |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--measured", type=Path, default=MEASURED,
                        help="JSON written by bench/aws_cost.py (default docs/aws-cost.json)")
    parser.add_argument("--set", dest="overrides", type=parse_setting, action="append",
                        default=[], metavar="VARIABLE=VALUE",
                        help="price with a Terraform variable changed (pricing-only options: "
                             "tracing, KMS, PITR, memory, architecture, logging)")
    args = parser.parse_args()
    replayed = sorted({name for name, _ in args.overrides} & set(REPLAYED))
    if replayed:
        parser.error(f"{', '.join(replayed)} change what the replay measures: run "
                     "bench/aws_cost.py --set ... instead")
    measured = json.loads(args.measured.read_text(encoding="utf-8"))
    settings = {**measured["settings"], **dict(args.overrides)}
    print(table(price(measured, settings, measured["redirects"]), measured["redirects"]))


if __name__ == "__main__":
    main()
