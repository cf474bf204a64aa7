"""The HTTP behaviour of linkpulse, independent of any web framework.

Both edges, the ASGI app and the Lambda handlers, turn their requests into calls on
:class:`HttpApi` and send back the :class:`Response` it returns, so statuses, headers
and bodies are the same byte for byte. Core errors map to responses here, and only here.
"""

from __future__ import annotations

import json
import logging
import math
import re
import time
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from linkpulse.core import service
from linkpulse.core.clientip import TrustedProxies
from linkpulse.core.errors import (
    AliasTaken,
    BackendUnavailable,
    CodeSpaceExhausted,
    Forbidden,
    InvalidInput,
    KeyNameTaken,
    KeyNotFound,
    LinkBlocked,
    LinkExpired,
    LinkGone,
    LinkNotFound,
    LinkpulseError,
    PayloadTooLarge,
    RateLimited,
    RequestTimeout,
    Unauthorized,
)
from linkpulse.core.events import Selection
from linkpulse.core.keys import OPEN, Authenticator, Principal, presented_key, require
from linkpulse.core.metrics import NO_METRICS, Metrics
from linkpulse.core.models import Analytics, Click, Count, Link, Stats
from linkpulse.core.policy import DestinationPolicy
from linkpulse.core.ports import (
    AnalyticsStore,
    ClickFeed,
    ClickQueue,
    ClickSender,
    DeadLetters,
    KeyStore,
    ManagedLinkStore,
)
from linkpulse.core.ranges import (
    ALL_TIME,
    UNKNOWN_COUNTRY,
    StatsQuery,
    stats_query,
    top_with_rest,
)
from linkpulse.core.ratelimit import RateLimiter
from linkpulse.core.visitors import Visitors
from linkpulse.routes import Request, Route

log = logging.getLogger("linkpulse.api")

NOT_FOUND_MESSAGE = "Short URL not found"
CORS_METHODS = ["GET", "POST", "PATCH", "DELETE", "HEAD", "OPTIONS"]
CORS_HEADERS = ["content-type", "authorization", "x-api-key"]
"""What a browser page on another origin may send (preflight answers on both edges)."""
CORS_MAX_AGE = 600
"""Seconds a browser may keep a preflight answer. These three are also the defaults of
the Terraform API's CORS configuration (a test holds them equal): on AWS, API Gateway
answers preflights itself and ignores the CORS headers of the functions."""
REDIRECT_CACHE_CONTROL = "no-cache, no-store"

_HOST = re.compile(r"[A-Za-z0-9.-]+(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")


def is_host(value: str) -> bool:
    """A host name or address with an optional port, nothing else (no path, no
    credentials, no markup): only such a value may become part of a ``short_url``."""
    return _HOST.fullmatch(value) is not None

# (status, message or None to use the exception's own text), most specific first.
_ERRORS: tuple[tuple[type[LinkpulseError], int, str | None], ...] = (
    (PayloadTooLarge, 413, None),
    (RequestTimeout, 408, None),
    (InvalidInput, 400, None),
    (Unauthorized, 401, None),
    (Forbidden, 403, None),
    (AliasTaken, 409, None),
    (KeyNameTaken, 409, None),
    (LinkNotFound, 404, NOT_FOUND_MESSAGE),
    (KeyNotFound, 404, "API key not found"),
    (LinkExpired, 410, "Short URL has expired"),
    (LinkGone, 410, "Short URL is no longer available"),
    (LinkBlocked, 410, "Short URL has been disabled"),
    (CodeSpaceExhausted, 503, "No free short code was found; please retry"),
    (BackendUnavailable, 503, "Storage is temporarily unavailable; please retry"),
)


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    stream: Iterable[bytes] | AsyncIterable[bytes] | None = None
    """A body sent as it is produced (the ASGI edge streams it) instead of ``body``: an
    export of every link never sits in memory whole. An asynchronous one is an event
    stream, iterated on the event loop (only the ASGI edge answers with one)."""

    def json(self) -> Any:
        return json.loads(self.body)


JSON_HEADERS = {"content-type": "application/json", "x-content-type-options": "nosniff"}


def json_response(status: int, payload: object, headers: dict[str, str] | None = None
                  ) -> Response:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(status, body, {**JSON_HEADERS, **(headers or {})})


