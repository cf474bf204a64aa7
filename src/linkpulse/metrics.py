"""Prometheus metrics of ``linkpulse serve``: the names, the per-process recorder, and
what a scrape returns.

Every process records its own figures (:class:`PrometheusMetrics`, one per process).
``serve`` runs several processes (HTTP workers and the click consumer), so it sets
``PROMETHEUS_MULTIPROC_DIR`` to a private directory before anything imports
prometheus-client; each process then keeps its figures in files there and a
scrape, answered by any one of them, sums them all (:func:`exposition`): totals stay
exact whichever worker answers. The queue's gauges are read from the queue at scrape
time (:class:`QueueCollector`). Without that variable (tests, one process) the figures
live in this process's memory.

The two events of every redirect (its outcome, its latency) are tallied in memory and
published every 50 ms (:mod:`linkpulse.tally`): the redirect makes no system call for
them. The rarer events go straight to prometheus-client.

Labels only ever take values the server chooses (a route template, a status code),
never anything a client sends.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector

from linkpulse.core.ports import ClickQueue, DeadLetters
from linkpulse.tally import Counts, Tally, Timings

log = logging.getLogger("linkpulse.metrics")

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
LOOPBACK = "127.0.0.1"
CONTENT_TYPE = CONTENT_TYPE_LATEST

REDIRECTS = "linkpulse_redirects"
LINKS_CREATED = "linkpulse_links_created"
CLICKS_QUEUED = "linkpulse_clicks_queued"
CLICKS_RECORDED = "linkpulse_clicks_recorded"
CLICKS_DEAD_LETTERED = "linkpulse_clicks_dead_lettered"
CLICKS_DROPPED = "linkpulse_clicks_dropped"
HTTP_DURATION = "linkpulse_http_request_duration_seconds"
BATCH_SIZE = "linkpulse_consumer_batch_size"
BATCH_DURATION = "linkpulse_consumer_batch_duration_seconds"
BUFFER_DEPTH = "linkpulse_click_buffer_depth"
QUEUE_VISIBLE = "linkpulse_queue_visible"
QUEUE_IN_FLIGHT = "linkpulse_queue_in_flight"
DEAD_LETTERS = "linkpulse_dead_letters"
QUEUE_OLDEST_AGE = "linkpulse_queue_oldest_age_seconds"

# A cached redirect takes tens of microseconds; a slow export, seconds.
LATENCY_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                   0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
BATCH_SIZE_BUCKETS = (1, 10, 100, 1_000, 10_000)
BATCH_DURATION_BUCKETS = (0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 30.0)


class PrometheusMetrics:
    """The :class:`linkpulse.core.metrics.Metrics` hooks as Prometheus figures."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()  # this process's figures, without files
        r = self.registry
        redirects = Counter(REDIRECTS, "Redirect answers by outcome (302, 404, 410)",
                            ["outcome"], registry=r)
        self._redirects = {status: redirects.labels(str(status)) for status in (302, 404, 410)}
        self._tally = Tally((*LATENCY_BUCKETS, float("inf")), self._publish).start()
        self._count = self._tally.count
        self._time = self._tally.time
        self._created = Counter(LINKS_CREATED, "Links created over the API", registry=r)
        self._queued = Counter(CLICKS_QUEUED, "Clicks written to the click queue", registry=r)
        self._recorded = Counter(CLICKS_RECORDED, "Clicks counted by the consumer (each "
                                 "click once, however often it was delivered)", registry=r)
        self._dead = Counter(CLICKS_DEAD_LETTERED, "Clicks moved to the dead-letter queue",
                             registry=r)
        self._dropped = Counter(CLICKS_DROPPED, "Clicks dropped by a full group-commit buffer",
                                registry=r)
        self._latency = Histogram(HTTP_DURATION, "Time to answer an HTTP request, by route "
                                  "template", ["method", "route", "status"],
                                  buckets=LATENCY_BUCKETS, registry=r)
        self._routes: dict[tuple[str, str, int], Any] = {}
        self._batch_size = Histogram(BATCH_SIZE, "Messages per consumer batch",
                                     buckets=BATCH_SIZE_BUCKETS, registry=r)
        self._batch_seconds = Histogram(BATCH_DURATION, "Time to record a consumer batch",
                                        buckets=BATCH_DURATION_BUCKETS, registry=r)
        self._depth = Gauge(BUFFER_DEPTH, "Clicks waiting in the group-commit buffers at "
                            "their last flush", multiprocess_mode="livesum", registry=r)

    def redirected(self, outcome: int) -> None:
        if outcome in self._redirects:
            self._count(outcome)

    def link_created(self) -> None:
        self._created.inc()

    def clicks_queued(self, count: int) -> None:
        self._queued.inc(count)

    def clicks_dead_lettered(self, count: int) -> None:
        self._dead.inc(count)

    def clicks_dropped(self, count: int) -> None:
        self._dropped.inc(count)

    def batch_processed(self, size: int, recorded: int, seconds: float) -> None:
        self._recorded.inc(recorded)
        self._batch_size.observe(size)
        self._batch_seconds.observe(seconds)

    def request_served(self, method: str, route: str, status: int, seconds: float) -> None:
        self._time(((method, route, status), seconds))

    def _publish(self, counts: Counts, timings: Timings) -> None:
        """Add up what the tally summed: one increment per outcome, per bucket."""
        for outcome, count in counts.items():
            self._redirects[outcome].inc(count)
        for key, (total, buckets) in timings.items():
            child = self._routes.get(key)
            if child is None:  # bounded: declared routes x the statuses they answer
                method, route, status = key
                child = self._routes[key] = self._latency.labels(method, route, str(status))
            # Histogram.observe, a bucket's worth at once (its own two fields).
            child._sum.inc(total)
            for bucket, count in zip(child._buckets, buckets, strict=True):
                if count:
                    bucket.inc(count)

    def publish(self) -> None:
        """Publish what this process has tallied (before it answers a scrape)."""
        self._tally.flush()

    def buffer_depth(self, depth: int) -> None:
        self._depth.set(depth)


