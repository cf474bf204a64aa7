"""The composition root: the only module that names concrete adapters."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from linkpulse.api import HttpApi
from linkpulse.core.cache import CachedLinkStore
from linkpulse.core.clientip import TrustedProxies
from linkpulse.core.metrics import NO_METRICS, CountedSender, Metrics
from linkpulse.core.policy import DestinationPolicy
from linkpulse.core.ports import (
    AnalyticsStore,
    Blocklist,
    ClickFeed,
    ClickQueue,
    ClickSender,
    ClickTail,
    DeadLetters,
    KeyStore,
    ManagedLinkStore,
    RateStore,
    SaltStore,
)
from linkpulse.core.ratelimit import RateLimiter, parse_rate
from linkpulse.core.visitors import Visitors
from linkpulse.settings import Settings


@dataclass
class Components:
    """Everything an entry point needs, built from one :class:`Settings`."""

    settings: Settings
    links: ManagedLinkStore
    analytics: AnalyticsStore
    queue: ClickQueue
    dead_letters: DeadLetters
    sender: ClickSender
    """Where the redirect puts clicks (a group-committing buffer in front of ``queue``)."""
    keys: KeyStore | None = None
    closers: list[Any] = field(default_factory=list)
    blocklist: Blocklist | None = None
    rate_store: RateStore | None = None
    """Where rate limits are counted, shared by the workers (None: no limits here)."""
    salts: SaltStore | None = None
    """The day's visitor salt, shared by every process (None: clicks have no visitor)."""
    metrics: Metrics = NO_METRICS
    """Where the pipeline's events are counted."""
    scrape: Callable[[], tuple[bytes, str]] | None = None
    """What ``GET /metrics`` answers (None: this deployment exposes no metrics)."""
    feed: ClickFeed | None = None
    """Recorded clicks read back by id, for the live click stream."""
    tail: ClickTail | None = None
    """``feed`` when it reads every link's clicks in one range (SQLite): a server then
    streams events from one poller per process; otherwise events are a per-link poll."""
    connect: Callable[[], object] | None = None
    """Open the calling thread's connections to every store now rather than on first
    use (SQLite: one per store and thread), so a fixed pool of threads holds a fixed
    set of open files from the start."""

    def http_api(self) -> HttpApi:
        """The edge-neutral HTTP behaviour over these components."""
        s = self.settings
        return HttpApi(self.links, self.analytics, self.sender, self.keys,
                       code_length=s.code_length, base_url=s.base_url,
                       max_body_bytes=s.max_body_bytes, open_api=s.open, queue=self.queue,
                       dead_letters=self.dead_letters, backend=s.backend,
                       policy=self.policy(), create_limit=self.create_limit(),
                       visitors=self.visitors(),
                       proxies=TrustedProxies.parse(s.trusted_proxies),
                       metrics=self.metrics, scrape=self.scrape, feed=self.feed)

    def visitors(self) -> Visitors:
        """Country and visitor of each click, from the full client address."""
        from linkpulse.backends.geo import MaxMindCountries, RegistryCountries

        path = self.settings.geoip_db
        countries = MaxMindCountries(path) if path is not None else RegistryCountries()
        return Visitors(self.salts, countries)

    def create_limit(self) -> RateLimiter | None:
        rate = parse_rate(self.settings.create_rate_limit)
        if rate is None or self.rate_store is None:
            return None
        return RateLimiter(self.rate_store, rate, "create")

    def policy(self) -> DestinationPolicy:
        """Where links may point: settings, the blocklist, the public-suffix list."""
        from linkpulse.backends.publicsuffix import registrable_domain

        s = self.settings
        return DestinationPolicy(self.blocklist, registrable_domain,
                                 allow_private=s.allow_private_targets,
                                 own_urls=[s.base_url] if s.base_url else [])

    def start(self) -> None:
        """Start what serving needs: the click sender's flusher, a warm link cache."""
        start = getattr(self.sender, "start", None)
        if start is not None:
            start()
        warm = getattr(self.links, "warm", None)
        if warm is not None:
            warm()

    def housekeeping(self) -> None:
        purge = getattr(self.analytics, "purge_clicks", None)
        if purge is not None:
            purge(self.settings.click_retention_days)

    def close(self) -> None:
        for closer in reversed(self.closers):
            closer()


