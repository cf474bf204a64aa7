"""One settings object. Every field can come from a ``LINKPULSE_*`` environment variable
or a CLI flag; defaults are explicit and bad values fail loudly at start-up."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Literal, get_args

ENV_PREFIX = "LINKPULSE_"

Backend = Literal["sqlite", "aws"]
Synchronous = Literal["OFF", "NORMAL", "FULL"]


class SettingsError(ValueError):
    """A setting has a value linkpulse cannot run with."""


@dataclass(frozen=True)
class Settings:
    # --- serving
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    run_worker: bool = True
    """Run the click consumer inside ``linkpulse serve``."""
    base_url: str = ""
    """Public base of short URLs (``https://lp.example``); empty = taken from each request."""
    allowed_hosts: str = ""
    """Comma-separated names a request's Host may carry (``*``: any); empty = the bind
    address, localhost, 127.0.0.1, [::1] and the host of ``base_url``."""
    cors_origins: str = "*"
    """Comma-separated origins allowed to call the API from a browser."""
    max_body_bytes: int = 16_384
    max_header_bytes: int = 16_384
    """Largest request head (request line and headers) the server reads: more is 431."""
    header_timeout: float = 10.0
    """Seconds a client has to send a request head, also to start the next request on a
    kept-alive connection (the keep-alive timeout): a trickling client is cut off."""
    body_timeout: float = 10.0
    """Seconds a client has to send a request body: slower gets 408."""
    max_concurrency: int = 1024
    """Requests each HTTP worker processes at once; more wait in the listen queue."""
    event_streams: int = 200
    """Live click streams (``GET /api/v1/events``) each HTTP worker holds open at once;
    one more is a 503 (they all share one poller of the recorded clicks)."""
    log_level: str = "info"
    metrics_port: int = 0
    """Also serve ``/metrics`` without a key on 127.0.0.1 at this port (0: off)."""
    open: bool = False
    """Open API: anyone may ``POST /shorten`` and read ``GET /stats/{code}`` without a key
    (the original design's anonymous API). Everything else still needs one."""

    # --- links
    backend: Backend = "sqlite"
    code_length: int = 7
    cache_size: int = 100_000
    """Links kept in each process's read cache (0 disables it)."""
    cache_ttl: float = 5.0
    """aws backend: seconds a cached link is served before it is read again, the bound
    on how long a warm Lambda container serves a link after it was edited or deleted.
    (SQLite workers follow a change log instead: every edit is served within 0.5 s.)"""
    allow_private_targets: bool = False
    """Allow links to loopback, private, link-local and internal names (intranet use)."""
    create_rate_limit: str = "60/minute"
    """Writes (link creation, link and key management) per API key, or per client IP
    when anonymous, shared by every worker (``N/second|minute|hour``; ``off`` disables):
    in SQLite on the embedded backend, in DynamoDB on AWS."""

    trusted_proxies: str = "127.0.0.0/8,::1"
    """Comma-separated addresses or networks of reverse proxies whose
    ``X-Forwarded-For`` is believed (empty: none; the client is always the TCP peer)."""
    geoip_db: Path | None = None
    """A MaxMind ``.mmdb`` file for countries; default: the registries' data in iptocc."""

    # --- embedded (SQLite) backend
    db: Path = Path("linkpulse.db")
    queue_db: Path | None = None
    """The queue's own SQLite file; default: next to ``db`` as ``<db stem>.queue.db``."""
    sqlite_synchronous: Synchronous = "NORMAL"
    """NORMAL survives a crashed or killed process; FULL also survives power loss."""
    click_flush_ms: float = 20.0
    """Group commit: clicks are buffered in memory and written at most this often.
    0 writes each click to the queue before the redirect answers (no loss window)."""
    click_buffer_max: int = 100_000
    click_retention_days: int = 90

    # --- queue semantics (both backends)
    visibility_timeout: float = 30.0
    max_receive_count: int = 3
    queue_retention_seconds: int = 4 * 86_400
    dlq_retention_seconds: int = 14 * 86_400
    poll_wait_seconds: float = 1.0
    consumer_batch_size: int = 10_000
    """Most clicks the embedded consumer records per transaction (an event source
    mapping's largest batch); it takes what is visible, so only a backlog fills it."""

    # --- AWS backend
    endpoint_url: str = ""
    region: str = "us-east-1"
    links_table: str = "linkpulse-links"
    clicks_table: str = "linkpulse-clicks"
    queue_name: str = "linkpulse-clicks"
    dlq_name: str = "linkpulse-clicks-dlq"
    queue_url: str = ""
    """Use this SQS queue URL as is (Lambda sets it; saves a GetQueueUrl call)."""
    dlq_url: str = ""

    def __post_init__(self) -> None:
        _check(1 <= self.port <= 65_535, "port", "must be 1-65535")
        _check(self.workers >= 1, "workers", "must be at least 1")
        _check(0 <= self.metrics_port <= 65_535, "metrics_port", "must be 0 (off) or 1-65535")
        _check(1 <= self.code_length <= 32, "code_length", "must be 1-32")
        _check(self.cache_size >= 0, "cache_size", "must be >= 0")
        _check(0 < self.cache_ttl <= 3600, "cache_ttl", "must be 0-3600 seconds")
        _check(self.max_body_bytes >= 256, "max_body_bytes", "must be >= 256")
        _check(4_096 <= self.max_header_bytes <= 1_048_576, "max_header_bytes",
               "must be 4096-1048576")
        _check(0 < self.header_timeout <= 300, "header_timeout", "must be 0-300 s")
        _check(0 < self.body_timeout <= 300, "body_timeout", "must be 0-300 s")
        _check(self.max_concurrency >= 1, "max_concurrency", "must be >= 1")
        _check(1 <= self.event_streams <= 100_000, "event_streams", "must be 1-100000")
        _check(self.backend in get_args(Backend), "backend", "must be sqlite or aws")
        _check(self.sqlite_synchronous in get_args(Synchronous), "sqlite_synchronous",
               "must be OFF, NORMAL or FULL")
        _check(0 <= self.click_flush_ms <= 10_000, "click_flush_ms", "must be 0-10000")
        _check(self.click_buffer_max >= 1, "click_buffer_max", "must be >= 1")
        _check(_is_rate(self.create_rate_limit), "create_rate_limit",
               "must be N/second, N/minute, N/hour or off")
        _check(_is_networks(self.trusted_proxies), "trusted_proxies",
               "must be comma-separated IP addresses or networks (CIDR)")
        _check(self.geoip_db is None or self.geoip_db.is_file(), "geoip_db",
               "must be a MaxMind .mmdb file that exists")
        _check(0 < self.visibility_timeout <= 43_200, "visibility_timeout", "0-43200 s")
        _check(1 <= self.max_receive_count <= 1000, "max_receive_count", "must be 1-1000")
        _check(60 <= self.queue_retention_seconds <= 1_209_600, "queue_retention_seconds",
               "must be 60-1209600 (SQS limits)")
        _check(60 <= self.dlq_retention_seconds <= 1_209_600, "dlq_retention_seconds",
               "must be 60-1209600 (SQS limits)")
        _check(0 <= self.poll_wait_seconds <= 20, "poll_wait_seconds", "must be 0-20")
        _check(1 <= self.consumer_batch_size <= 10_000, "consumer_batch_size",
               "must be 1-10000")
        # Deduplication keys are the raw click rows: they must outlive any redelivery.
        min_days = -(-(self.queue_retention_seconds + self.dlq_retention_seconds) // 86_400)
        _check(self.click_retention_days >= min_days, "click_retention_days",
               f"must be >= {min_days} (queue + dead-letter retention), or redelivered "
               "clicks could be counted twice")

    @property
    def queue_path(self) -> Path:
        if self.queue_db is not None:
            return self.queue_db
        return self.db.with_name(f"{self.db.stem}.queue.db")

    @property
    def origins(self) -> list[str]:
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Settings from ``LINKPULSE_<FIELD>`` variables, then ``overrides`` (CLI flags)."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(ENV_PREFIX + f.name.upper())
            if raw is not None and raw != "":
                values[f.name] = _parse(f.name, f.type, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def to_env(self) -> dict[str, str]:
        """The environment that reproduces these settings (for worker processes)."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None:
                continue
            if isinstance(value, bool):
                value = "1" if value else "0"
            out[ENV_PREFIX + f.name.upper()] = str(value)
        return out

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


def _is_rate(text: str) -> bool:
    from linkpulse.core.errors import InvalidInput
    from linkpulse.core.ratelimit import parse_rate

    try:
        parse_rate(text)
    except InvalidInput:
        return False
    return True


def _is_networks(text: str) -> bool:
    from linkpulse.core.clientip import parse_networks
    from linkpulse.core.errors import InvalidInput

    try:
        parse_networks(text)
    except InvalidInput:
        return False
    return True


def _check(ok: bool, name: str, why: str) -> None:
    if not ok:
        raise SettingsError(f"{ENV_PREFIX}{name.upper()} / --{name.replace('_', '-')}: {why}")


def _parse(name: str, kind: Any, raw: str) -> Any:
    kind = str(kind)
    try:
        if kind == "bool":
            lowered = raw.strip().lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if "Path" in kind:
            return Path(raw)
        return raw
    except ValueError as exc:
        raise SettingsError(f"{ENV_PREFIX}{name.upper()}={raw!r} is not a valid {kind}") from exc