_lock = threading.Lock()
_instance: PrometheusMetrics | None = None


def for_process() -> PrometheusMetrics:
    """This process's recorder (in multiprocess mode, two would overwrite each other's
    figures in the same files)."""
    global _instance
    with _lock:
        if _instance is None:
            _instance = PrometheusMetrics()
        return _instance


class QueueCollector(Collector):
    """The queue's depths, read from the queue when Prometheus scrapes."""

    def __init__(self, queue: ClickQueue | None, dead_letters: DeadLetters | None) -> None:
        self.queue = queue
        self.dead_letters = dead_letters

    def collect(self) -> Iterator[Metric]:
        if self.queue is None or self.dead_letters is None:
            return
        try:
            visible, in_flight = self.queue.approximate_depth()
            dead = self.dead_letters.dlq_depth()
            oldest = getattr(self.queue, "oldest_age", None)
            age = oldest() if oldest is not None else None
        except Exception:  # a scrape still answers, without the queue's figures
            log.warning("could not read the queue for a scrape", exc_info=True)
            return
        yield GaugeMetricFamily(QUEUE_VISIBLE, "Clicks waiting in the queue", visible)
        yield GaugeMetricFamily(QUEUE_IN_FLIGHT, "Clicks received and not yet deleted",
                                in_flight)
        yield GaugeMetricFamily(DEAD_LETTERS, "Clicks in the dead-letter queue", dead)
        if age is not None:
            yield GaugeMetricFamily(QUEUE_OLDEST_AGE, "Age of the oldest click in the queue",
                                    age)


_PID_FILE = re.compile(r"_(\d+)\.db$")


def _forget_dead_processes(directory: str) -> None:
    """Drop the live gauges of processes that have exited (a worker granian replaced);
    their counters stay, so totals do not go down."""
    pids = {int(m.group(1)) for name in os.listdir(directory)
            if name.startswith("gauge_live") and (m := _PID_FILE.search(name))}
    for pid in pids:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            mark_process_dead(pid, directory)  # type: ignore[no-untyped-call]
        except PermissionError:  # alive, someone else's
            pass


class ScrapeCollector(Collector):
    """Every figure of this server, gathered anew at each scrape: all its processes'
    (or, in one process, this one's), and the queue's."""

    def __init__(self, queue: ClickQueue | None, dead_letters: DeadLetters | None) -> None:
        self.queue = QueueCollector(queue, dead_letters)

    def collect(self) -> Iterator[Metric]:
        for_process().publish()  # the other processes publish every 50 ms
        directory = os.environ.get(MULTIPROC_ENV)
        if directory:
            _forget_dead_processes(directory)
            figures = CollectorRegistry()
            MultiProcessCollector(figures, directory)  # type: ignore[no-untyped-call]
            yield from figures.collect()
        else:
            yield from for_process().registry.collect()
        yield from self.queue.collect()


def exposition(queue: ClickQueue | None, dead_letters: DeadLetters | None
               ) -> tuple[bytes, str]:
    """What a Prometheus scrape gets: the text and its media type."""
    return generate_latest(ScrapeCollector(queue, dead_letters)), CONTENT_TYPE


def serve_loopback(port: int, queue: ClickQueue | None, dead_letters: DeadLetters | None
                   ) -> Callable[[], None]:
    """Serve the scrape without a key on ``127.0.0.1:port`` (never another interface: it
    asks no key), in a thread; returns what stops it."""
    server, thread = start_http_server(port, addr=LOOPBACK,
                                       registry=ScrapeCollector(queue, dead_letters))

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(5)

    return stop
