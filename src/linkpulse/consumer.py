"""The local click consumer: receive a batch, process it, delete only the successes.

This is the embedded shape of what the SQS event source mapping does for the analytics
Lambda: partial batch failure, redelivery after the visibility timeout, dead-lettering
after ``max_receive_count`` receives.

Like an event source mapping, it hands its function more than one SQS receive at a
time: ``receive_batch`` takes every visible message up to ``max_messages`` (10,000 by
default, the mapping's maximum), so while the queue has a backlog each analytics
commit carries thousands of clicks, and when it has none a click is processed as soon
as it arrives. Every message still succeeds or fails alone.

Several consumers (``linkpulse worker`` processes) can share one queue: each delivery
goes to one of them, and the SQLite files' write locks are taken in turn.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from linkpulse.core import service, useragent
from linkpulse.core.metrics import NO_METRICS, Metrics
from linkpulse.core.models import BatchResult, Message
from linkpulse.core.ports import MAX_EVENT_BATCH, AnalyticsStore, ClickQueue

log = logging.getLogger("linkpulse.consumer")

BatchHandler = Callable[[list[Message]], BatchResult]


@dataclass
class ConsumerStats:
    batches: int = 0
    received: int = 0
    recorded: int = 0
    failed: int = 0


class Consumer:
    def __init__(
        self,
        queue: ClickQueue,
        handle: BatchHandler,
        *,
        wait_seconds: float = 1.0,
        max_messages: int = MAX_EVENT_BATCH,
        housekeeping: Callable[[], object] | None = None,
        housekeeping_interval: float = 3600.0,
        warm_up: Callable[[], object] | None = None,
    ) -> None:
        self._queue = queue
        self._handle = handle
        self._wait = wait_seconds
        self._max_messages = max_messages
        self._housekeeping = housekeeping
        self._housekeeping_interval = housekeeping_interval
        self._warm_up = warm_up
        self._next_housekeeping = 0.0
        self._housekeeper: threading.Thread | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.stats = ConsumerStats()

    @classmethod
    def for_analytics(cls, queue: ClickQueue, analytics: AnalyticsStore,
                      metrics: Metrics = NO_METRICS, **kwargs: Any) -> Consumer:
        def handle(messages: list[Message]) -> BatchResult:
            return service.process_batch(analytics, messages, metrics)

        return cls(queue, handle, warm_up=useragent.warm, **kwargs)

    def receive(self) -> list[Message]:
        """What is visible, up to ``max_messages``, waiting up to ``wait_seconds``."""
        return self._queue.receive_batch(self._max_messages, wait_seconds=self._wait)

    def run_once(self) -> int:
        """Receive and process one batch; return how many messages were received."""
        if self._housekeeping and time.monotonic() >= self._next_housekeeping:
            self._next_housekeeping = time.monotonic() + self._housekeeping_interval
            self._start_housekeeping(self._housekeeping)
        messages = self.receive()
        if not messages:
            return 0
        result = self._handle(messages)
        if result.succeeded:
            self._queue.delete_batch([m.receipt for m in result.succeeded])
        s = self.stats
        s.batches += 1
        s.received += len(messages)
        s.recorded += result.recorded
        s.failed += len(result.failed)
        return len(messages)

    def _start_housekeeping(self, housekeeping: Callable[[], object]) -> None:
        """Run the housekeeping (a retention purge: minutes over millions of clicks) in a
        thread of its own, so batches go on being consumed meanwhile; at most one runs."""
        if self._housekeeper is not None and self._housekeeper.is_alive():
            return

        def run() -> None:
            try:
                housekeeping()
            except Exception:
                log.exception("housekeeping failed; next try in one interval")

        self._housekeeper = threading.Thread(target=run, name="click-housekeeping",
                                             daemon=True)
        self._housekeeper.start()

    def run(self, *, until_empty: bool = False) -> None:
        """Loop until :meth:`stop` (or, with ``until_empty``, until a receive comes back
        empty). Errors are logged and the loop goes on after a pause; a batch that
        failed is redelivered after its visibility timeout."""
        if self._warm_up is not None:  # before the first batch, not during it
            self._warm_up()
        while not self._stop.is_set():
            try:
                if not self.run_once() and until_empty:
                    return
            except Exception:
                log.exception("consumer iteration failed; retrying in 1s")
                self._stop.wait(1.0)

    def start(self, nice: int = 0) -> Consumer:
        """Consume in a background thread. ``nice`` > 0 lowers that thread's CPU priority
        so that, on a busy machine, serving redirects goes first and the backlog waits."""

        def run() -> None:
            if nice:
                _lower_priority(nice)
            self.run()

        self._thread = threading.Thread(target=run, name="click-consumer", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the batch in hand, then stop."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None


def _lower_priority(nice: int) -> None:
    """Lower the calling thread's CPU priority. On Linux a thread id is a valid
    ``PRIO_PROCESS`` target and changes that thread alone; elsewhere this does nothing."""
    if sys.platform != "linux":
        return
    tid = threading.get_native_id()
    try:
        os.setpriority(os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + nice)
    except OSError:
        log.warning("could not lower the consumer's CPU priority", exc_info=True)
