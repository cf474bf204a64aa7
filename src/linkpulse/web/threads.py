"""The threads that run sync endpoints: a fixed pool, kept for the app's life.

anyio's default pool (Starlette's ``run_in_threadpool``) retires a thread only when a
later call finds it idle for 10 s, and starts new ones as it likes; a plain
``ThreadPoolExecutor`` adds one whenever none is idle. Each thread opens its own SQLite
connections (two files each) the first time it needs one, so a server's open files
rose and fell, or crept up, with the traffic's rhythm. Here every thread starts with the
server's start and opens its connections at once (``connect``), and they stay: the set
of open files is fixed from the start, and it closes with the app.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

log = logging.getLogger("linkpulse.web")

T = TypeVar("T")
START_TIMEOUT = 10.0
"""Seconds the threads wait for each other to start (a broken barrier costs nothing)."""


class SyncPool:
    """``threads`` threads; started by :meth:`start`, or by the first call."""

    def __init__(self, threads: int) -> None:
        self._threads = threads
        self._connect: Callable[[], object] | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        """``fn(*args)`` in one of the pool's threads, with the caller's context."""
        executor = self._executor or self.start()
        context = contextvars.copy_context()
        return await asyncio.get_running_loop().run_in_executor(executor, context.run, fn,
                                                                *args)

    def start(self, connect: Callable[[], object] | None = None) -> ThreadPoolExecutor:
        """Start every thread now; each runs ``connect`` first (a server opens its
        connections up front; an app in a test, started by its first call, does not)."""
        with self._lock:
            if self._executor is None:
                self._connect = connect
                executor = ThreadPoolExecutor(self._threads, "linkpulse-sync",
                                              initializer=self._open)
                # One call per thread, each waiting for the others: every thread starts now.
                started = threading.Barrier(self._threads)
                for _ in range(self._threads):
                    executor.submit(started.wait, START_TIMEOUT)
                self._executor = executor
            return self._executor

    def _open(self) -> None:
        # An initializer that raises breaks the whole executor: a thread that cannot
        # connect now connects on its first call instead (and answers 503 if it cannot).
        if self._connect is None:
            return
        try:
            self._connect()
        except Exception:
            log.warning("a request thread could not open its connections yet", exc_info=True)

    def close(self) -> None:
        """Wait for the running calls, then end the threads (their connections close
        with them). A later call starts the pool again."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True)
