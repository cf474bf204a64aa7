"""Drain a queue of click messages with one or more consumer processes, and time it.

Each process runs the consumer ``linkpulse worker`` runs (the same ``Consumer``, batch
size and adapters), started and imported before the clock starts, so the rate is
clicks committed per second, not interpreter start-up.
"""

from __future__ import annotations

import multiprocessing as mp
import sys
import time
from pathlib import Path
from typing import Any

from bench import seed


def _consume(db: Path, ready: Any, go: Any) -> None:
    from linkpulse import bootstrap
    from linkpulse.consumer import Consumer

    settings = seed.settings(db)
    components = bootstrap.build(settings, buffered=False)
    consumer = Consumer.for_analytics(components.queue, components.analytics, wait_seconds=0,
                                      max_messages=settings.consumer_batch_size)
    ready.release()
    go.wait()
    try:
        consumer.run(until_empty=True)
    finally:
        components.close()


def drain(db: Path, processes: int) -> float:
    """Seconds for ``processes`` consumers to empty the queue of ``db``."""
    ctx = mp.get_context("spawn")
    ready, go = ctx.Semaphore(0), ctx.Event()
    procs = [ctx.Process(target=_consume, args=(db, ready, go), daemon=True)
             for _ in range(processes)]
    for p in procs:
        p.start()
    for _ in procs:
        if not ready.acquire(timeout=60):
            raise TimeoutError("a consumer process did not start")
    started = time.perf_counter()
    go.set()
    for p in procs:
        p.join()
    elapsed = time.perf_counter() - started
    if any(p.exitcode for p in procs):
        print(f"consumer exit codes: {[p.exitcode for p in procs]}", file=sys.stderr)
    return elapsed