def error_response(status: int, message: str) -> Response:
    return json_response(status, {"error": message})


def response_for(exc: Exception) -> Response:
    """The one mapping from errors to HTTP responses; unknown errors are a 500."""
    if isinstance(exc, RateLimited):
        return json_response(429, {"error": str(exc)}, {"retry-after": str(exc.retry_after)})
    for kind, status, message in _ERRORS:
        if isinstance(exc, kind):
            if status == 503:
                log.warning("answered 503: %s", exc)
            headers = ({"retry-after": "1"} if status == 503
                       else {"www-authenticate": "Bearer"} if status == 401 else None)
            return json_response(status, {"error": message or str(exc)}, headers)
    log.error("unexpected error", exc_info=exc)
    return error_response(500, "Internal server error")


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    number = float(text)
    if math.isinf(number):  # 1e999
        raise ValueError(f"{text} is out of range")
    return number


def parse_json_object(body: bytes, max_bytes: int) -> dict[str, Any]:
    """A strict JSON object: no NaN or Infinity, no lone surrogate (which no store or
    answer could encode), no nesting deep enough to exhaust the stack."""
    if len(body) > max_bytes:
        raise PayloadTooLarge(f"request body is larger than {max_bytes} bytes")
    try:
        data = json.loads(body, parse_constant=_no_constant, parse_float=_finite)
        json.dumps(data, ensure_ascii=False).encode()  # lone surrogates raise here
    except (ValueError, RecursionError) as exc:  # UnicodeError is a ValueError
        raise InvalidInput("request body is not valid JSON") from exc
    if not isinstance(data, dict):
        raise InvalidInput("request body must be a JSON object")
    return data


class EventStreams(Protocol):
    """Live Server-Sent Event streams of recorded clicks (``web.live.LiveHub``)."""

    def full(self) -> bool: ...

    def stream(self, selection: Selection, after: str, opened: float
               ) -> AsyncIterator[bytes]: ...


