"""Counting on the redirect's path without its cost: events go to memory, a thread sums
them and hands the sums on.

A Prometheus counter in multiprocess mode takes a lock, asks the kernel for the process
id and writes an mmap'ed file on every increment; a histogram does it twice. Per
redirect that costs more than the rest of the metrics put together
(``bench/redirect_path.py`` measures it). Here the caller only appends to a deque (one
atomic C call, safe from any thread); every ``interval`` a daemon thread pops what is
there, sums it per key and per latency bucket, and publishes the sums with one
increment each. Nothing is lost or counted twice: a scrape may lag by one interval,
and what is still pending when the process exits is published at exit.
"""

from __future__ import annotations

import atexit
import bisect
import logging
import threading
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

log = logging.getLogger("linkpulse.metrics")

Counts = dict[Any, int]
Timings = dict[Any, tuple[float, list[int]]]
"""Per key: the sum of the durations, and how many fell in each bucket."""


class Tally:
    def __init__(self, bounds: Sequence[float], publish: Callable[[Counts, Timings], None],
                 interval: float = 0.05) -> None:
        """``bounds``: the histogram's upper bounds, ascending, the last one infinite."""
        self._bounds = list(bounds)
        self._publish = publish
        self._interval = interval
        self._counted: deque[Any] = deque()
        self._timed: deque[tuple[Any, float]] = deque()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.count = self._counted.append
        """``count(key)``: one event."""
        self.time = self._timed.append
        """``time((key, seconds))``: one timed event."""

    def start(self) -> Tally:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="metrics-tally",
                                            daemon=True)
            self._thread.start()
            atexit.register(self.flush)
        return self

    def flush(self) -> None:
        """Publish everything counted so far (a scrape calls this for its own process)."""
        with self._lock:
            counts: Counts = {}
            for _ in range(len(self._counted)):
                key = self._counted.popleft()
                counts[key] = counts.get(key, 0) + 1
            timings: Timings = {}
            for _ in range(len(self._timed)):
                key, seconds = self._timed.popleft()
                total, buckets = timings.get(key) or (0.0, [0] * len(self._bounds))
                buckets[bisect.bisect_left(self._bounds, seconds)] += 1
                timings[key] = (total + seconds, buckets)
            if counts or timings:
                self._publish(counts, timings)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self.flush()
            except Exception:  # the figures are behind; the next round tries again
                log.exception("publishing metrics failed")

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        self.flush()
