"""Drain a queue of click messages with one or more consumer processes, and time it.

Each process runs the consumer ``linkpulse worker`` runs (the same ``Consumer``, batch
size and adapters), started and imported before the clock starts, so the rate is
clicks committed per second, not interpreter start-up. A consumer merges its pending
counts into the counters in the background and stops merging when it closes: the
time to also merge what it left (``drain_times``) is the rate it can keep up.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import queue
import sys
import time
from pathlib import Path
from typing import Any

from bench import seed


def _consume(db: Path, ready: Any, go: Any, drained: Any, merge: bool) -> None:
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
        drained.put(time.monotonic())
        if merge:  # the pending counts this consumer left: part of its work
            components.analytics.merge()  # type: ignore[attr-defined]  # the SQLite store
    finally:
        components.close()


def drain(db: Path, processes: int, merge: bool = False) -> float:
    """Seconds for ``processes`` consumers to empty the queue of ``db`` (and, with
    ``merge``, to fold the pending counts they leave into the counters)."""
    return drain_times(db, processes, merge)[1 if merge else 0]


def drain_times(db: Path, processes: int, merge: bool = True) -> tuple[float, float]:
    """Seconds until the queue is empty, and until the consumers have also merged
    their pending counts (the second is the first unless ``merge``)."""
    ctx = mp.get_context("spawn")
    ready, go, drained = ctx.Semaphore(0), ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_consume, args=(db, ready, go, drained, merge), daemon=True)
             for _ in range(processes)]
    for p in procs:
        p.start()
    for _ in procs:
        if not ready.acquire(timeout=60):
            raise TimeoutError("a consumer process did not start")
    started = time.monotonic()
    go.set()
    for p in procs:
        p.join()
    elapsed = time.monotonic() - started
    if any(p.exitcode for p in procs):
        print(f"consumer exit codes: {[p.exitcode for p in procs]}", file=sys.stderr)
    ends: list[float] = []
    for _ in procs:
        with contextlib.suppress(queue.Empty):  # a process that failed put nothing
            ends.append(drained.get(timeout=5))
    return (max(ends) - started if ends else elapsed), elapsed