class HttpApi:
    """The API over its stores. :meth:`handle` answers any declared route (see
    :mod:`linkpulse.routes`); the methods below are what the routes and the CLI call."""

    def __init__(
        self,
        links: ManagedLinkStore,
        analytics: AnalyticsStore,
        sender: ClickSender,
        keys: KeyStore | None = None,
        *,
        code_length: int = 7,
        base_url: str = "",
        max_body_bytes: int = 16_384,
        open_api: bool = False,
        queue: ClickQueue | None = None,
        dead_letters: DeadLetters | None = None,
        backend: str = "sqlite",
        policy: DestinationPolicy | None = None,
        create_limit: RateLimiter | None = None,
        visitors: Visitors | None = None,
        proxies: TrustedProxies | None = None,
        metrics: Metrics = NO_METRICS,
        scrape: Callable[[], tuple[bytes, str]] | None = None,
        feed: ClickFeed | None = None,
    ) -> None:
        self.metrics = metrics
        self.scrape = scrape
        """The metrics exposition ``GET /metrics`` answers (None: not exposed here)."""
        self.queue = queue
        self.dead_letters = dead_letters
        self.backend = backend
        self.links = links
        self.analytics = analytics
        self.sender = sender
        self.keys = keys
        self.auth = Authenticator(keys) if keys is not None else None
        self.code_length = code_length
        self.base_url = base_url.rstrip("/")
        self.max_body_bytes = max_body_bytes
        self.open = open_api
        self.policy = policy
        self.create_limit = create_limit
        self.visitors = visitors
        self.proxies = proxies or TrustedProxies(())
        self.clock: Callable[[], float] = time.time
        """The redirect's clock (the time of a click). A replay of traffic at another rate
        (bench/aws_cost.py) sets its own, so clicks fall into the counter slots they would."""
        self.feed = feed
        """Recorded clicks by id: ``GET /api/v1/events`` polls it."""
        self.live: EventStreams | None = None
        """Set by an edge that can hold a response open: events are then streamed."""

    def client_ip(self, peer: str | None, forwarded_for: str | None) -> str | None:
        """The client's full address: the TCP peer, or what a trusted proxy forwarded."""
        return self.proxies.client_ip(peer, forwarded_for)

    def scheme(self, peer: str | None, forwarded_proto: str | None, direct: str) -> str:
        """The scheme the client used: the connection's, or a trusted proxy's word."""
        return self.proxies.scheme(peer, forwarded_proto, direct)

    def handle(self, route: Route, request: Request) -> Response:
        """Answer ``route`` (timed, by its template, for the latency metric)."""
        started = time.perf_counter()
        response = self._answer(route, request)
        self.metrics.request_served(route.method, route.path, response.status,
                                    time.perf_counter() - started)
        return response

    def _answer(self, route: Route, request: Request) -> Response:
        """Authenticate, check the scope and the query, then answer ``route``."""
        try:
            if len(request.body) > self.max_body_bytes:  # as the ASGI edge, before reading
                raise PayloadTooLarge(f"request body is larger than {self.max_body_bytes} "
                                      "bytes")
            who = self.principal(route, request)
            if route.limited:
                self.limit(who, request.client_ip)
            unknown = set(request.query) - set(route.query)
            if unknown and "*" not in route.query:
                raise InvalidInput(f"unknown query parameter(s): {', '.join(sorted(unknown))}")
            return route.handler(self, request, who)
        except Exception as exc:
            return response_for(exc)

    def principal(self, route: Route, request: Request) -> Principal:
        if route.scope is None:
            return OPEN
        key = presented_key(request.headers.get("authorization"),
                            request.headers.get("x-api-key"))
        if key is None and self.open and route.open:
            return OPEN
        if self.auth is None:
            raise Unauthorized("this deployment has no key store; run it with --open")
        who = self.auth.authenticate(key)
        require(who, route.scope)
        return who

    def limit(self, who: Principal, client_ip: str | None) -> None:
        """Count one write against the caller's rate limit: its key's, or its client
        IP's when anonymous; :class:`RateLimited` (429) over it."""
        if self.create_limit is not None:
            client = f"key:{who.key_id}" if who.key_id else client_ip
            self.create_limit.check(client, time.time())

    def body(self, request: Request) -> dict[str, Any]:
        return parse_json_object(request.body, self.max_body_bytes)

    def create(self, body: bytes, who: Principal, allowed: frozenset[str], base_url: str
               ) -> Link:
        """A new link from a request body (``allowed`` are the fields it may carry); the
        routes that call it are rate limited (``Route.limited``)."""
        from linkpulse.core import manage

        data = parse_json_object(body, self.max_body_bytes)
        if "url" not in data:
            raise InvalidInput("missing 'url'")
        unknown = set(data) - allowed
        if unknown:
            raise InvalidInput(f"unknown field(s): {', '.join(sorted(unknown))}")
        link = service.shorten(
            self.links, data["url"], alias=data.get("alias"),
            expires_at=data.get("expires_at"), code_length=self.code_length,
            owner=who.key_id, title=manage.validate_title(data.get("title")),
            tags=manage.validate_tags(data.get("tags")),
            forward_query=manage.validate_flag("forward_query",
                                               data.get("forward_query", False)),
            policy=self.policy, own_url=self.base(base_url),
        )
        self.metrics.link_created()
        return link

    def shorten(self, body: bytes, request_base_url: str, who: Principal = OPEN
                ) -> Response:
        """``POST /shorten``: ``{"url", "alias"?, "expires_at"?}`` -> 201; 429 once the
        caller is over the creation rate limit."""
        try:
            link = self.create(body, who, SHORTEN_FIELDS, request_base_url)
        except Exception as exc:
            return response_for(exc)
        return json_response(201, shorten_payload(link, self.base(request_base_url)))

    def redirect(
        self, code: str, *, count: bool, user_agent: str | None, referer: str | None,
        client_ip: str | None, query: str = "",
    ) -> Response:
        """``GET /{code}`` (``count=True``) or ``HEAD /{code}`` (not a click) -> 302."""
        try:
            location = self.redirect_location(code, count=count, user_agent=user_agent,
                                              referer=referer, client_ip=client_ip,
                                              query=query)
        except Exception as exc:
            return response_for(exc)
        return Response(302, b"", {"location": location, "cache-control": REDIRECT_CACHE_CONTROL})

    def redirect_location(
        self, code: str, *, count: bool, user_agent: str | None, referer: str | None,
        client_ip: str | None, query: str = "",
    ) -> str:
        """The redirect's ``Location``, the click queued if ``count``; raises the core's
        errors (map them with :func:`response_for`). For an edge that writes the 302 itself:
        the ASGI fast path, which saves building a :class:`Response` per redirect."""
        now = self.clock()  # one clock read for the expiry check and the click
        try:
            link = service.resolve(self.links, code, now, self.policy)
        except LinkNotFound:
            self.metrics.redirected(404)
            raise
        except (LinkExpired, LinkGone, LinkBlocked):
            self.metrics.redirected(410)
            raise
        if count:
            country = visitor = ""
            if self.visitors is not None:  # from the full address, before it is anonymised
                country, visitor = self.visitors.identify(client_ip, user_agent, now)
            service.record_click(self.sender, link.code, user_agent, referer, client_ip, now,
                                 country, visitor)
        self.metrics.redirected(302)
        if query and link.forward_query:
            return service.forward_query(link.location, query)
        return link.location

    def stats(self, code: str, request_base_url: str, who: Principal = OPEN,
              query: StatsQuery | None = None) -> Response:
        """``GET /stats/{code}``: analytics of one link, all-time or as ``query`` asks."""
        q = query or stats_query(None, None, False, time.time())
        try:
            result = service.stats(self.links, self.analytics, code, who.sees, q)
        except Exception as exc:
            return response_for(exc)
        return json_response(200, stats_payload(result, self.base(request_base_url), q))

    def key_store(self) -> KeyStore:
        if self.keys is None:
            raise BackendUnavailable("this deployment has no key store")
        return self.keys

    def queue_depths(self) -> tuple[int, int, int]:
        """(visible, in flight, dead letters) of the click queue."""
        if self.queue is None or self.dead_letters is None:
            raise BackendUnavailable("no queue is attached to this API")
        visible, in_flight = self.queue.approximate_depth()
        return visible, in_flight, self.dead_letters.dlq_depth()

    def base(self, request_base_url: str) -> str:
        return self.base_url or request_base_url.rstrip("/")


