"""The use cases. Short functions that take their dependencies as parameters."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from urllib.parse import quote

from linkpulse.core import codes
from linkpulse.core.clicks import decode_event, new_click
from linkpulse.core.errors import (
    AliasTaken,
    CodeSpaceExhausted,
    CodeTaken,
    InvalidInput,
    LinkBlocked,
    LinkExpired,
    LinkGone,
    LinkNotFound,
)
from linkpulse.core.metrics import NO_METRICS, Metrics
from linkpulse.core.models import BatchResult, Click, ClickEvent, Link, Message, Stats
from linkpulse.core.policy import DestinationPolicy
from linkpulse.core.ports import AnalyticsStore, ClickSender, LinkStore
from linkpulse.core.ranges import StatsQuery, day_text
from linkpulse.core.urls import validate_url
from linkpulse.core.useragent import classify

log = logging.getLogger("linkpulse")

ATTEMPTS_PER_LENGTH = 4
"""Collisions tolerated at one code length before the next attempt uses a longer code."""
MAX_ATTEMPTS = 24


def shorten(
    store: LinkStore,
    url: object,
    *,
    alias: object = None,
    expires_at: object = None,
    code_length: int = codes.DEFAULT_CODE_LENGTH,
    now: float | None = None,
    owner: str | None = None,
    title: str | None = None,
    tags: tuple[str, ...] = (),
    forward_query: bool = False,
    policy: DestinationPolicy | None = None,
    own_url: str = "",
) -> Link:
    """Validate and store a new link. Collision-safe: conditional insert, bounded retry.

    A random code that collides is retried; after ``ATTEMPTS_PER_LENGTH`` collisions in
    a row the code grows by one character, so a crowded code space slows creation down
    a little instead of failing it. ``policy`` decides where links may point (``own_url``:
    the base URL the request called, which no link may point back to).
    """
    created = int(time.time() if now is None else now)
    original, location = validate_url(url)
    expiry = validate_expiry(expires_at, created)
    if policy is not None:
        policy.check(location, own_url)

    def make(code: str) -> Link:
        return Link(code, original, location, created, expiry, owner=owner, title=title,
                    tags=tags, forward_query=forward_query)

    if alias is not None:
        link = make(codes.validate_alias(alias))
        try:
            store.create_if_absent(link)
        except CodeTaken as exc:
            raise AliasTaken(f"alias {link.code!r} is already taken") from exc
        return link
    for attempt in range(MAX_ATTEMPTS):
        length = min(code_length + attempt // ATTEMPTS_PER_LENGTH, codes.MAX_CODE_LENGTH)
        link = make(codes.generate_code(length))
        if codes.is_reserved(link.code):
            continue
        try:
            store.create_if_absent(link)
        except CodeTaken:
            continue
        return link
    raise CodeSpaceExhausted(f"no free code found in {MAX_ATTEMPTS} attempts")


def validate_expiry(expires_at: object, now: int) -> int | None:
    if expires_at is None:
        return None
    if (isinstance(expires_at, bool) or not isinstance(expires_at, int | float)
            or (isinstance(expires_at, float) and not math.isfinite(expires_at))):
        raise InvalidInput("'expires_at' must be a number (epoch seconds)")
    if expires_at <= now:
        raise InvalidInput("'expires_at' must be in the future")
    if expires_at > now + 100 * 365 * 86400:
        raise InvalidInput("'expires_at' is more than 100 years away")
    return int(expires_at)


def resolve(store: LinkStore, code: str, now: float | None = None,
            policy: DestinationPolicy | None = None) -> Link:
    """The link a code redirects to. Codes that cannot exist never reach the store; a
    link to a domain blocked since its creation raises :class:`LinkBlocked`."""
    if not codes.could_exist(code):
        raise LinkNotFound(code)
    link = store.get(code)
    if link is None:
        raise LinkNotFound(code)
    if link.gone:
        raise LinkGone(code)
    when = time.time() if now is None else now
    if link.is_expired(when):
        raise LinkExpired(code)
    if policy is not None and policy.blocked(link, when):
        raise LinkBlocked(code)
    return link


def record_click(
    queue: ClickSender,
    code: str,
    user_agent: str | None,
    referer: str | None,
    client_ip: str | None,
    now: float | None = None,
    country: str = "",
    visitor: str = "",
) -> str:
    """Put a click on the queue and return its id. Never raises: the redirect must not
    wait on analytics."""
    click_id, body = new_click(code, user_agent, referer, client_ip, now, country, visitor)
    try:
        queue.send(body)
    except Exception:
        log.exception("click %s for %s could not be queued", click_id, code)
    return click_id


MAX_FORWARDED_QUERY = 2_048
_QUERY_SAFE = "=&;%+/?:@!$'()*,~-._"


def forward_query(location: str, query: str) -> str:
    """``location`` with a redirect request's query string appended (before any
    fragment), percent-encoded so nothing a client sends reaches the header raw.
    An over-long query is not forwarded."""
    if not query or len(query) > MAX_FORWARDED_QUERY:
        return location
    base, hash_, fragment = location.partition("#")
    joined = f"{base}{'&' if '?' in base else '?'}{quote(query, safe=_QUERY_SAFE)}"
    return f"{joined}{hash_}{fragment}"


def enrich(event: ClickEvent) -> Click:
    ua = classify(event.user_agent)
    day = day_text(event.timestamp // 86_400)
    return Click(event, ua.browser, ua.os, ua.device, ua.is_bot, day)


def process_batch(analytics: AnalyticsStore, messages: Sequence[Message],
                  metrics: Metrics = NO_METRICS) -> BatchResult:
    """Count a received batch exactly once; report which messages failed (and tell
    ``metrics`` the batch's size, duration and newly counted clicks).

    Undecodable messages fail alone (they will reach the dead-letter queue); the rest
    are recorded in one atomic, idempotent step. If that step raises, the batch is split
    in halves and each half recorded on its own, down to single messages, so only the
    messages that cannot be recorded come back (redelivery is safe: recording is keyed
    by click id).
    """
    started = time.perf_counter()
    good: list[tuple[Message, Click]] = []
    failed: list[Message] = []
    for message in messages:
        try:
            good.append((message, enrich(decode_event(message.body))))
        except Exception as exc:  # PoisonMessage, or a field the classifier chokes on
            log.warning("poison message %s (receive %d): %r",
                        message.message_id, message.receive_count, exc)
            failed.append(message)
    recorded, unrecorded = _record_bisecting(analytics, good) if good else (0, [])
    if unrecorded:
        lost = {m.message_id for m in unrecorded}
        failed += unrecorded
        succeeded = tuple(m for m, _ in good if m.message_id not in lost)
    else:
        succeeded = tuple(m for m, _ in good)
    metrics.batch_processed(len(messages), recorded, time.perf_counter() - started)
    return BatchResult(succeeded, tuple(failed), recorded)


MAX_SPLIT_ATTEMPTS = 64
"""Record attempts allowed after a batch failed: enough to isolate a few unrecordable
messages among 10,000 (about 2 log2(n) each); a storage outage, which fails every half,
sends the untried rest back whole instead of costing 2n failing writes."""


def _record_bisecting(analytics: AnalyticsStore, items: list[tuple[Message, Click]]
                      ) -> tuple[int, list[Message]]:
    """Record ``items``; on failure bisect. Returns (clicks newly counted, messages that
    were not recorded)."""
    recorded = 0
    failed: list[Message] = []
    pending = [items]
    attempts = 0
    while pending:
        part = pending.pop()
        if attempts > MAX_SPLIT_ATTEMPTS:
            failed += [m for m, _ in part]
            continue
        attempts += 1
        try:
            recorded += analytics.record([c for _, c in part])
        except Exception as exc:
            if len(part) == 1:
                message = part[0][0]
                log.warning("message %s could not be recorded (receive %d): %r",
                            message.message_id, message.receive_count, exc)
                failed.append(message)
            else:
                if attempts == 1:
                    log.warning("recording a batch of %d clicks failed (%r); recording "
                                "it in halves", len(part), exc)
                half = len(part) // 2
                pending += [part[half:], part[:half]]
    return recorded, failed


def visible_link(store: LinkStore, code: str, sees: Callable[[str | None], bool]) -> Link:
    """The live link ``code`` if ``sees`` its owner; another key's link is not found."""
    if not codes.could_exist(code):
        raise LinkNotFound(code)
    link = store.get(code)
    if link is None or link.deleted or not sees(link.owner):
        raise LinkNotFound(code)
    return link


def stats(store: LinkStore, analytics: AnalyticsStore, code: str,
          sees: Callable[[str | None], bool] = lambda owner: True,
          query: StatsQuery | None = None) -> Stats:
    """A link's analytics (all-time, or what ``query`` asks for), if ``sees`` its owner."""
    link = visible_link(store, code, sees)
    return Stats(link, analytics.analytics(code, query=query))
