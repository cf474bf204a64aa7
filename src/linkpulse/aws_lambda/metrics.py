"""The pipeline's events as CloudWatch metrics, through Powertools' Metrics.

Powertools writes Embedded Metric Format (EMF) JSON lines to stdout; Lambda ships them
to CloudWatch Logs, where CloudWatch turns them into metrics: no ``PutMetricData``
call, no extra permission, nothing on the request's path but a print at the end of an
invocation. Names mirror the Prometheus ones of ``serve`` (``linkpulse.metrics``).

Not sent here: per-route latency and error counts (API Gateway publishes ``Latency``,
``Count``, ``4xx`` and ``5xx`` itself, at no cost), dead-lettering and queue depths
(SQS moves the messages and publishes ``ApproximateNumberOfMessagesVisible`` and
``ApproximateAgeOfOldestMessage``), and buffer depth (a Lambda sends each click at once).
"""

from __future__ import annotations

import os

from aws_lambda_powertools import Metrics, single_metric
from aws_lambda_powertools.metrics import MetricUnit

NAMESPACE = "linkpulse"
REDIRECTS = "Redirects"
LINKS_CREATED = "LinksCreated"
CLICKS_QUEUED = "ClicksQueued"
CLICKS_RECORDED = "ClicksRecorded"
CLICKS_DEAD_LETTERED = "ClicksDeadLettered"
CLICKS_DROPPED = "ClicksDropped"
BATCH_SIZE = "BatchSize"
BATCH_DURATION = "BatchDuration"


class EmfMetrics:
    """The :class:`linkpulse.core.metrics.Metrics` hooks as EMF; :meth:`flush` at the end
    of each invocation (``runtime.entry`` does)."""

    def __init__(self, namespace: str | None = None, service: str | None = None) -> None:
        self.namespace = (namespace or os.environ.get("POWERTOOLS_METRICS_NAMESPACE")
                          or NAMESPACE)
        self.service = service or os.environ.get("POWERTOOLS_SERVICE_NAME") or "linkpulse"
        self._metrics = Metrics(namespace=self.namespace, service=self.service)

    def redirected(self, outcome: int) -> None:
        # Its own EMF object: the outcome dimension must not split the other metrics.
        with single_metric(name=REDIRECTS, unit=MetricUnit.Count, value=1,
                           namespace=self.namespace,
                           default_dimensions={"service": self.service}) as metric:
            metric.add_dimension(name="outcome", value=str(outcome))

    def link_created(self) -> None:
        self._metrics.add_metric(name=LINKS_CREATED, unit=MetricUnit.Count, value=1)

    def clicks_queued(self, count: int) -> None:
        self._metrics.add_metric(name=CLICKS_QUEUED, unit=MetricUnit.Count, value=count)

    def clicks_dead_lettered(self, count: int) -> None:
        self._metrics.add_metric(name=CLICKS_DEAD_LETTERED, unit=MetricUnit.Count,
                                 value=count)

    def clicks_dropped(self, count: int) -> None:
        self._metrics.add_metric(name=CLICKS_DROPPED, unit=MetricUnit.Count, value=count)

    def batch_processed(self, size: int, recorded: int, seconds: float) -> None:
        self._metrics.add_metric(name=BATCH_SIZE, unit=MetricUnit.Count, value=size)
        self._metrics.add_metric(name=BATCH_DURATION, unit=MetricUnit.Milliseconds,
                                 value=seconds * 1000)
        self._metrics.add_metric(name=CLICKS_RECORDED, unit=MetricUnit.Count, value=recorded)

    def request_served(self, method: str, route: str, status: int, seconds: float) -> None:
        pass  # API Gateway's own Latency, 4xx and 5xx metrics

    def buffer_depth(self, depth: int) -> None:
        pass  # no buffer on Lambda

    def flush(self) -> None:
        """Write what this invocation recorded as one EMF line (nothing if nothing)."""
        if self._metrics.metric_set:
            self._metrics.flush_metrics()
