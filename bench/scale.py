"""Scale: does the pipeline keep up at realistic cardinality and size, with flat costs?

    python bench/scale.py [--quick | --smoke] [--clicks N] [--links M] [--json FILE]

On the reference traffic mix (bench/traffic.py), side by side in one run:

- consumer rate on an empty store and on one pre-filled with N clicks (default 10M,
  --quick 2M), with ``--consumers`` processes (default 2, as many as HTTP workers:
  ``linkpulse worker`` once per core), exactly once (the counts are checked): until
  the queue is empty and the pending counts are merged (``consumer_rate_*``), and
  until the queue is empty only (``consumer_drain_rate_*``: the merge left behind);
- redirects over the mix's 10,000 links vs spread over M links (default 10M, --quick
  1M) with the same Zipf(1) popularity, ``serve --workers 2``;
- the longest consumer stall (one ``record`` of a 1,000-click batch) while a retention
  purge deletes half the clicks;
- database bytes per click of the pre-filled store;
- open files and memory of ``serve --workers 2`` over 10 cycles of 1 s of stats load
  and 11 s idle (the thread pool retires idle threads after 10 s);
- stats latency (the store's read) of a link with 100,000 tied user agents and
  referers (at most ``FOLD_CAP`` new ones a day, so none is folded: 1,000 days) vs a
  link with 10 of each over the same days; a link of 10 clicks as an extra row.

The pre-fill writes the mix with the bulk loader (bench/bulkload.py: the state
``record`` would leave, written ~10x faster). ``--smoke`` runs every section for a
moment with tiny sizes to prove the harness works; its numbers mean nothing.
Benchmarks report; they never fail on a number.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import bulkload, consumers, loadgen, seed, servers
from bench.probes import counted
from bench.traffic import ReferenceMix
from linkpulse import bootstrap
from linkpulse.backends.sqlite.analytics import SqliteAnalyticsStore
from linkpulse.backends.sqlite.analytics_schema import DIM_UA, FOLD_CAP, FOLD_KEY
from linkpulse.core.clicks import make_event
from linkpulse.core.models import Click
from linkpulse.core.service import enrich

BATCH = 10_000
CONNECTIONS = 64
DAY = 86_400.0


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def clicks(mix: ReferenceMix, codes: list[str], n: int) -> Iterator[Click]:
    for hit in mix.hits(n):
        yield enrich(make_event(codes[hit.link], hit.user_agent, hit.referer, hit.ip,
                                hit.timestamp))


def record(store: SqliteAnalyticsStore, stream: Iterator[Click], batch: int = BATCH) -> int:
    done = 0
    chunk: list[Click] = []
    for click in stream:
        chunk.append(click)
        if len(chunk) == batch:
            done += store.record(chunk)
            chunk = []
    return done + (store.record(chunk) if chunk else 0)


def consumer_rate(db: Path, codes: list[str], n: int, mix: ReferenceMix, processes: int
                  ) -> tuple[float, float, bool]:
    """Clicks per second with the pending counts merged, clicks per second until the
    queue is empty, and whether every click counted once."""
    before = counted(db)
    components = bootstrap.build(seed.settings(db), buffered=False)
    seed.queue_mix(components, codes, n, mix)
    components.close()
    drained, merged = consumers.drain_times(db, processes, merge=True)
    return n / merged, n / drained, counted(db) - before == n


def file_bytes(db: Path) -> int:
    return sum(p.stat().st_size for p in (db, Path(f"{db}-wal")) if p.exists())


# --- sections ----------------------------------------------------------------------------

def consumer_section(args: argparse.Namespace, tmp: Path, out: dict[str, Any]) -> Path:
    mix = ReferenceMix()
    empty, full = tmp / "empty.db", tmp / "full.db"
    kept: Path | None = args.prefilled
    if kept is not None and (kept / "full.db").exists():
        log(f"copying the stores pre-filled by an earlier run from {kept}")
        for name in ("empty.db", "full.db"):
            shutil.copyfile(kept / name, tmp / name)
        meta = json.loads((kept / "prefill.json").read_text())
        codes = meta.pop("codes")
        if meta["prefilled_clicks"] != args.clicks:
            raise SystemExit(f"{kept} holds {meta['prefilled_clicks']:,} clicks, not "
                             f"{args.clicks:,}: name another directory")
        out.update(meta)
    else:
        codes = prefill(args, mix, empty, full, out)
        if kept is not None:
            kept.mkdir(parents=True, exist_ok=True)
            for name in ("empty.db", "full.db"):
                shutil.copyfile(tmp / name, kept / name)
            (kept / "prefill.json").write_text(json.dumps({**{k: out[k] for k in (
                "prefill_clicks_per_s", "prefilled_clicks", "db_bytes_per_click")},
                "codes": codes}))
    log(f"pre-filled {out['prefilled_clicks']:,} at {out['prefill_clicks_per_s']:,.0f} "
        f"clicks/s; {out['db_bytes_per_click']:.0f} bytes per click")
    # New clicks after the pre-filled ones: the same mix, a later month, other draws.
    later = ReferenceMix(end=mix.end + 30 * DAY, seed=2)
    for name, db in (("empty", empty), ("full", full)):
        rate, drained, exact = consumer_rate(db, codes, args.consumer_clicks, later,
                                             args.consumers)
        out[f"consumer_rate_{name}"], out[f"consumer_exact_{name}"] = rate, exact
        out[f"consumer_drain_rate_{name}"] = drained
        log(f"consumer on the {name} store, {args.consumers} process(es): {rate:,.0f} "
            f"clicks/s with its pending counts merged, {drained:,.0f} until the queue "
            f"was empty (exact: {exact})")
    return full


def prefill(args: argparse.Namespace, mix: ReferenceMix, empty: Path, full: Path,
            out: dict[str, Any]) -> list[str]:
    codes = seed.links(empty, mix.links)
    seed.links(full, 0, given=codes)
    log(f"pre-filling {args.clicks:,} clicks of the reference mix (bulk loader)")
    store = SqliteAnalyticsStore(full)
    started = time.perf_counter()
    prefilled = bulkload.load(store, clicks(mix, codes, args.clicks))
    out["prefill_clicks_per_s"] = prefilled / (time.perf_counter() - started)
    out["prefilled_clicks"] = prefilled
    store.db.connection().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    out["db_bytes_per_click"] = file_bytes(full) / prefilled
    return codes


def purge_section(full: Path, out: dict[str, Any]) -> None:
    """The longest ``record`` of a 1,000-click batch while half the clicks are purged."""
    store = SqliteAnalyticsStore(full)
    conn = store.db.connection()
    total = conn.execute("SELECT count(*) FROM clicks").fetchone()[0]
    middle = conn.execute("SELECT ts FROM clicks ORDER BY click_id LIMIT 1 OFFSET ?",
                          (total // 2,)).fetchone()[0]
    codes = [c for (c,) in conn.execute("SELECT code FROM links LIMIT 10000")]
    now = time.time()
    # retention such that the older half of the clicks has expired
    retention_days = (now - middle) / DAY
    purger = SqliteAnalyticsStore(full)  # its own connections and locks: another process's
    purged: list[int] = []
    thread = threading.Thread(
        target=lambda: purged.append(purger.purge_clicks(0, now=now - retention_days * DAY)))
    mix = ReferenceMix(end=now, seed=3)
    stream = clicks(mix, codes, 10_000_000)
    stalls: list[float] = []
    thread.start()
    started = time.perf_counter()
    while thread.is_alive():
        batch = [next(stream) for _ in range(1_000)]
        t = time.perf_counter()
        store.record(batch)
        stalls.append(time.perf_counter() - t)
    out["purge_s"] = time.perf_counter() - started
    out["purged_clicks"] = purged[0] if purged else None
    out["purge_max_stall_s"] = max(stalls)
    out["purge_median_record_s"] = statistics.median(stalls)
    purger.close()
    store.close()
    log(f"purge of {out['purged_clicks']:,} clicks took {out['purge_s']:.1f} s; longest "
        f"consumer stall {out['purge_max_stall_s']:.3f} s (median record "
        f"{out['purge_median_record_s'] * 1000:.0f} ms)")


def redirect_section(args: argparse.Namespace, tmp: Path, out: dict[str, Any]) -> None:
    db = tmp / "links.db"
    log(f"seeding {args.links:,} links")
    codes = seed.links(db, args.links)
    random.Random(5).shuffle(codes)
    mix = ReferenceMix()
    hot = mix.paths(codes[: mix.links], 500_000)
    # the mix's Zipf(1) popularity over all the links: most of them rarely requested
    spread = ReferenceMix(links=len(codes)).paths(codes, 500_000)
    port = servers.free_port()
    base = f"http://127.0.0.1:{port}"
    out["links"] = len(codes)
    with servers.linkpulse(db, port, 2, "--no-worker", log=tmp / "serve.log"):
        for name, paths in (("hot", hot), ("all", spread), ("hot2", hot)):
            if args.warmup:
                loadgen.run(base, paths, connections=CONNECTIONS, duration=args.warmup)
            load = loadgen.run(base, paths, connections=CONNECTIONS, duration=args.duration)
            out[f"redirect_rps_{name}"] = load.rps
            log(f"redirects over {'hot links' if 'hot' in name else f'{len(codes):,} links'}"
                f": {load.rps:,.0f} req/s, p99 {load.p99_ms:.2f} ms, "
                f"{load.errors + load.bad_status} errors")
    # hot before and after the spread run: their mean is the baseline of the spread run
    out["redirect_rps_hot"] = (out["redirect_rps_hot"] + out.pop("redirect_rps_hot2")) / 2


def uptime_section(full: Path, tmp: Path, out: dict[str, Any], idle: float) -> None:
    store = SqliteAnalyticsStore(full)
    codes = [c for (c,) in store.db.connection().execute("SELECT code FROM links LIMIT 1000")]
    store.close()
    paths = [f"/stats/{c}" for c in codes]
    port = servers.free_port()
    base = f"http://127.0.0.1:{port}"
    fds: list[int] = []
    rss: list[float] = []
    with servers.linkpulse(full, port, 2, "--no-worker", log=tmp / "uptime.log") as server:
        # a first load spins up the workers' bounded thread pools (8 threads each)
        loadgen.run(base, paths, connections=16, duration=1, expect=200)
        for cycle in range(10):
            loadgen.run(base, paths, connections=16, duration=1, expect=200)
            time.sleep(idle)
            f, r = group_usage(server.pid)
            fds.append(f)
            rss.append(r)
            log(f"cycle {cycle + 1}: {f} open files, {r:.0f} MB")
    out["fds"], out["rss_mb"] = fds, rss
    out["fd_growth"] = fds[-1] - fds[0]
    out["rss_growth_mb"] = rss[-1] - rss[0]


def group_usage(pgid: int) -> tuple[int, float]:
    """Open files and resident MB of the process group ``pgid`` (Linux /proc)."""
    files, rss_pages = 0, 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) != pgid:
                continue
            files += len(os.listdir(stat.parent / "fd"))
            rss_pages += int(fields[21])
        except (OSError, IndexError, ValueError):
            continue
    return files, rss_pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def stats_section(tmp: Path, out: dict[str, Any], tied_keys: int) -> None:
    """Stats of a link whose user agents and referers all tie, against a link with 10
    of each over the same days (what the ties cost: the read is the same otherwise), and
    against a link of 10 clicks (labelled extra: a link of one day)."""
    db = tmp / "stats.db"
    tied, small, ten_clicks = seed.links(db, 3)
    store = SqliteAnalyticsStore(db)
    # 100,000 clicks, each with its own user agent and referer: every key ties at 1.
    # FOLD_CAP a day, over as many days, so that none is folded into "other".
    days = -(-tied_keys // FOLD_CAP)
    t0 = time.time() - (days + 1) * DAY
    record(store, (enrich(make_event(tied, f"agent/{i}", f"https://r{i}.example/", "",
                                     t0 + i * DAY / FOLD_CAP)) for i in range(tied_keys)))
    record(store, (enrich(make_event(small, f"agent/{i % 10}", f"https://r{i % 10}.example/",
                                     "", t0 + i * DAY / 10)) for i in range(days * 10)))
    mix = ReferenceMix(end=time.time(), seed=4)
    record(store, clicks(mix, [ten_clicks] * mix.links, 10))
    pending = store.db.connection().execute(
        "SELECT count(*) FROM pending WHERE code = ?", (tied,)).fetchone()[0]
    out["stats_tied_pending_rows"] = pending
    out["stats_ms_tied_pending"] = _median_ms(store, tied)
    store.merge()  # as every MERGE_ROWS bumped rows: the tied link's counts all merged
    out["stats_tied_keys"] = store.db.connection().execute(
        f"SELECT count(*) FROM counts WHERE code = ? AND dim = {DIM_UA} AND key <> "
        f"{FOLD_KEY}", (tied,)).fetchone()[0]
    out["stats_days"] = days
    for name, code, what in (("tied", tied, f"{out['stats_tied_keys']:,} tied agents"),
                             ("small", small, "10 agents"),
                             ("ten_clicks", ten_clicks, "10 clicks")):
        out[f"stats_ms_{name}"] = _median_ms(store, code)
        log(f"stats of a link with {what}{'' if name == 'ten_clicks' else f' over {days:,} days'}"
            f": median {out[f'stats_ms_{name}']:.2f} ms")
    log(f"stats of the tied link with {pending:,} of its counters pending: "
        f"{out['stats_ms_tied_pending']:.2f} ms")
    store.close()


def _median_ms(store: SqliteAnalyticsStore, code: str) -> float:
    times = []
    for _ in range(200):
        started = time.perf_counter()
        store.analytics(code)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def targets(out: dict[str, Any]) -> list[tuple[str, bool]]:
    return [
        ("consumer_rate_full >= redirect_rps_hot",
         out["consumer_rate_full"] >= out["redirect_rps_hot"]),
        ("consumer_rate_full >= 0.67 x consumer_rate_empty",
         out["consumer_rate_full"] >= 0.67 * out["consumer_rate_empty"]),
        ("redirect_rps_all >= 0.8 x redirect_rps_hot",
         out["redirect_rps_all"] >= 0.8 * out["redirect_rps_hot"]),
        ("purge_max_stall_s <= 1", out["purge_max_stall_s"] <= 1),
        ("db_bytes_per_click <= 250", out["db_bytes_per_click"] <= 250),
        ("fd_growth <= 2", out["fd_growth"] <= 2),
        ("rss_growth_mb <= 50", out["rss_growth_mb"] <= 50),
        ("stats_ms_tied <= 3 x stats_ms_small",
         out["stats_ms_tied"] <= 3 * out["stats_ms_small"]),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="2M clicks, 1M links")
    mode.add_argument("--smoke", action="store_true", help="a few seconds, tiny sizes")
    parser.add_argument("--clicks", type=int, help="clicks to pre-fill (10M; --quick 2M)")
    parser.add_argument("--links", type=int, help="links to spread redirects over")
    parser.add_argument("--consumers", type=int, default=2,
                        help="consumer processes (default 2: one per HTTP worker)")
    parser.add_argument("--prefilled", type=Path, metavar="DIR",
                        help="keep the pre-filled stores in DIR, or start from the ones "
                             "kept there by an earlier run of the same --clicks")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--only", help="comma-separated: consumer,redirect,uptime,stats")
    args = parser.parse_args(argv)
    args.clicks = args.clicks or (20_000 if args.smoke else 2_000_000 if args.quick
                                  else 10_000_000)
    args.links = args.links or (20_000 if args.smoke else 1_000_000 if args.quick
                                else 10_000_000)
    args.consumer_clicks = 5_000 if args.smoke else 200_000 if args.quick else 500_000
    args.duration, args.warmup = ((1.0, 0.0) if args.smoke else (5.0, 3.0) if args.quick
                                  else (10.0, 5.0))
    args.idle = 0.2 if args.smoke else 11.0
    loadgen.USE_WRK = True
    sections = set((args.only or "consumer,redirect,uptime,stats").split(","))
    out: dict[str, Any] = {"mode": "smoke" if args.smoke else "quick" if args.quick else "full",
                           "load_generator": loadgen.tool_name(),
                           "consumer_processes": args.consumers}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="linkpulse-scale-") as tmp_name:
        tmp = Path(tmp_name)
        if "consumer" in sections:
            full = consumer_section(args, tmp, out)
            if "uptime" in sections:
                uptime_section(full, tmp, out, args.idle)
            purge_section(full, out)
        if "redirect" in sections:
            redirect_section(args, tmp, out)
        if "stats" in sections:
            stats_section(tmp, out, 2_000 if args.smoke else 100_000)
    out["seconds"] = time.perf_counter() - started
    if not sections - {"consumer", "redirect", "uptime", "stats"} and len(sections) == 4:
        out["targets"] = {name: ok for name, ok in targets(out)}
        width = max(map(len, out["targets"]))
        for name, ok in out["targets"].items():
            print(f"{name:<{width}}  {'met' if ok else 'MISSED'}")
    print(json.dumps({k: v for k, v in out.items() if k != "targets"}, indent=2))
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
