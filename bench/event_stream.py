"""The live click stream's cost: one shared poller per process against one poll per client.

    python bench/event_stream.py [--seconds S] [--rate R] [--json out.json]

In process, over a real SQLite analytics store: clicks of the reference mix
(``bench/traffic.py``) are recorded at ``--rate`` clicks/s, in batches as the consumer
records them, while 1, 10 and 200 subscribers follow every link through one
``LiveHub`` (``web/live.py``), the worst case of fan-out (every event goes to every
subscriber). Rows, all measured in this run:

- ``feed reads/s``: reads of the clicks table by the hub, against what one poll per
  client at the same interval would make (subscribers / interval);
- ``read ms``: one read of the clicks recorded since the last (p50);
- ``events`` delivered of those due, and ``ended``: streams the hub ended because they
  fell ``queue_size`` (1,000) events behind (a browser would resume from its last id);
- ``latency``: from a click's batch committed to a subscriber holding its event (p50,
  p99), and the ratio to the one-subscriber row.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.traffic import ReferenceMix
from linkpulse.backends.sqlite.analytics import SqliteAnalyticsStore
from linkpulse.backends.sqlite.clickfeed import SqliteClickFeed
from linkpulse.core.clicks import make_event
from linkpulse.core.events import Selection
from linkpulse.core.keys import OPEN
from linkpulse.core.models import Click, Link
from linkpulse.core.useragent import classify
from linkpulse.web.live import LiveHub

BATCH_MS = 50
"""The recorder commits a batch every 50 ms (the consumer's rhythm under steady load)."""


class Links:
    """Every link is the open API's (no owner): owner lookups cost a dict hit."""

    def get(self, code: str) -> Link | None:
        return Link(code, "https://example.com/", "https://example.com/", 0)


def _record(store: SqliteAnalyticsStore, mix: ReferenceMix, rate: float, stop: threading.Event,
            committed: dict[str, float]) -> None:
    rng = random.Random(5)
    per_batch = max(1, round(rate * BATCH_MS / 1000))
    while not stop.is_set():
        started = time.perf_counter()
        clicks = []
        for _ in range(per_batch):
            ua = rng.choice(mix.user_agents[:200])
            kind = classify(ua)
            event = make_event(f"L{mix.link_ranks(1, rng)[0]:06d}", ua, "", "203.0.113.9")
            clicks.append(Click(event, kind.browser, kind.os, kind.device, kind.is_bot, ""))
        store.record(clicks)
        now = time.perf_counter()
        for c in clicks:
            committed[c.event.click_id] = now
        stop.wait(max(0.0, BATCH_MS / 1000 - (now - started)))


async def _follow(hub: LiveHub, committed: dict[str, float], latencies: list[float],
                  ready: asyncio.Event, resets: list[int]) -> None:
    stream = hub.stream(Selection(OPEN), "", time.time())
    try:
        async for chunk in stream:
            if chunk.startswith(b"retry:"):
                ready.set()
            elif chunk.startswith(b"event: reset"):  # fell 1,000 events behind: ended
                resets.append(1)
            elif chunk.startswith(b"event: click"):
                click_id = chunk.split(b"\nid: ", 1)[1].split(b"\n", 1)[0].decode()
                at = committed.get(click_id)
                if at is not None:
                    latencies.append(time.perf_counter() - at)
    finally:
        await stream.aclose()


def _timed_reads(hub: LiveHub, reads: list[float]) -> None:
    read = hub._read

    def timed() -> Any:
        started = time.perf_counter()
        try:
            return read()
        finally:
            reads.append(time.perf_counter() - started)

    hub._read = timed  # type: ignore[method-assign]


async def _row(feed: SqliteClickFeed, store: SqliteAnalyticsStore, mix: ReferenceMix,
               subscribers: int, rate: float, seconds: float) -> dict[str, Any]:
    hub = LiveHub(feed, Links(), max_subscribers=subscribers)  # type: ignore[arg-type]
    reads: list[float] = []
    _timed_reads(hub, reads)
    committed: dict[str, float] = {}
    latencies: list[float] = []
    ready = [asyncio.Event() for _ in range(subscribers)]
    resets: list[int] = []
    tasks = [asyncio.create_task(_follow(hub, committed, latencies, r, resets))
             for r in ready]
    await asyncio.gather(*(r.wait() for r in ready))
    polls_before = hub.polls
    stop = threading.Event()
    recorder = threading.Thread(target=_record, args=(store, mix, rate, stop, committed))
    started = time.perf_counter()
    recorder.start()
    await asyncio.sleep(seconds)
    stop.set()
    while recorder.is_alive():
        await asyncio.sleep(0.05)
    await asyncio.sleep(1.0)  # the last batch goes out
    elapsed = time.perf_counter() - started
    polls = hub.polls - polls_before
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    latencies.sort()
    return {
        "subscribers": subscribers,
        "clicks": len(committed),
        "events_delivered": len(latencies),
        "events_due": len(committed) * subscribers,
        "streams_ended_behind": len(resets),
        "feed_reads_per_s": polls / elapsed,
        "per_client_reads_per_s": subscribers / hub.interval,
        "read_ms_p50": 1000 * statistics.median(reads) if reads else 0.0,
        "latency_ms_p50": 1000 * latencies[len(latencies) // 2] if latencies else 0.0,
        "latency_ms_p99": 1000 * latencies[int(len(latencies) * 0.99)] if latencies else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=500.0, help="clicks recorded per second")
    parser.add_argument("--subscribers", type=int, nargs="+", default=[1, 10, 200])
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    mix = ReferenceMix()
    with tempfile.TemporaryDirectory() as tmp:
        store = SqliteAnalyticsStore(Path(tmp) / "bench.db")
        feed = SqliteClickFeed(store.db)
        rows = [asyncio.run(_row(feed, store, mix, n, args.rate, args.seconds))
                for n in args.subscribers]
        store.close()
    base = rows[0]["latency_ms_p50"] or 1.0
    print(f"{args.rate:g} clicks/s recorded for {args.seconds:g} s per row "
          "(reference mix, every subscriber follows every link)")
    print(f"{'subscribers':>11} {'feed reads/s':>12} {'1 poll/client':>13} {'read ms':>8} "
          f"{'events':>8} {'of':>8} {'ended':>5} {'p50 ms':>7} {'p99 ms':>7} {'p50 vs 1':>8}")
    for r in rows:
        print(f"{r['subscribers']:>11} {r['feed_reads_per_s']:>12.1f} "
              f"{r['per_client_reads_per_s']:>13.0f} {r['read_ms_p50']:>8.2f} "
              f"{r['events_delivered']:>8} {r['events_due']:>8} "
              f"{r['streams_ended_behind']:>5} {r['latency_ms_p50']:>7.0f} "
              f"{r['latency_ms_p99']:>7.0f} {r['latency_ms_p50'] / base:>7.2f}x")
    if args.json is not None:
        args.json.write_text(json.dumps({"rate": args.rate, "seconds": args.seconds,
                                         "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
