"""Group commit for clicks: the redirect appends to memory, a thread commits in batches.

The redirect never waits on disk. Every ``interval`` seconds (or as soon as
``batch_size`` clicks are waiting) the flusher writes everything buffered in one
``send_batch`` (one transaction, one sync). What a hard crash (kill -9, power loss) can
lose is what was buffered and not yet written: at most ``interval`` worth of clicks.
``close()`` flushes everything, so a graceful shutdown loses nothing.

If the queue backend fails, clicks stay buffered and are retried with backoff; only
when ``max_buffered`` clicks are waiting does the buffer drop the oldest (and log how
many), so a dead backend cannot exhaust memory.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque

from linkpulse.core.metrics import NO_METRICS, Metrics
from linkpulse.core.ports import ClickBatchSender

log = logging.getLogger("linkpulse.buffer")


class BufferedSender:
    def __init__(
        self, queue: ClickBatchSender, interval: float = 0.02, batch_size: int = 1000,
        max_buffered: int = 100_000, metrics: Metrics = NO_METRICS,
    ) -> None:
        """``metrics`` hears, from the flusher thread (never from ``send``), the depth
        each flush finds and how many clicks a full buffer dropped."""
        self._queue = queue
        self._metrics = metrics
        self._interval = interval
        self._batch_size = batch_size
        self._buffer: deque[str] = deque(maxlen=max_buffered)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.dropped = 0
        self.flushed = 0

    def send(self, body: str) -> None:
        """Buffer one click message. O(1), never blocks, never raises."""
        if len(self._buffer) == self._buffer.maxlen:
            self.dropped += 1
        self._buffer.append(body)
        if len(self._buffer) == self._batch_size:  # once, not on every send past it
            self._wake.set()

    def start(self) -> BufferedSender:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="click-flusher", daemon=True)
            self._thread.start()
        return self

    def pending(self) -> int:
        return len(self._buffer)

    def flush(self) -> int:
        """Write what is buffered now (not what arrives meanwhile: under load that would
        be a stream of tiny transactions); return how many were written."""
        written = 0
        left = len(self._buffer)
        while left > 0 and self._buffer:
            batch: list[str] = []
            while self._buffer and len(batch) < min(self._batch_size, left):
                batch.append(self._buffer.popleft())
            left -= len(batch)
            try:
                self._queue.send_batch(batch)
            except Exception:
                self._buffer.extendleft(reversed(batch))  # keep order, retry later
                raise
            written += len(batch)
            self.flushed += len(batch)
        return written

    def _run(self) -> None:
        # A fixed cadence: the next flush starts ``interval`` after the last one started,
        # not after it ended, so the time a flush takes does not widen the loss window.
        backoff = self._interval
        next_flush = time.monotonic() + backoff
        while not self._stop.is_set():
            self._wake.wait(max(0.0, next_flush - time.monotonic()))
            self._wake.clear()
            started = time.monotonic()
            self._metrics.buffer_depth(len(self._buffer))
            try:
                self.flush()
                backoff = self._interval
            except Exception:
                backoff = min(backoff * 2, 5.0)
                log.exception("flushing clicks failed; %d buffered, retrying in %.2fs",
                              len(self._buffer), backoff)
            next_flush = started + backoff
            if self.dropped:
                dropped, self.dropped = self.dropped, 0  # send() may count one meanwhile
                log.error("click buffer full: dropped %d clicks", dropped)
                self._metrics.clicks_dropped(dropped)

    def close(self, timeout: float = 10.0) -> None:
        """Stop the flusher and write whatever is still buffered."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self.flush()
