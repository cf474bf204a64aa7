"""Monthly AWS cost of the Terraform stack at a given number of redirects (list prices).

    python3 infra/cost_estimate.py                 # 1M redirects / month, markdown table
    python3 infra/cost_estimate.py --redirects 10000000

Every price and assumption is a named constant below; docs/deploy-aws.md quotes this
script's output. No AWS account or network access is needed.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

PRICES_AS_OF = "2026-11-26, us-east-1 public list prices"

# --- prices (USD) -------------------------------------------------------------------------
HTTP_API_PER_MILLION = 1.00  # first 300M requests / month
LAMBDA_PER_MILLION_REQUESTS = 0.20
LAMBDA_PER_GB_SECOND_X86 = 0.0000166667
DDB_PER_MILLION_WRU = 0.625  # on-demand, since the Nov 2024 price cut
DDB_PER_MILLION_RRU = 0.125
DDB_STORAGE_PER_GB_MONTH = 0.25
DDB_PITR_PER_GB_MONTH = 0.20
SQS_PER_MILLION_REQUESTS = 0.40  # standard queue; each 64 KiB chunk of a payload = 1 request
LOGS_INGEST_PER_GB = 0.50
LOGS_STORAGE_PER_GB_MONTH = 0.03
XRAY_PER_MILLION_TRACES = 5.00
KMS_KEY_PER_MONTH = 1.00
KMS_PER_10K_REQUESTS = 0.03
ALARM_PER_MONTH = 0.10

# --- workload assumptions -------------------------------------------------------------------
SHORTENS_PER_REDIRECT = 0.01  # 10k links created per 1M redirects
STATS_PER_REDIRECT = 0.01  # 10k stats page views per 1M redirects
CLICKS_PER_BATCH = 10  # analytics batch (ESM batch size 10, 5 s batching window)
MEMORY_GB = 0.25  # 256 MB, all four functions (Terraform defaults)
REDIRECT_MS = 30  # GetItem + SendMessage, warm
SHORTEN_MS = 40
STATS_MS = 60  # GetItem + a few Queries
ANALYTICS_BATCH_MS = 250  # one batch of 10: transactional writes
COLD_STARTS = 2_000  # per month, each billed ~1 s of init at 256 MB
# DynamoDB, per batch of 10 clicks of one link: 10 conditional click-row puts and ~8
# counter updates, written transactionally at 2 WRU per item (items <= 1 KB). ~5 of the 8
# counters are top-N rows carrying gpk: their `n` (the GSI `top` range key) changes, which
# costs the index a delete + a put = 2 WRU each.
CLICK_PUTS_PER_BATCH = 10
COUNTER_UPDATES_PER_BATCH = 8
WRU_PER_TRANSACTIONAL_ITEM = 2
GSI_ROWS_UPDATED_PER_BATCH = 5
WRU_PER_GSI_KEY_CHANGE = 2
RRU_PER_REDIRECT = 1  # strongly consistent GetItem of a < 4 KB link (0.5 if eventual)
RRU_PER_STATS = 5  # GetItem + totals + top-5 x 2 dimensions + recent clicks
WRU_PER_SHORTEN = 1
CLICK_ROW_BYTES = 400  # item + DynamoDB's 100 B overhead
CLICK_RETENTION_DAYS = 90  # TTL; storage reaches steady state after 90 days
# SQS: 1 SendMessage per click, 1 ReceiveMessage + 1 DeleteMessageBatch per batch, plus the
# event source mapping's idle long polls (~5 pollers x one 20 s poll, all month).
SQS_IDLE_POLLS = 5 * 30 * 86_400 / 20
# Logs: START/END/REPORT lines + one structured line per invocation; one access-log line.
LOG_BYTES_PER_INVOCATION = 1_000
ACCESS_LOG_BYTES_PER_REQUEST = 400
LOG_RETENTION_DAYS = 30
# X-Ray, tracing Active: Lambda samples the first request each second + 5% of the rest (per
# function), so at ~0.4 requests/s nearly every invocation is recorded. Traffic is assumed
# evenly spread over the month.
SECONDS_PER_MONTH = 30 * 86_400
# KMS: DynamoDB re-fetches the table key about every 5 minutes per caller and table; logs
# and Lambda environment decryption add little.
KMS_REQUESTS = 4 * 2 * 12 * 730 + COLD_STARTS + 10_000


@dataclass(frozen=True)
class Item:
    service: str
    what: str
    usd: float


def estimate(redirects: int) -> list[Item]:
    shortens = redirects * SHORTENS_PER_REDIRECT
    stats = redirects * STATS_PER_REDIRECT
    batches = redirects / CLICKS_PER_BATCH
    api_requests = redirects + shortens + stats
    invocations = api_requests + batches
    gb_seconds = MEMORY_GB * (
        redirects * REDIRECT_MS / 1000
        + shortens * SHORTEN_MS / 1000
        + stats * STATS_MS / 1000
        + batches * ANALYTICS_BATCH_MS / 1000
        + COLD_STARTS * 1.0
    )
    click_wru = batches * (
        (CLICK_PUTS_PER_BATCH + COUNTER_UPDATES_PER_BATCH) * WRU_PER_TRANSACTIONAL_ITEM
    )
    gsi_wru = batches * GSI_ROWS_UPDATED_PER_BATCH * WRU_PER_GSI_KEY_CHANGE
    rru = redirects * RRU_PER_REDIRECT + stats * RRU_PER_STATS
    stored_gb = redirects * CLICK_ROW_BYTES * CLICK_RETENTION_DAYS / 30 / 1e9
    sqs_requests = redirects + 2 * batches + SQS_IDLE_POLLS
    log_gb = (
        invocations * LOG_BYTES_PER_INVOCATION + api_requests * ACCESS_LOG_BYTES_PER_REQUEST
    ) / 1e9
    traces = sum(
        min(n, SECONDS_PER_MONTH) + 0.05 * max(0.0, n - SECONDS_PER_MONTH)
        for n in (redirects, shortens, stats, batches)
    )
    m = 1e6
    return [
        Item("API Gateway HTTP API", f"{api_requests / m:.2f}M requests", api_requests / m),
        Item(
            "Lambda requests",
            f"{invocations / m:.2f}M invocations",
            invocations / m * LAMBDA_PER_MILLION_REQUESTS,
        ),
        Item(
            "Lambda duration",
            f"{gb_seconds:,.0f} GB-s (256 MB, x86_64)",
            gb_seconds * LAMBDA_PER_GB_SECOND_X86,
        ),
        Item(
            "DynamoDB writes (clicks)",
            f"{click_wru / m:.2f}M WRU (transactional)",
            click_wru / m * DDB_PER_MILLION_WRU,
        ),
        Item(
            "DynamoDB writes (GSI top)",
            f"{gsi_wru / m:.2f}M WRU",
            gsi_wru / m * DDB_PER_MILLION_WRU,
        ),
        Item(
            "DynamoDB writes (links)",
            f"{shortens * WRU_PER_SHORTEN / m:.2f}M WRU",
            shortens * WRU_PER_SHORTEN / m * DDB_PER_MILLION_WRU,
        ),
        Item("DynamoDB reads", f"{rru / m:.2f}M RRU", rru / m * DDB_PER_MILLION_RRU),
        Item(
            "DynamoDB storage + PITR",
            f"{stored_gb:.2f} GB (90-day click TTL, steady state)",
            stored_gb * (DDB_STORAGE_PER_GB_MONTH + DDB_PITR_PER_GB_MONTH),
        ),
        Item(
            "SQS requests",
            f"{sqs_requests / m:.2f}M (send, receive + delete per batch, idle polls)",
            sqs_requests / m * SQS_PER_MILLION_REQUESTS,
        ),
        Item(
            "CloudWatch Logs",
            f"{log_gb:.2f} GB ingested, {LOG_RETENTION_DAYS}-day retention",
            log_gb * (LOGS_INGEST_PER_GB + LOGS_STORAGE_PER_GB_MONTH),
        ),
        Item(
            "X-Ray (tracing Active)",
            f"{traces / m:.2f}M traces",
            traces / m * XRAY_PER_MILLION_TRACES,
        ),
        Item(
            "KMS",
            f"1 key + {KMS_REQUESTS / 1000:.0f}k requests",
            KMS_KEY_PER_MONTH + KMS_REQUESTS / 10_000 * KMS_PER_10K_REQUESTS,
        ),
        Item("CloudWatch alarm", "1 standard alarm (DLQ depth)", ALARM_PER_MONTH),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redirects", type=int, default=1_000_000)
    args = parser.parse_args()
    items = estimate(args.redirects)
    print(f"Monthly cost at {args.redirects:,} redirects ({PRICES_AS_OF}, before free tiers)\n")
    print("| Service | Usage | USD / month |")
    print("|---|---|---:|")
    for item in items:
        print(f"| {item.service} | {item.what} | {item.usd:.2f} |")
    total = sum(item.usd for item in items)
    without_xray = total - next(i.usd for i in items if i.service.startswith("X-Ray"))
    print(f"| **Total** | | **{total:.2f}** |")
    print(f'\nWith lambda_tracing_mode = "PassThrough" (no X-Ray traces): {without_xray:.2f}')


if __name__ == "__main__":
    main()