def build(settings: Settings, *, buffered: bool = True, metrics: Metrics | None = None,
          ) -> Components:
    """The components ``settings`` describe. ``metrics``: where events are counted;
    default this process's Prometheus recorder, scraped at ``GET /metrics``."""
    scrape = None
    if metrics is None:
        metrics, scrape = _prometheus()
    if settings.backend == "aws":
        from linkpulse.backends import aws

        components = aws.build(settings, buffered=buffered, metrics=metrics)
    else:
        components = _build_sqlite(settings, buffered=buffered, metrics=metrics)
    if scrape is not None:
        queue, dead_letters = components.queue, components.dead_letters
        components.scrape = lambda: scrape(queue, dead_letters)
    return components


def _prometheus() -> tuple[Metrics, Callable[[ClickQueue, DeadLetters], tuple[bytes, str]]]:
    from linkpulse import metrics

    return metrics.for_process(), metrics.exposition


def _build_sqlite(settings: Settings, *, buffered: bool, metrics: Metrics) -> Components:
    from linkpulse.backends.buffered import BufferedSender
    from linkpulse.backends.sqlite.analytics import SqliteAnalyticsStore
    from linkpulse.backends.sqlite.blocklist import SqliteBlocklist
    from linkpulse.backends.sqlite.clickfeed import SqliteClickFeed
    from linkpulse.backends.sqlite.keys import SqliteKeyStore
    from linkpulse.backends.sqlite.links import SqliteLinkStore
    from linkpulse.backends.sqlite.queue import SqliteQueue
    from linkpulse.backends.sqlite.ratelimit import SqliteRateStore
    from linkpulse.backends.sqlite.salts import SqliteSaltStore

    settings.db.parent.mkdir(parents=True, exist_ok=True)
    sync = settings.sqlite_synchronous
    store = SqliteLinkStore(settings.db, sync)
    analytics = SqliteAnalyticsStore(settings.db, sync)
    keys = SqliteKeyStore(settings.db, sync)
    queue = SqliteQueue(
        settings.queue_path,
        visibility_timeout=settings.visibility_timeout,
        max_receive_count=settings.max_receive_count,
        retention_seconds=settings.queue_retention_seconds,
        dlq_retention_seconds=settings.dlq_retention_seconds,
        synchronous=sync,
        on_dead_letter=metrics.clicks_dead_lettered,
    )
    blocklist = SqliteBlocklist(settings.db, sync)
    rates = SqliteRateStore(settings.db, sync)
    salts = SqliteSaltStore(settings.db, sync)
    closers: list[Any] = [store.close, analytics.close, keys.close, queue.close, blocklist.close,
                          rates.close, salts.close]
    counted = CountedSender(queue, metrics)
    sender: ClickSender = counted
    if buffered and settings.click_flush_ms > 0:
        buf = BufferedSender(counted, settings.click_flush_ms / 1000,
                             max_buffered=settings.click_buffer_max, metrics=metrics)
        sender = buf
        closers.append(buf.close)
    links: ManagedLinkStore = (CachedLinkStore(store, settings.cache_size)
                               if settings.cache_size else store)
    feed = SqliteClickFeed(analytics.db)
    databases = [s.db for s in (store, analytics, keys, queue, blocklist, rates, salts)]
    return Components(settings, links, analytics, queue, queue, sender, keys, closers,
                      blocklist, rates, salts, metrics, feed=feed, tail=feed,
                      connect=lambda: [db.connection() for db in databases])
