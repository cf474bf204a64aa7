"""linkpulse benchmarks: redirect, consumer, freshness, stats latency, create, Lambda.

    python bench/run.py [--quick | --smoke] [--json FILE] [--workers N]

Everything runs on this machine over loopback, side by side in one run (CPU steal on
small VMs is bursty: compare the rows of one table, not numbers of different runs).
``--smoke`` runs every section for a moment with tiny sizes to prove the harness works;
its numbers mean nothing. Benchmarks report; they never fail on a number.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import consumers, loadgen, seed, servers
from bench.probes import Http, backlog, counted, freshness, pct, under_load, wait_drained
from bench.report import table
from bench.traffic import ReferenceMix
from linkpulse import bootstrap


@dataclass(frozen=True)
class Sizes:
    links: int
    duration: float
    warmup: float
    consumer_clicks: int
    probes: int
    stats_clicks: tuple[int, ...]
    stats_requests: int


# Redirects and consumed clicks follow the reference mix (bench/traffic.py) over
# ``links`` links; the low-cardinality consumer row (1,000 links, 8 user agents, 5
# referers) is an extra, labelled as such.
FULL = Sizes(10_000, 15.0, 10.0, 200_000, 200, (1_000, 100_000, 1_000_000), 300)
QUICK = Sizes(10_000, 4.0, 2.0, 100_000, 40, (1_000, 100_000, 1_000_000), 100)
SMOKE = Sizes(1_000, 1.0, 0.0, 500, 3, (10, 1_000), 5)

CONNECTIONS = 64
STEADY_FRACTION = 0.25
"""Freshness is also measured under a steady load of this fraction of the peak redirect
rate: a busy server whose consumer keeps up, rather than a saturated one."""


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)



# --- 1. redirect, 2. backlog, 3. freshness ---------------------------------------------------

def redirect_section(sizes: Sizes, workers: int, tmp: Path, out: dict[str, Any]) -> None:
    db = tmp / "redirect.db"
    log(f"seeding {sizes.links} links")
    all_codes = seed.links(db, sizes.links + sizes.probes * 2)
    probe_codes, codes = all_codes[: sizes.probes * 2], all_codes[sizes.probes * 2:]
    paths = ReferenceMix(links=len(codes)).paths(codes, 200_000)
    out["load_generator"] = loadgen.tool_name()
    out["workers"] = workers
    out["links"] = len(codes)

    served = 0  # redirects answered to the load generator, warm-ups included

    def measure(name: str, base: str, server: Any) -> loadgen.Load:
        nonlocal served
        if sizes.warmup:
            served += loadgen.run(base, paths, connections=CONNECTIONS,
                                  duration=sizes.warmup).requests
        leader, others = servers.cpu_seconds(server.pid)
        load = loadgen.run(base, paths, connections=CONNECTIONS, duration=sizes.duration)
        leader_after, others_after = servers.cpu_seconds(server.pid)
        # CPU of the processes that serve HTTP: the workers, or the leader when alone.
        cpu = others_after - others if workers > 1 else leader_after - leader
        out[f"{name}_cpu_us_per_request"] = cpu / max(load.requests, 1) * 1e6
        log(f"{name}: {load.rps:,.0f} req/s, p50 {load.p50_ms:.2f} ms, p99 {load.p99_ms:.2f} ms"
            f", {load.errors} errors, {load.bad_status} bad statuses, server CPU "
            f"{out[f'{name}_cpu_us_per_request']:.0f} us/request")
        served += load.requests
        return load

    for server_name, key in (("granian", "bare"), ("uvicorn", "bare_uvicorn")):
        port = servers.free_port()
        log(f"bare ASGI 302 on {server_name}, {workers} worker(s)")
        with servers.bare(port, workers, server=server_name) as server:
            load = measure(key, f"http://127.0.0.1:{port}", server)
        out[f"{key}_rps"] = load.rps
        out[f"{key}_p99_ms"] = load.p99_ms
    bare = out["bare_rps"]

    # The previous server, side by side: the same app on uvicorn vs on granian (serve),
    # both without the consumer, on a copy of the links (their clicks stay queued there).
    compare_db = tmp / "compare.db"
    seed.links(compare_db, 0, given=all_codes)
    for server_name in ("uvicorn", "granian"):
        port = servers.free_port()
        log(f"linkpulse on {server_name}, {workers} worker(s), no consumer")
        starter = (servers.uvicorn_app(compare_db, port, workers)
                   if server_name == "uvicorn" else
                   servers.linkpulse(compare_db, port, workers, "--no-worker"))
        with starter as server:
            load = measure(f"app_{server_name}", f"http://127.0.0.1:{port}", server)
        out[f"app_{server_name}_rps"] = load.rps
    out["granian_vs_uvicorn"] = out["app_granian_rps"] / out["app_uvicorn_rps"]
    log(f"redirect on granian / on uvicorn: {out['granian_vs_uvicorn']:.2f}x")

    if servers.nginx_available():
        port = servers.free_port()
        log(f"nginx return 302, {workers} worker(s)")
        with servers.nginx(port, workers, tmp / "nginx") as server:
            ngx = measure("nginx", f"http://127.0.0.1:{port}", server)
        out["nginx_rps"] = ngx.rps
        out["nginx_p99_ms"] = ngx.p99_ms
    else:
        out["nginx_rps"] = None

    port = servers.free_port()
    base = f"http://127.0.0.1:{port}"
    served = 0
    log(f"linkpulse serve, {workers} worker(s), consumer on")
    with servers.linkpulse(db, port, workers, log=tmp / "serve.log") as server:
        lp = measure("redirect", base, server)
        out["redirect_rps"] = lp.rps
        out["redirect_p50_ms"] = lp.p50_ms
        out["redirect_p99_ms"] = lp.p99_ms
        out["redirect_errors"] = lp.errors + lp.bad_status
        out["redirect_vs_bare"] = lp.rps / bare
        if out["nginx_rps"]:
            out["redirect_vs_nginx"] = lp.rps / out["nginx_rps"]
        out["backlog_after_load"] = backlog(db)
        drained = wait_drained(db, timeout=120)
        out["backlog_drain_s"] = drained
        log(f"backlog right after the load: {out['backlog_after_load']} messages, "
            f"drained in {drained if drained is None else round(drained, 2)} s")

        http = Http(port)
        idle = freshness(http, probe_codes[: sizes.probes], sizes.probes)
        out["freshness_p50_ms"], out["freshness_p99_ms"] = pct(idle, 0.5), pct(idle, 0.99)
        log(f"freshness idle: p50 {out['freshness_p50_ms']:.0f} ms, "
            f"p99 {out['freshness_p99_ms']:.0f} ms")
        busy, load = under_load(base, paths, sizes.duration, CONNECTIONS,
                                lambda loaded: freshness(http, probe_codes[sizes.probes:],
                                                         sizes.probes, loaded))
        served += load.requests + len(idle) + len(busy)
        out["freshness_load_p50_ms"] = pct(busy, 0.5)
        out["freshness_load_p99_ms"] = pct(busy, 0.99)
        out["freshness_load_probes"] = len(busy)
        log(f"freshness under full load: p50 {out['freshness_load_p50_ms']:.0f} ms, "
            f"p99 {out['freshness_load_p99_ms']:.0f} ms ({len(busy)} probes)")
        wait_drained(db, timeout=300)
        steady = lp.rps * STEADY_FRACTION
        busy, load = under_load(base, paths, sizes.duration, CONNECTIONS,
                                lambda loaded: freshness(http, probe_codes[sizes.probes:],
                                                         sizes.probes, loaded), rate=steady)
        served += load.requests + len(busy)
        out["steady_rps"] = load.rps
        out["freshness_steady_p50_ms"] = pct(busy, 0.5)
        out["freshness_steady_p99_ms"] = pct(busy, 0.99)
        log(f"freshness under a steady {load.rps:,.0f} req/s: p50 "
            f"{out['freshness_steady_p50_ms']:.0f} ms, p99 {out['freshness_steady_p99_ms']:.0f}"
            f" ms ({len(busy)} probes)")
        http.close()
        wait_drained(db, timeout=300)
    # Every redirect answered is a click: the counters must hold exactly that many. The
    # load generator does not count responses in flight when it stops (at most one per
    # connection and run), whose clicks were counted all the same.
    out["redirects_answered"] = served
    out["clicks_counted"] = counted(db)
    out["clicks_exact"] = 0 <= out["clicks_counted"] - served <= CONNECTIONS * 4
    log(f"redirects answered {served}, clicks counted {out['clicks_counted']}")



# --- 2. consumer -------------------------------------------------------------------------------

def consumer_section(sizes: Sizes, workers: int, tmp: Path, out: dict[str, Any]) -> None:
    """The queue's drain rate on the reference mix with one consumer process, and with
    as many as there are HTTP workers (``linkpulse worker`` once per core): the same
    share of the machine the redirect numbers get. Extra row: low-cardinality traffic
    (1,000 links, 8 user agents, 5 referers), which hides the costs of real traffic."""
    mix = ReferenceMix()
    for processes, traffic in sorted({(1, "mix"), (workers, "mix"), (workers, "low")}):
        db = tmp / f"consumer-{processes}-{traffic}.db"
        codes = seed.links(db, 1000 if traffic == "low" else mix.links)
        components = bootstrap.build(seed.settings(db), buffered=False)
        log(f"queueing {sizes.consumer_clicks} click messages ({traffic} traffic)")
        if traffic == "low":
            seed.queue_messages(components, codes, sizes.consumer_clicks)
        else:
            seed.queue_mix(components, codes, sizes.consumer_clicks, mix)
        components.close()
        elapsed = consumers.drain(db, processes)
        total = counted(db)
        rate = sizes.consumer_clicks / elapsed
        key = f"consumer_{processes}p" + ("_low" if traffic == "low" else "")
        out[f"{key}_clicks_per_s"] = rate
        out[f"{key}_exact"] = total == sizes.consumer_clicks
        log(f"consumer, {processes} process(es), {traffic} traffic: {sizes.consumer_clicks} "
            f"clicks in {elapsed:.2f} s = {rate:,.0f}/s; counted {total} "
            f"(exact: {total == sizes.consumer_clicks})")
    out["consumer_processes"] = workers
    out["consumer_clicks_per_s"] = out[f"consumer_{workers}p_clicks_per_s"]
    out["consumer_exact"] = out[f"consumer_{workers}p_exact"]


# --- 4. stats latency --------------------------------------------------------------------------

def stats_section(sizes: Sizes, workers: int, tmp: Path, out: dict[str, Any]) -> None:
    db = tmp / "stats.db"
    codes = seed.links(db, len(sizes.stats_clicks))
    components = bootstrap.build(seed.settings(db), buffered=False)
    seeded, seconds = 0, 0.0
    for code, n in zip(codes, sizes.stats_clicks, strict=True):
        log(f"recording {n} clicks on one link through AnalyticsStore.record()")
        seconds += seed.record_clicks(components, code, n)
        seeded += n
    components.close()
    out["stats_seed_clicks_per_s"] = seeded / seconds
    port = servers.free_port()
    by_clicks: dict[str, float] = {}
    with servers.linkpulse(db, port, workers, "--no-worker"):
        http = Http(port)
        for code, n in zip(codes, sizes.stats_clicks, strict=True):
            assert http.total_clicks(code) == n
            times = []
            for _ in range(sizes.stats_requests):
                started = time.perf_counter()
                status, _ = http.get(f"/stats/{code}")
                times.append((time.perf_counter() - started) * 1000)
                assert status == 200
            by_clicks[str(n)] = statistics.median(times)
            log(f"stats at {n} clicks: median {by_clicks[str(n)]:.2f} ms, "
                f"p99 {pct(times, 0.99):.2f} ms")
        http.close()
    out["stats_ms_by_clicks"] = by_clicks


# --- 5. create ---------------------------------------------------------------------------------

def create_section(sizes: Sizes, workers: int, tmp: Path, out: dict[str, Any]) -> None:
    db = tmp / "create.db"
    seed.links(db, 1)
    port = servers.free_port()
    body = b'{"url": "https://example.com/some/long/path?utm_source=bench"}'
    with servers.linkpulse(db, port, workers):
        load = loadgen.run(f"http://127.0.0.1:{port}", ["/shorten"], connections=CONNECTIONS,
                           duration=sizes.duration, method="POST", body=body, expect=201)
    out["create_rps"] = load.rps
    out["create_p99_ms"] = load.p99_ms
    out["create_errors"] = load.errors + load.bad_status
    log(f"create: {load.rps:,.0f} req/s, p99 {load.p99_ms:.1f} ms, "
        f"{out['create_errors']} errors")


# --- 6. Lambda cold start ------------------------------------------------------------------

def lambda_section(sizes: Sizes, out: dict[str, Any]) -> None:
    if sizes is SMOKE:  # it pip-installs the artifact's dependencies: not a smoke
        out["lambda"], out["lambda_skipped"] = None, "skipped in --smoke (runs pip)"
        log("lambda: skipped in --smoke (building the artifact runs pip)")
        return
    try:
        from bench import lambda_coldstart  # type: ignore[attr-defined]
    except ImportError:
        out["lambda"] = None
        log("lambda: skipped: AWS backend not available (bench/lambda_coldstart.py missing)")
        return
    try:
        out["lambda"] = lambda_coldstart.measure(runs=5 if sizes is FULL else 3)
    except Exception as exc:  # a missing optional dependency, most likely
        out["lambda"] = None
        log(f"lambda: skipped: AWS backend not available ({type(exc).__name__}: {exc})")
        return
    log(f"lambda: {out['lambda']}")



def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="short runs (under 2 minutes)")
    mode.add_argument("--smoke", action="store_true", help="a few seconds, tiny sizes")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--workers", type=int, default=2, help="HTTP worker processes")
    parser.add_argument("--no-wrk", action="store_true",
                        help="use the asyncio load generator even if wrk is installed")
    parser.add_argument("--no-nginx", action="store_true", help="skip the nginx baseline")
    parser.add_argument("--only", help="comma-separated sections: "
                        "redirect,consumer,stats,create,lambda")
    args = parser.parse_args(argv)
    loadgen.USE_WRK = not args.no_wrk
    servers.USE_NGINX = not args.no_nginx
    sizes = SMOKE if args.smoke else QUICK if args.quick else FULL
    sections = set((args.only or "redirect,consumer,stats,create,lambda").split(","))
    out: dict[str, Any] = {"mode": "smoke" if args.smoke else "quick" if args.quick else "full",
                           "connections": CONNECTIONS}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="linkpulse-bench-") as tmp_name:
        tmp = Path(tmp_name)
        if "redirect" in sections:
            redirect_section(sizes, args.workers, tmp, out)
        if "consumer" in sections:
            consumer_section(sizes, args.workers, tmp, out)
        if "stats" in sections:
            stats_section(sizes, args.workers, tmp, out)
        if "create" in sections:
            create_section(sizes, args.workers, tmp, out)
        if "lambda" in sections:
            lambda_section(sizes, out)
    out["seconds"] = time.perf_counter() - started
    print(table(out))
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
