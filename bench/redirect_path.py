"""The redirect path in process, without sockets: CPU per request, stage by stage.

    python bench/redirect_path.py [--requests N] [--repeat R]

Drives the real ASGI app (``create_app``, SQLite backend, group-committed clicks) by
calling it with a prepared scope and a ``send`` that only collects the messages, so
what is timed is linkpulse's own Python: no uvicorn, no event loop, no network. Rows,
all measured in this run:

- ``bare 302``: ``bench/bare.py``'s callable, the baseline every row is compared with;
- ``HEAD`` (lookup and response, no click), ``GET`` (plus creating and buffering the
  click), and ``flush`` (the flusher writing the buffered clicks, per click);
- ``GET + flush``: what one counted redirect costs a worker in all;
- ``GET without country and visitor``: the same GETs with the country lookup and the
  visitor hash switched off (what a redirect cost before them), and their ratio;
- ``GET, API open``: the same GETs on an app built with ``open=True`` (no keys asked
  anywhere), against the default app that requires keys: redirects are public either
  way, so the ratio shows what the key machinery costs a redirect (it should be none).
- ``GET + flush without metrics``: the same counted redirects on components built
  without metrics (what a redirect cost before them), and the ratio of redirect rates
  with and without. Metrics are recorded as ``serve`` records them: prometheus-client
  in multiprocess mode (a private ``PROMETHEUS_MULTIPROC_DIR``, values in mmap files).

Requests follow the reference mix (``bench/traffic.py``): Zipf links, user agents and
referers, and a random client address per request (the socket peer), so the country
lookup and the visitor hash see as many distinct addresses as requests.

Every link is looked up once before timing, so the cache is warm (as after the
warm-up of ``bench/run.py``). The best of ``--repeat`` runs is reported. Stable enough
to compare commits; run it under ``valgrind --tool=callgrind`` for instruction counts.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bare

from bench import seed
from bench.traffic import ReferenceMix
from linkpulse import bootstrap
from linkpulse.core.metrics import NO_METRICS
from linkpulse.web.app import create_app


def scope(method: str, code: str, user_agent: str = seed.USER_AGENTS[0],
          referer: str = "https://news.ycombinator.com/", client: str = "127.0.0.1",
          ) -> dict[str, Any]:
    return {
        "type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1", "server": ("127.0.0.1", 8000),
        "client": (client, 40000), "scheme": "http", "method": method,
        "root_path": "", "path": f"/{code}", "raw_path": f"/{code}".encode(),
        "query_string": b"", "headers": [
            (b"host", b"127.0.0.1:8000"), (b"user-agent", user_agent.encode()),
            (b"accept", b"*/*"), (b"referer", referer.encode())],
    }


def drive(app: Callable[..., Coroutine[Any, Any, None]], scopes: list[dict[str, Any]],
          flush: Callable[[], int] | None = None, every: int = 500) -> tuple[float, float]:
    """Seconds spent answering every scope, and flushing every ``every`` requests (as the
    flusher would at ~25k redirects/s); each call runs to completion without a loop."""
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    answering = flushing = 0.0
    for start in range(0, len(scopes), every):
        started = time.perf_counter()
        for s in scopes[start:start + every]:
            coro = app(s, receive, send)
            try:
                coro.send(None)
            except StopIteration:
                pass
            else:  # pragma: no cover - the fast path never awaits anything real
                raise RuntimeError("the app suspended")
            sent.clear()
        answered = time.perf_counter()
        if flush is not None:
            flush()
        answering += answered - started
        flushing += time.perf_counter() - answered
    return answering, flushing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=50_000)
    parser.add_argument("--links", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    n = args.requests

    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "metrics").mkdir(mode=0o700)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(Path(tmp) / "metrics")  # as serve
        settings = seed.settings(Path(tmp) / "bench.db", click_flush_ms=20.0)
        codes = seed.links(settings.db, args.links)
        components = bootstrap.build(settings)  # flusher not started: flushed below
        app = create_app(settings, components)
        sender = components.sender
        flush: Callable[[], int] = getattr(sender, "flush")  # noqa: B009
        plain = create_app(settings, components)
        plain.api.visitors = None  # type: ignore[attr-defined]  # the redirect before
        opened = create_app(dataclasses.replace(settings, open=True), components)
        unmeasured = bootstrap.build(settings, metrics=NO_METRICS)
        unmeasured_app = create_app(settings, unmeasured)
        unmeasured_flush: Callable[[], int] = getattr(unmeasured.sender, "flush")  # noqa: B009
        hits = list(ReferenceMix(links=len(codes)).hits(n))
        heads = [scope("HEAD", codes[h.link], h.user_agent, h.referer, h.ip) for h in hits]
        gets = [scope("GET", codes[h.link], h.user_agent, h.referer, h.ip) for h in hits]
        drive(app, [scope("HEAD", c) for c in codes])  # warm the cache
        for warm in (app, opened):  # today's visitor salt, read once per app
            drive(warm, gets[:10], flush)
        drive(unmeasured_app, [scope("HEAD", c) for c in codes])
        drive(unmeasured_app, gets[:10], unmeasured_flush)

        best: dict[str, float] = {}

        def keep(name: str, seconds: float) -> None:
            best[name] = min(best.get(name, seconds), seconds)

        for _ in range(args.repeat):
            keep("bare", drive(bare.app, gets)[0])
            keep("head", drive(app, heads)[0])
            flushed = getattr(sender, "flushed", 0)
            answering, flushing = drive(app, gets, flush)
            assert getattr(sender, "flushed", 0) - flushed == n
            keep("get", answering)
            keep("flush", flushing)
            keep("get_plain", drive(plain, gets, flush)[0])
            keep("get_open", drive(opened, gets, flush)[0])
            answering, flushing = drive(unmeasured_app, gets, unmeasured_flush)
            keep("get_unmeasured", answering)
            keep("flush_unmeasured", flushing)
        components.close()
        unmeasured.close()

    us = {k: v / n * 1e6 for k, v in best.items()}
    us["total"] = us["get"] + us["flush"]
    us["total_unmeasured"] = us["get_unmeasured"] + us["flush_unmeasured"]
    rows = [
        ("bare 302 (baseline)", us["bare"]),
        ("HEAD: lookup + response", us["head"]),
        ("GET: + click created and buffered", us["get"]),
        ("flush: per click written", us["flush"]),
        ("GET + flush: one counted redirect", us["total"]),
        ("GET without country and visitor", us["get_plain"]),
        ("GET, API open (keys required above)", us["get_open"]),
        ("GET + flush without metrics", us["total_unmeasured"]),
    ]
    print(f"{'stage':<40}{'us/request':>12}{'x bare':>8}")
    for name, v in rows:
        print(f"{name:<40}{v:>12.2f}{v / us['bare']:>8.1f}")
    added = us["get"] - us["get_plain"]
    print(f"country + visitor: +{added:.2f} us per GET, GET with / without = "
          f"{us['get'] / us['get_plain']:.3f}x")
    print(f"keys required / API open = {us['get'] / us['get_open']:.3f}x per GET")
    metrics_ratio = us["total_unmeasured"] / us["total"]
    print(f"metrics: +{us['total'] - us['total_unmeasured']:.2f} us per counted redirect; "
          f"redirect rate with / without metrics = {metrics_ratio:.3f}")
    print(f"{n:,} requests over {args.links:,} links (reference mix), best of "
          f"{args.repeat}, Python {sys.version.split()[0]}")
    if args.json is not None:
        args.json.write_text(json.dumps({"us_per_request": us, "requests": n,
                                         "rate_with_over_without_metrics": metrics_ratio,
                                         "links": args.links, "repeat": args.repeat},
                                        indent=2) + "\n")


if __name__ == "__main__":
    main()
