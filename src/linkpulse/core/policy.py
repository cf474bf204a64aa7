"""Where short links may point: the destination policy.

Checked when a link is created (:meth:`DestinationPolicy.check`): no internal address
or name (unless the deployment allows them, for an intranet), no link to the service
itself (one visit would become a chain of counted clicks), no domain on the operator's
blocklist. Checked again on the redirect path (:meth:`DestinationPolicy.blocked`) so that
blocking a domain also stops the links that already point to it (410).

The redirect path must stay cheap: a verdict is computed once per link and kept until
the blocklist's version stamp changes; the stamp is read at most once per
``refresh_seconds``, so a new block reaches every worker within about a second, and
with an empty blocklist a redirect pays one comparison.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from linkpulse.core.errors import BlockedDestination, InvalidInput
from linkpulse.core.hosts import host_address, is_internal_address, is_internal_name
from linkpulse.core.models import Link
from linkpulse.core.ports import Blocklist

log = logging.getLogger("linkpulse.policy")

Registrable = Callable[[str], "str | None"]
"""The registrable domain of a host name (``a.b.example.co.uk`` -> ``example.co.uk``),
or None for a public suffix; from a public-suffix list."""
MAX_VERDICTS = 100_000


def normalize_domain(raw: str) -> str:
    """An operator's domain as the blocklist stores it: ASCII (IDNA), lower-case, no dots
    around it. Raises :class:`InvalidInput` for what is not a domain name."""
    name = raw.strip().strip(".").lower()
    try:
        name = name.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise InvalidInput(f"{raw!r} is not a domain name") from exc
    if not name or "/" in name or ":" in name or host_address(name) is not None:
        raise InvalidInput(f"{raw!r} is not a domain name")
    return name


class DestinationPolicy:
    def __init__(
        self,
        blocklist: Blocklist | None = None,
        registrable: Registrable | None = None,
        *,
        allow_private: bool = False,
        own_urls: Iterable[str] = (),
        refresh_seconds: float = 1.0,
    ) -> None:
        self._blocklist = blocklist
        self._registrable = registrable or (lambda host: host)
        self.allow_private = allow_private
        self._own = tuple(_endpoint(url) for url in own_urls if url)
        self._refresh = refresh_seconds
        self._next_refresh = 0.0
        self._version: object = None
        self._domains: frozenset[str] = frozenset()
        self._verdicts: dict[str, bool] = {}
        self._lock = threading.Lock()

    def check(self, location: str, own_url: str = "") -> None:
        """Refuse a new link to ``location`` (an ASCII URL from ``validate_url``) that
        points inside the network, at this service (``own_url``: what the request
        called), or at a blocked domain."""
        host = _host_of(location)
        if not self.allow_private:
            address = host_address(host)
            internal = (is_internal_address(address) if address is not None
                        else is_internal_name(host))
            if internal:
                raise InvalidInput("'url' points to a local, private or internal address")
        target = _endpoint(location)
        if any(_same_service(target, own) for own in (*self._own, _endpoint(own_url))):
            raise InvalidInput("'url' must not point to this link shortener")
        self._refresh_if_due(0.0, force=True)
        if self._is_blocked(host):
            raise BlockedDestination("links to this domain are not allowed")

    def blocked(self, link: Link, now: float) -> bool:
        """True if ``link`` points to a blocked domain: once per link and blocklist
        version, then a dictionary hit."""
        if now >= self._next_refresh:
            self._refresh_if_due(now)
        if not self._domains:
            return False
        verdict = self._verdicts.get(link.code)
        if verdict is None:
            verdict = self._is_blocked(_host_of(link.location))
            if len(self._verdicts) >= MAX_VERDICTS:
                self._verdicts.clear()
            self._verdicts[link.code] = verdict
        return verdict

    def _is_blocked(self, host: str) -> bool:
        domains = self._domains
        if not domains or not host:
            return False
        if host in domains:
            return True
        registrable = self._registrable(host)
        if registrable is None or host_address(host) is not None:
            return False
        # every name from the host up to its registrable domain: a.b.example.com,
        # b.example.com, example.com
        labels = host.split(".")
        for i in range(1, len(labels)):
            candidate = ".".join(labels[i:])
            if candidate in domains:
                return True
            if candidate == registrable:
                break
        return False

    def _refresh_if_due(self, now: float, *, force: bool = False) -> None:
        if self._blocklist is None:
            self._next_refresh = float("inf")
            return
        with self._lock:
            if not force:
                if now < self._next_refresh:
                    return
                self._next_refresh = now + self._refresh
            try:
                version = self._blocklist.version()
                if version != self._version:
                    self._domains = self._blocklist.domains()
                    self._verdicts = {}
                    self._version = version
            except Exception:
                if force:
                    raise
                log.warning("could not read the blocklist; keeping the last one",
                            exc_info=True)


Endpoint = tuple[str, "int | None"]


def _endpoint(url: str) -> Endpoint:
    """(host, port or None for the scheme's default)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return ("", None)
    if port == {"http": 80, "https": 443}.get(parts.scheme.lower()):
        port = None
    return (parts.hostname or "").rstrip("."), port


def _same_service(a: Endpoint, b: Endpoint) -> bool:
    """One host and one port (http and https on their default ports count as one:
    the one usually redirects to the other)."""
    return bool(a[0]) and a == b


def _host_of(url: str) -> str:
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return ""
    return (host or "").rstrip(".")