SHORTEN_FIELDS = frozenset({"url", "alias", "expires_at"})


def shorten_payload(link: Link, base_url: str) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "code": link.code,
        "short_url": f"{base_url}/{link.code}",
        "original_url": link.url,
        "created_at": link.created_at,
    }
    if link.expires_at is not None:
        payload["expires_at"] = link.expires_at
    return payload


def _counts(counts: tuple[Count, ...], name: str) -> list[dict[str, Any]]:
    return [{name: c.key, "count": c.count} for c in counts]


def _click(click: Click) -> dict[str, Any]:
    e = click.event
    return {
        "click_id": e.click_id,
        "timestamp": e.timestamp,
        "user_agent": e.user_agent,
        "referer": e.referer,
        "ip": e.ip,
        "browser": click.browser,
        "os": click.os,
        "device": click.device,
        "is_bot": click.is_bot,
        "country": e.country or UNKNOWN_COUNTRY,
    }


def _days(a: Analytics) -> list[dict[str, Any]]:
    uniques = {c.key: c.count for c in a.day_visitors}
    return [{"day": c.key, "count": c.count, "unique_visitors": uniques.get(c.key, 0)}
            for c in a.days]


def stats_payload(stats: Stats, base_url: str, query: StatsQuery = ALL_TIME
                  ) -> dict[str, Any]:
    link, a = stats.link, stats.analytics
    start, end = (None if d is None else d.isoformat() for d in (query.start, query.end))
    return {
        "code": link.code,
        "short_url": f"{base_url}/{link.code}",
        "original_url": link.url,
        "created_at": link.created_at,
        "expires_at": link.expires_at,
        "total_clicks": a.total,
        "human_clicks": a.total - a.bots,
        "bot_clicks": a.bots,
        "top_user_agents": _counts(a.user_agents, "user_agent"),
        "top_referers": _counts(a.referers, "referer"),
        "browsers": _counts(a.browsers, "name"),
        "os": _counts(a.os, "name"),
        "devices": _counts(a.devices, "name"),
        "clicks_by_day": _days(a),
        "recent_clicks_shown": len(a.recent),
        "recent_clicks": [_click(c) for c in a.recent],
        "countries": _counts(top_with_rest(a.countries), "country"),
        "unique_visitors": a.unique_visitors,
        "clicks_by_hour": _counts(a.hours, "hour"),
        "range": {"from": start, "to": end},
    }
