"""What the pipeline reports as it runs: the metrics port and its null object.

The use cases and the HTTP behaviour call these hooks where events happen (a redirect
answered, a link created, clicks queued, a batch recorded); an adapter turns them into
figures. ``linkpulse.metrics`` keeps Prometheus counters for ``serve``,
``linkpulse.aws_lambda.metrics`` writes CloudWatch EMF lines on Lambda. Every hook must be
cheap and must never raise: the redirect calls one on every request.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from linkpulse.core.ports import ClickBatchSender


class Metrics(Protocol):
    def redirected(self, outcome: int) -> None:
        """A redirect was answered: 302, 404 or 410."""

    def link_created(self) -> None: ...

    def clicks_queued(self, count: int) -> None:
        """``count`` clicks reached the click queue."""

    def clicks_dead_lettered(self, count: int) -> None:
        """``count`` clicks were moved to the dead-letter queue."""

    def clicks_dropped(self, count: int) -> None:
        """``count`` clicks were dropped by a full group-commit buffer."""

    def batch_processed(self, size: int, recorded: int, seconds: float) -> None:
        """The consumer handled ``size`` messages in ``seconds``, ``recorded`` of them
        newly counted (a redelivered click is not counted twice)."""

    def request_served(self, method: str, route: str, status: int, seconds: float) -> None:
        """An HTTP request to the declared ``route`` (its template, never the raw path)
        was answered with ``status`` after ``seconds``."""

    def buffer_depth(self, depth: int) -> None:
        """Clicks waiting in this process's group-commit buffer."""


class NoMetrics:
    """Metrics that go nowhere: one-shot CLI commands, unit tests."""

    def redirected(self, outcome: int) -> None:
        pass

    def link_created(self) -> None:
        pass

    def clicks_queued(self, count: int) -> None:
        pass

    def clicks_dead_lettered(self, count: int) -> None:
        pass

    def clicks_dropped(self, count: int) -> None:
        pass

    def batch_processed(self, size: int, recorded: int, seconds: float) -> None:
        pass

    def request_served(self, method: str, route: str, status: int, seconds: float) -> None:
        pass

    def buffer_depth(self, depth: int) -> None:
        pass


NO_METRICS: Metrics = NoMetrics()


class CountedSender:
    """A click sender that counts what reached the queue (after the send succeeded): put
    in front of the queue, behind any group-commit buffer, so the redirect pays nothing."""

    def __init__(self, sender: ClickBatchSender, metrics: Metrics) -> None:
        self._sender = sender
        self._metrics = metrics

    def send(self, body: str) -> None:
        self._sender.send(body)
        self._metrics.clicks_queued(1)

    def send_batch(self, bodies: Sequence[str]) -> None:
        self._sender.send_batch(bodies)
        self._metrics.clicks_queued(len(bodies))
