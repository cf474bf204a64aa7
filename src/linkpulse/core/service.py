"""The use cases. Short functions that take their dependencies as parameters."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from urllib.parse import quote

from linkpulse.core import codes
from linkpulse.core.clicks import decode_event, new_click
from linkpulse.core.errors import (
    AliasTaken,
    CodeSpaceExhausted,
    CodeTaken,
    InvalidInput,
    LinkExpired,
    LinkGone,
    LinkNotFound,
    PoisonMessage,
)
from linkpulse.core.models import BatchResult, Click, ClickEvent, Link, Message, Stats
from linkpulse.core.ports import AnalyticsStore, ClickSender, LinkStore
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
) -> Link:
    """Validate and store a new link. Collision-safe: conditional insert, bounded retry.

    A random code that collides is retried; after ``ATTEMPTS_PER_LENGTH`` collisions in
    a row the code grows by one character, so a crowded code space slows creation down
    a little instead of failing it.
    """
    created = int(time.time() if now is None else now)
    original, location = validate_url(url)
    expiry = validate_expiry(expires_at, created)

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
    if isinstance(expires_at, bool) or not isinstance(expires_at, int | float):
        raise InvalidInput("'expires_at' must be a number (epoch seconds)")
    if expires_at <= now:
        raise InvalidInput("'expires_at' must be in the future")
    if expires_at > now + 100 * 365 * 86400:
        raise InvalidInput("'expires_at' is more than 100 years away")
    return int(expires_at)


def resolve(store: LinkStore, code: str, now: float | None = None) -> Link:
    """The link a code redirects to. Codes that cannot exist never reach the store."""
    if not codes.could_exist(code):
        raise LinkNotFound(code)
    link = store.get(code)
    if link is None:
        raise LinkNotFound(code)
    if link.gone:
        raise LinkGone(code)
    if link.is_expired(time.time() if now is None else now):
        raise LinkExpired(code)
    return link


def record_click(
    queue: ClickSender,
    code: str,
    user_agent: str | None,
    referer: str | None,
    client_ip: str | None,
    now: float | None = None,
) -> str:
    """Put a click on the queue and return its id. Never raises: the redirect must not
    wait on analytics."""
    click_id, body = new_click(code, user_agent, referer, client_ip, now)
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
    return Click(event, ua.browser, ua.os, ua.device, ua.is_bot, _day(event.timestamp // 86_400))


@lru_cache(maxsize=64)
def _day(days_since_epoch: float) -> str:
    """The UTC date of a day number: clicks of one batch share a handful of days."""
    return datetime.fromtimestamp(days_since_epoch * 86_400, UTC).strftime("%Y-%m-%d")


def process_batch(analytics: AnalyticsStore, messages: Sequence[Message]) -> BatchResult:
    """Count a received batch exactly once; report which messages failed.

    Undecodable messages fail alone (they will reach the dead-letter queue); the rest
    are recorded in one atomic, idempotent step. If that step raises, every message of
    it fails and is redelivered, which is safe because recording is keyed by click id.
    """
    good: list[Message] = []
    failed: list[Message] = []
    clicks: list[Click] = []
    for message in messages:
        try:
            clicks.append(enrich(decode_event(message.body)))
        except PoisonMessage as exc:
            log.warning("poison message %s (receive %d): %s",
                        message.message_id, message.receive_count, exc)
            failed.append(message)
        else:
            good.append(message)
    recorded = 0
    if clicks:
        try:
            recorded = analytics.record(clicks)
        except Exception:
            log.exception("recording a batch of %d clicks failed; it will be retried",
                          len(clicks))
            return BatchResult((), tuple(messages), 0)
    return BatchResult(tuple(good), tuple(failed), recorded)


def stats(store: LinkStore, analytics: AnalyticsStore, code: str,
          sees: Callable[[str | None], bool] = lambda owner: True) -> Stats:
    """A link's analytics, if ``sees`` its owner (another key's link is not found)."""
    if not codes.could_exist(code):
        raise LinkNotFound(code)
    link = store.get(code)
    if link is None or link.deleted or not sees(link.owner):
        raise LinkNotFound(code)
    return Stats(link, analytics.analytics(code))
