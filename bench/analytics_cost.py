"""What countries, unique visitors, hours and ranges cost the SQLite store, and whether
stats stay constant-time for a link flooded with distinct user agents and referers.

    python bench/analytics_cost.py [--clicks N] [--storm K] [--baseline SRC] [--json FILE]

Side by side in one run:

- record rate: ``--clicks`` clicks (default 200,000) of the reference mix (bench/traffic.py,
  each with its country from the registry database and a visitor hash) recorded in
  batches of the consumer's default size into an empty store, clicks per second;
- stats of a link with ``--storm`` (default 30,000) clicks, each with its own user agent
  and referer, vs a link with 10 clicks: the store's median read, all-time, with its
  counters pending and after a merge, and of a 31-day range.

``--baseline SRC`` first measures the record rate in a child process against another
checkout's ``src`` (e.g. a worktree of the commit before this feature), then this tree's,
and prints the ratio; ``--baseline-stats`` adds the baseline's stats reads (before the
cap, one read of the flooded link can take minutes). Benchmarks report; they never fail
on a number.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.traffic import ReferenceMix
from linkpulse.backends.geo import RegistryCountries
from linkpulse.backends.sqlite.analytics import SqliteAnalyticsStore
from linkpulse.core.clicks import make_event
from linkpulse.core.models import Click
from linkpulse.core.service import enrich

BATCH = 10_000
"""The consumer's default batch (``LINKPULSE_CONSUMER_BATCH_SIZE``)."""
DAY = 86_400.0


def mix_clicks(n: int, codes: list[str]) -> Iterator[Click]:
    countries = RegistryCountries()
    for hit in ReferenceMix().hits(n):
        visitor = hashlib.blake2b(f"{hit.ip}\n{hit.user_agent}".encode(),
                                  digest_size=8).hexdigest()
        yield enrich(make_event(codes[hit.link], hit.user_agent, hit.referer, hit.ip,
                                hit.timestamp, country=countries.country(hit.ip),
                                visitor=visitor))


def record_all(store: SqliteAnalyticsStore, clicks: list[Click]) -> float:
    """Seconds to record ``clicks`` batch by batch."""
    started = time.perf_counter()
    for start in range(0, len(clicks), BATCH):
        store.record(clicks[start:start + BATCH])
    return time.perf_counter() - started


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def median_ms(read: Callable[[], object], times: int = 30, budget: float = 3.0) -> float:
    """Median of ``times`` reads, or of those done within ``budget`` seconds (at least 3)."""
    took: list[float] = []
    deadline = time.perf_counter() + budget
    while len(took) < times and (len(took) < 3 or time.perf_counter() < deadline):
        started = time.perf_counter()
        read()
        took.append((time.perf_counter() - started) * 1000)
    return statistics.median(took)


def measure(clicks: int, storm: int, tmp: Path) -> dict[str, Any]:
    """The record rate, then (``storm`` > 0) the stats reads."""
    out: dict[str, Any] = {}
    codes = [f"m{i:06d}" for i in range(10_000)]
    log(f"making {clicks:,} clicks of the reference mix")
    mix = list(mix_clicks(clicks, codes))
    log("recording them")
    store = SqliteAnalyticsStore(tmp / "record.db")
    out["record_clicks_per_s"] = clicks / record_all(store, mix)
    store.close()
    log(f"{out['record_clicks_per_s']:,.0f} clicks/s")
    if storm:
        out.update(stats_reads(storm, tmp))
    return out


def stats_reads(storm: int, tmp: Path) -> dict[str, Any]:
    log(f"flooding a link with {storm:,} user agents and referers")
    out: dict[str, Any] = {}
    store = SqliteAnalyticsStore(tmp / "stats.db")
    now = time.time()
    store.record([enrich(make_event("small", f"agent/{i % 3}", "", "192.0.2.1", now - i))
                  for i in range(10)])
    flood = [enrich(make_event("storm", f"agent/{i}", f"https://r{i}.example/", "192.0.2.1",
                               now - DAY + i * DAY / storm)) for i in range(storm)]
    record_all(store, flood)
    try:
        from linkpulse.core.ranges import stats_query
    except ImportError:  # a baseline without ranges
        ranged: dict[str, Any] | None = None
    else:
        last = datetime.datetime.now(datetime.UTC).date()
        first = last - datetime.timedelta(days=30)
        ranged = {"query": stats_query(first, last, False, now)}
    log("reading stats")
    for state in ("pending", "merged"):
        if state == "merged":
            store.merge()
        for code in ("storm", "small"):
            out[f"stats_ms_{code}_{state}"] = median_ms(partial(store.analytics, code))
    if ranged is not None:
        for code in ("storm", "small"):
            out[f"stats_ms_{code}_31_days"] = median_ms(
                partial(store.analytics, code, **ranged))
    top = store.analytics("storm", top=3)
    out["storm_total"] = top.total
    out["storm_top_user_agents"] = [(c.key, c.count) for c in top.user_agents]
    store.close()
    return out


def ratios(out: dict[str, Any]) -> dict[str, float]:
    found = {}
    for state in ("pending", "merged", "31_days"):
        storm, small = out.get(f"stats_ms_storm_{state}"), out.get(f"stats_ms_small_{state}")
        if storm is not None and small:
            found[f"storm_vs_small_{state}"] = storm / small
    return found


def table(rows: dict[str, dict[str, Any]]) -> str:
    names = sorted({k for row in rows.values() for k in row if not k.startswith("storm_top")})
    width = max(map(len, names))
    lines = [f"{'measure':<{width}}  " + "  ".join(f"{n:>14}" for n in rows)]
    for name in names:
        cells = []
        for row in rows.values():
            value = row.get(name)
            cells.append(f"{value:>14,.2f}" if isinstance(value, float)
                         else f"{value!s:>14}" if value is not None else f"{'-':>14}")
        lines.append(f"{name:<{width}}  " + "  ".join(cells))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clicks", type=int, default=200_000)
    parser.add_argument("--storm", type=int, default=30_000)
    parser.add_argument("--baseline", type=Path, help="another checkout's src directory")
    parser.add_argument("--baseline-stats", action="store_true")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--raw", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    rows: dict[str, dict[str, Any]] = {}
    if args.baseline is not None:
        env = {**os.environ, "PYTHONPATH": str(args.baseline.resolve())}
        child = subprocess.run([sys.executable, __file__, "--raw", "--clicks",
                                str(args.clicks), "--storm",
                                str(args.storm if args.baseline_stats else 0)], env=env,
                               stdout=subprocess.PIPE, text=True, check=True)
        rows["baseline"] = json.loads(child.stdout)
    with tempfile.TemporaryDirectory(prefix="analytics-cost-") as tmp:
        rows["this tree"] = measure(args.clicks, args.storm, Path(tmp))
    if args.raw:
        print(json.dumps(rows["this tree"]))
        return 0
    for row in rows.values():
        row.update(ratios(row))
    if "baseline" in rows:
        rows["ratio"] = {k: v / rows["baseline"][k] for k, v in rows["this tree"].items()
                         if isinstance(v, float) and rows["baseline"].get(k)}
    print(table(rows))
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
