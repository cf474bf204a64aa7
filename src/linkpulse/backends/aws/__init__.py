"""The AWS backend: DynamoDB link and analytics stores, SQS click queue.

``build(settings)`` is what ``linkpulse.bootstrap`` calls for ``backend = "aws"``.
Clients may be injected (tests pass clients pointed at a moto server); otherwise each
adapter builds its own on first use, against ``settings.endpoint_url`` if set.
"""

from __future__ import annotations

from typing import Any

from linkpulse.backends.aws.analytics import DynamoAnalyticsStore
from linkpulse.backends.aws.blocklist import DynamoBlocklist
from linkpulse.backends.aws.clients import LazyClient, make_client
from linkpulse.backends.aws.keys import DynamoKeyStore
from linkpulse.backends.aws.links import DynamoLinkStore
from linkpulse.backends.aws.queue import SqsQueue
from linkpulse.backends.aws.ratelimit import DynamoRateStore
from linkpulse.backends.aws.salts import DynamoSaltStore
from linkpulse.bootstrap import Components
from linkpulse.core.cache import CachedLinkStore
from linkpulse.core.metrics import NO_METRICS, CountedSender, Metrics
from linkpulse.core.ports import ClickSender, ManagedLinkStore
from linkpulse.settings import Settings

__all__ = ["DynamoAnalyticsStore", "DynamoBlocklist", "DynamoKeyStore", "DynamoLinkStore",
           "DynamoRateStore", "DynamoSaltStore", "SqsQueue", "build"]


def build(settings: Settings, *, dynamodb: Any = None, sqs: Any = None,
          buffered: bool = False, metrics: Metrics = NO_METRICS) -> Components:
    """Components on DynamoDB + SQS.

    ``buffered=False`` (Lambda, worker): a click is one ``SendMessage``.
    ``buffered=True`` (``serve --backend aws``): clicks are grouped into
    ``SendMessageBatch`` calls of up to 10 by a background flusher.
    """
    endpoint, region = settings.endpoint_url, settings.region
    # One DynamoDB client shared by both stores, built on first use if not injected.
    dynamodb = LazyClient(dynamodb, lambda: make_client("dynamodb", endpoint, region))
    store = DynamoLinkStore(settings.links_table, dynamodb, endpoint_url=endpoint,
                            region=region)
    keys = DynamoKeyStore(settings.links_table, dynamodb, endpoint_url=endpoint, region=region)
    analytics = DynamoAnalyticsStore(settings.clicks_table, dynamodb,
                                     retention_days=settings.click_retention_days,
                                     endpoint_url=endpoint, region=region)
    queue = SqsQueue(sqs, queue_url=settings.queue_url, queue_name=settings.queue_name,
                     dlq_url=settings.dlq_url, dlq_name=settings.dlq_name,
                     endpoint_url=endpoint, region=region)
    closers: list[Any] = []
    counted = CountedSender(queue, metrics)
    sender: ClickSender = counted
    if buffered and settings.click_flush_ms > 0:
        from linkpulse.backends.buffered import BufferedSender

        buf = BufferedSender(counted, settings.click_flush_ms / 1000, batch_size=10,
                             max_buffered=settings.click_buffer_max, metrics=metrics)
        sender = buf
        closers.append(buf.close)
    # No change log on DynamoDB: a cached link is re-read after cache_ttl seconds.
    links: ManagedLinkStore = (CachedLinkStore(store, settings.cache_size,
                                               ttl=settings.cache_ttl)
                               if settings.cache_size else store)
    blocklist = DynamoBlocklist(settings.links_table, dynamodb, endpoint_url=endpoint,
                                region=region)
    salts = DynamoSaltStore(settings.links_table, dynamodb, endpoint_url=endpoint,
                            region=region)
    rates = DynamoRateStore(settings.links_table, dynamodb, endpoint_url=endpoint,
                            region=region)
    return Components(settings, links, analytics, queue, queue, sender, keys, closers,
                      blocklist, rate_store=rates, salts=salts, metrics=metrics,
                      feed=analytics)
