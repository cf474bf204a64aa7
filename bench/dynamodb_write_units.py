"""DynamoDB write units per click of the exactly-once batch write.

Records small batches of 10 clicks with ``DynamoAnalyticsStore.record`` against a moto
server and reports write capacity units per click, metered by bench/aws_cost.py's
``Meter`` (DynamoDB's rules on the sizes of the items before and after each write: 1 KB
per unit, twice in a transaction; moto reports none). The cost of the reference mix at
the deployed batch sizes is bench/aws_cost.py's job; this shows the shapes.

    python bench/dynamodb_write_units.py
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from aws_cost import Meter
from lambda_coldstart import _moto

CHROME = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/120.0.0.0 Safari/537.36")
NAIVE_WCU_PER_CLICK = 1 + 7
"""One PutItem for the click + one UpdateItem ADD per counter (7), 1 WCU each, per click."""


def _batches() -> dict[str, list[tuple[str, str, str]]]:
    """(code, user agent, referer) for each click of a batch of 10."""
    return {
        "10 clicks, 1 link, same browser": [("hot0001", CHROME, "https://news.example/")] * 10,
        "10 clicks, 1 link, 10 user agents": [
            ("hot0002", f"{CHROME} build/{i}", f"https://ref{i}.example/") for i in range(10)],
        "10 clicks, 10 links": [(f"spread{i}", CHROME, "") for i in range(10)],
    }


def measure() -> dict[str, Any]:
    import boto3

    from linkpulse.backends.aws.analytics import DynamoAnalyticsStore
    from linkpulse.backends.aws.resources import create_resources
    from linkpulse.core import service
    from linkpulse.core.clicks import make_event
    from linkpulse.settings import Settings

    proc, endpoint = _moto()
    try:
        kw: dict[str, Any] = {"endpoint_url": endpoint, "region_name": "us-east-1",
                              "aws_access_key_id": "b", "aws_secret_access_key": "b"}
        dynamodb = boto3.client("dynamodb", **kw)
        settings = Settings(backend="aws", endpoint_url=endpoint)
        create_resources(settings, dynamodb, boto3.client("sqs", **kw))
        out: dict[str, Any] = {}
        meter = Meter(boto3.client("dynamodb", **kw), {settings.clicks_table: ("pk", "sk")})
        meter.attach(dynamodb)
        for name, spec in _batches().items():
            store = DynamoAnalyticsStore(settings.clicks_table, dynamodb)
            clicks = [service.enrich(make_event(code, ua, ref, "192.0.2.1"))
                      for code, ua, ref in spec]
            meter.role = name
            store.record(clicks)
            meter.settle()
            out[name] = {"wcu_per_click": round(meter.wru[name] / len(clicks), 2),
                         "transactions": store.transactions}
            meter.role = "redelivery"
            store.record(clicks)  # a redelivery writes nothing new
        out["naive (not exactly-once): put + 7 ADDs per click"] = {
            "wcu_per_click": NAIVE_WCU_PER_CLICK, "transactions": 0}
        return out
    finally:
        proc.terminate()
        proc.wait(10)


def main() -> None:
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    result = measure()
    width = max(map(len, result))
    print(f"{'batch':<{width}}  WCU/click  transactions")
    for name, row in result.items():
        print(f"{name:<{width}}  {row['wcu_per_click']:>9}  {row['transactions']:>12}")


if __name__ == "__main__":
    main()
