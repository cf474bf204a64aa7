"""DynamoDB write units per click of the exactly-once batch write, and what countries and
unique visitors add to it.

Records clicks with ``DynamoAnalyticsStore.record`` against a moto server
(bench/moto_server.py, with bench/moto_fast.py's cheaper transaction backups) and reports
write request units per click, metered by DynamoDB's rules (bench/aws_meter.py: 1 unit
per KB of the larger of the item before and after, twice in a transaction, a cancelled
write at the units of the item as it is; moto reports none). Every cell is its own
table and a fresh store (a new process that has learned nothing), the same clicks in the
same batches; side by side, in one run:

- ``before``: the store as it was at ``--before`` (git revision; default: the commit
  before countries and visitors), on the same clicks (it stores neither);
- ``plain``: this store, clicks without country or visitor hash;
- ``+countries``: with the country of each click;
- ``+visitors``: with country and visitor hash (the edge's daily keyed hash).

Rows: the reference mix (bench/traffic.py: Zipf links, agents and referers, random
client addresses so nearly every click is a new visitor, countries from ``iptocc``) at
the density of 1 million redirects a month, in batches of 100 (what a 300 s batching
window gathers at that rate) and of 10; then labelled shapes of 10-click batches.

    python bench/dynamodb_write_units.py [--clicks 2000] [--port N] [--json out.json]
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import subprocess
import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from traffic import ReferenceMix

ROOT = Path(__file__).resolve().parent.parent
BEFORE = "ade76c7"
"""The last commit whose DynamoDB store kept neither countries nor visitors."""
CHROME = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/120.0.0.0 Safari/537.36")
COUNTRIES = ("US", "DE", "GB", "FR", "NL", "IN", "BR", "JP", "CA", "ES")
PER_MONTH = 1_000_000
SHAPE_BATCHES = 10
VARIANTS = ("before", "plain", "+countries", "+visitors")

Spec = tuple[str, str, str, float, str, str]
"""(code, user agent, referer, timestamp, country, visitor) of one click."""


def reference(n: int) -> list[Spec]:
    """``n`` clicks of the reference mix, as dense in time as 1M redirects a month."""
    from linkpulse.backends.geo import RegistryCountries

    mix = ReferenceMix(days=1)
    squeeze = n / (PER_MONTH / 30)  # the share of a day that n clicks take at that rate
    countries = RegistryCountries()
    out = []
    for hit in mix.hits(n):
        ts = mix.end - (mix.end - hit.timestamp) * squeeze
        visitor = hashlib.blake2b(f"{hit.ip}\n{hit.user_agent}".encode(), key=b"bench",
                                  digest_size=8).hexdigest()
        out.append((f"ref{hit.link:05d}", hit.user_agent, hit.referer, ts,
                    countries.country(hit.ip), visitor))
    return out


def shapes(now: float, batches: int = SHAPE_BATCHES) -> dict[str, list[Spec]]:
    """Labelled low-cardinality shapes, ``SHAPE_BATCHES`` batches of 10 each."""
    def make(f: Callable[[int], tuple[str, str, str, str]]) -> list[Spec]:
        return [(code, ua, ref, now + i, country, visitor)
                for i in range(10 * batches)
                for code, ua, ref, visitor in [f(i)]
                for country in [COUNTRIES[i % len(COUNTRIES)]]]

    return {
        "shape: 1 link, same browser, a new visitor each click": make(
            lambda i: ("hot0001", CHROME, "https://news.example/", f"{i:016x}")),
        "shape: 1 link, same browser, 3 returning visitors": make(
            lambda i: ("hot0002", CHROME, "https://news.example/", f"{i % 3:016x}")),
        "shape: 1 link, 10 user agents, new visitors": make(
            lambda i: ("hot0003", f"{CHROME} build/{i % 10}", f"https://ref{i % 10}.example/",
                       f"{i:016x}")),
        "shape: 10 links, new visitors": make(
            lambda i: (f"spread{i % 10}", CHROME, "", f"{i:016x}")),
    }


def store_before(revision: str) -> Any:
    """``DynamoAnalyticsStore`` as it was at ``revision`` (read from git)."""
    source = subprocess.run(
        ["git", "show", f"{revision}:src/linkpulse/backends/aws/analytics.py"],
        cwd=ROOT, capture_output=True, text=True, check=True).stdout
    spec = importlib.util.spec_from_loader("linkpulse_analytics_before", loader=None)
    assert spec is not None
    module = types.ModuleType(spec.name)
    sys.modules[spec.name] = module
    exec(compile(source, f"{revision}:analytics.py", "exec"), module.__dict__)
    return module.DynamoAnalyticsStore


def clicks_of(specs: list[Spec], variant: str) -> list[Any]:
    from linkpulse.core import service
    from linkpulse.core.clicks import make_event

    keep_country = variant in ("before", "+countries", "+visitors")
    keep_visitor = variant in ("before", "+visitors")
    return [service.enrich(make_event(code, ua, ref, "192.0.2.1", now=ts,
                                      country=country if keep_country else "",
                                      visitor=visitor if keep_visitor else ""))
            for code, ua, ref, ts, country, visitor in specs]


def start_moto(port: int | None) -> Any:
    """A moto server (bench/moto_fast.py) on ``port`` or the first free one after it."""
    from moto_server import MotoServer

    if port is None:
        return MotoServer()
    for candidate in range(port, port + 100):
        try:
            return MotoServer(candidate)
        except RuntimeError:  # taken
            continue
    raise RuntimeError(f"no free port for moto from {port}")


def measure(n: int, before: str, port: int | None = None,
            shape_batches: int = SHAPE_BATCHES) -> dict[str, Any]:
    import time

    from aws_meter import Meter

    from linkpulse.backends.aws.analytics import DynamoAnalyticsStore
    from linkpulse.backends.aws.resources import create_resources
    from linkpulse.settings import Settings

    stores = {"before": store_before(before)}
    mix = reference(n)
    rows: dict[str, tuple[list[Spec], int]] = {
        f"reference mix, {n} clicks, batches of 100": (mix, 100),
        f"reference mix, {n} clicks, batches of 10": (mix, 10),
        **{name: (specs, 10) for name, specs in shapes(time.time(), shape_batches).items()},
    }
    out: dict[str, Any] = {}
    moto = start_moto(port)
    try:
        dynamodb, sqs = moto.client("dynamodb"), moto.client("sqs")
        for r, (name, (specs, batch)) in enumerate(rows.items()):
            out[name] = {}
            for v, variant in enumerate(VARIANTS):
                table = f"wru-{r}-{v}"
                settings = Settings(backend="aws", endpoint_url=moto.endpoint,
                                    clicks_table=table, links_table=f"{table}-links",
                                    queue_name=table, dlq_name=f"{table}-dlq")
                create_resources(settings, dynamodb, sqs)
                meter = Meter(moto.client("dynamodb"), complete=[table])
                meter.role = "record"
                store = stores.get(variant, DynamoAnalyticsStore)(
                    table, meter.attach(moto.client("dynamodb")))
                clicks = clicks_of(specs, variant)
                for start in range(0, len(clicks), batch):
                    store.record(clicks[start:start + batch])
                out[name][variant] = {
                    "wru_per_click": round(meter.wru["record"] / len(clicks), 3),
                    "transactions": store.transactions,
                    "cancelled": getattr(store, "cancelled", 0),
                }
                for gone in (table, f"{table}-links"):
                    dynamodb.delete_table(TableName=gone)
    finally:
        moto.stop()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--clicks", type=int, default=2000,
                        help="clicks of the reference mix (moto slows with table size)")
    parser.add_argument("--before", default=BEFORE, help="git revision of the baseline store")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--port", type=int,
                        help="the moto server's port, or the first free one after it")
    parser.add_argument("--shape-batches", type=int, default=SHAPE_BATCHES,
                        help="10-click batches of each labelled shape")
    args = parser.parse_args()
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    result = measure(args.clicks, args.before, args.port, args.shape_batches)
    width = max(map(len, result))
    head = "".join(f"{v:>12}" for v in VARIANTS)
    print(f"{'WRU per click':<{width}}{head}{'countries add':>15}{'visitors add':>14}")
    for name, row in result.items():
        cells = "".join(f"{row[v]['wru_per_click']:>12.2f}" for v in VARIANTS)
        countries = row["+countries"]["wru_per_click"] - row["plain"]["wru_per_click"]
        visitors = row["+visitors"]["wru_per_click"] - row["+countries"]["wru_per_click"]
        print(f"{name:<{width}}{cells}{countries:>15.2f}{visitors:>14.2f}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
