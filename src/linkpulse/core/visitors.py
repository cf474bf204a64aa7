"""Who clicked, as far as analytics may know: a country and a daily visitor hash.

Both are derived at the edge from the full client address, before it is anonymised,
and only they (never the address) travel on with the click.

A visitor is ``blake2b(ip, user agent)`` keyed with the salt of the click's UTC day,
cut to 64 bits. The salt is 32 random bytes drawn by whichever process first needs the
day's salt and stored in place of the previous day's (:class:`~linkpulse.core.ports.
SaltStore`), so every worker and Lambda container hashes a visitor alike on one day, and
once the day is over its salt exists nowhere: nobody, the operator included, can then
test a guessed address against a hash, nor tie one day's visitors to another's.
"""

from __future__ import annotations

import logging
import secrets
import threading
from hashlib import blake2b
from typing import Any

from linkpulse.core.ports import CountryLookup, SaltStore

log = logging.getLogger("linkpulse.visitors")

DAY = 86_400
RETRY_SECONDS = 1.0
"""After the salt store failed, how long clicks go without a visitor before retrying."""


class Visitors:
    """The country and visitor hash of a click (thread-safe, one per process)."""

    def __init__(self, salts: SaltStore | None, countries: CountryLookup | None) -> None:
        self.salts = salts
        self.countries = countries
        self._lock = threading.Lock()
        self._day = -1
        self._keyed: Any = None
        self._retry_at = 0.0

    def identify(self, ip: str | None, user_agent: str | None, now: float) -> tuple[str, str]:
        """``(country, visitor)`` of a click from the full address ``ip``; "" for what
        cannot be known (no address, an unknown range, no salt)."""
        if not ip:
            return "", ""
        country = self.countries.country(ip) if self.countries is not None else ""
        keyed = self._keyed_of(int(now // DAY), now)
        if keyed is None:
            return country, ""
        digest = keyed.copy()  # cheaper than keying a new hash: the key block is done
        digest.update(f"{ip}\n{user_agent or ''}".encode("utf-8", "surrogatepass"))
        return country, digest.hexdigest()

    def _keyed_of(self, day: int, now: float) -> Any:
        """The day's keyed blake2b, ready to copy (None: no salt for that day)."""
        if day == self._day:
            return self._keyed
        if self.salts is None or now < self._retry_at:
            return None
        with self._lock:
            if day != self._day:
                try:
                    salt = self.salts.day_salt(day, secrets.token_bytes(32))
                except Exception:
                    log.warning("no visitor salt for day %d; clicks go without a visitor "
                                "for %.0f s", day, RETRY_SECONDS, exc_info=True)
                    self._retry_at = now + RETRY_SECONDS
                    return None
                if salt is None:  # a later day has begun elsewhere: this one is gone
                    self._retry_at = now + RETRY_SECONDS
                    return None
                self._day, self._keyed = day, blake2b(key=salt, digest_size=8)
            return self._keyed
