"""HTTP worker CPU per redirect, linkpulse against the bare 302, alternating rounds.

    python bench/redirect_cpu.py [--rounds 3] [--duration 4] [--links 10000] [--workers 2]
    git archive REV src | tar -x -C /tmp/rev
    python bench/redirect_cpu.py --baseline-src /tmp/rev/src      # REV and this tree

A narrower, steadier companion of ``bench/run.py``'s redirect row for comparing commits:
few enough links that every worker's cache is warm after the warm-up (so cache misses do
not blur the per-request cost), the consumer off by default (``--consumer`` turns it on),
and bare and linkpulse measured in alternating rounds so that a burst of CPU steal hits
both. ``--baseline-src DIR`` adds a third server, linkpulse imported from ``DIR`` (an
older revision's ``src``), to compare two commits in one run. Prints worker CPU
us/request and req/s per round and the median of each.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import loadgen, seed, servers

CONNECTIONS = 64


def measure(server: Any, base: str, paths: list[str], duration: float, workers: int
            ) -> tuple[float, float]:
    """(worker CPU us per request, requests per second) of one timed load."""
    loadgen.run(base, paths, connections=CONNECTIONS, duration=max(1.0, duration / 2))
    leader, others = servers.cpu_seconds(server.pid)
    load = loadgen.run(base, paths, connections=CONNECTIONS, duration=duration)
    leader_after, others_after = servers.cpu_seconds(server.pid)
    cpu = others_after - others if workers > 1 else leader_after - leader
    return cpu / max(load.requests, 1) * 1e6, load.rps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=4.0)
    parser.add_argument("--links", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--consumer", action="store_true", help="run the in-process consumer")
    parser.add_argument("--baseline-src", type=Path, help="also run linkpulse from this src")
    args = parser.parse_args()

    results: dict[str, list[tuple[float, float]]] = {"bare": [], "linkpulse": []}
    envs: dict[str, dict[str, str]] = {"linkpulse": {}}
    if args.baseline_src:
        results["baseline"] = []
        envs["baseline"] = {"PYTHONPATH": str(args.baseline_src.resolve())}
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "cpu.db"
        paths = [f"/{c}" for c in seed.links(db, args.links)]
        extra = () if args.consumer else ("--no-worker",)
        for i in range(args.rounds):
            port = servers.free_port()
            with servers.bare(port, args.workers) as server:
                results["bare"].append(measure(server, f"http://127.0.0.1:{port}", paths,
                                               args.duration, args.workers))
            for name, env in envs.items():
                port = servers.free_port()
                with servers.linkpulse(db, port, args.workers, *extra, env=env) as server:
                    results[name].append(measure(server, f"http://127.0.0.1:{port}", paths,
                                                 args.duration, args.workers))
            print(f"round {i + 1}: " + ", ".join(
                f"{name} {r[-1][0]:.1f} us {r[-1][1]:,.0f}/s" for name, r in results.items()),
                file=sys.stderr, flush=True)

    print(f"{'server':<12}{'CPU us/request':>16}{'req/s':>10}   (median of {args.rounds})")
    med = {name: (statistics.median(c for c, _ in r), statistics.median(s for _, s in r))
           for name, r in results.items()}
    for name, (cpu, rps) in med.items():
        print(f"{name:<12}{cpu:>16.1f}{rps:>10,.0f}")
    print(f"linkpulse / bare: CPU {med['linkpulse'][0] / med['bare'][0]:.2f}x, "
          f"req/s {med['linkpulse'][1] / med['bare'][1]:.2f}x; {args.links:,} links, "
          f"{args.workers} worker(s), consumer {'on' if args.consumer else 'off'}, "
          f"{loadgen.tool_name()}")


if __name__ == "__main__":
    main()
