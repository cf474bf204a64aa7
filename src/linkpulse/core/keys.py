"""API keys: how they look, how they are checked, what they may do.

A key reads ``lp_<id>_<secret>``: ``id`` (8 hex characters) finds the stored record and
names the key's links as their owner; the secret is 32 random bytes. Only a SHA-256 of
the whole key is stored (a key has 256 bits of entropy, so a slow password hash would
add nothing but latency), and the presented key's hash is compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass

from linkpulse.core.errors import Forbidden, InvalidInput, Unauthorized
from linkpulse.core.models import ApiKey
from linkpulse.core.ports import KeyStore

SCOPES = ("links:create", "links:read", "links:write", "stats:read", "admin")
DEFAULT_SCOPES = frozenset(SCOPES) - {"admin"}
_KEY_SHAPE = re.compile(r"lp_([0-9a-f]{8})_[A-Za-z0-9_-]{43}")
_NAME_SHAPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}")
LAST_USED_RESOLUTION = 60
"""Seconds: ``last_used_at`` is written at most this often per key and process."""


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a key's id and scopes, or an anonymous caller of an open API."""

    key_id: str | None
    scopes: frozenset[str]
    reads_all: bool = False
    """An anonymous caller of an open API (or the CLI) reads any link's stats."""

    @property
    def admin(self) -> bool:
        return "admin" in self.scopes

    @property
    def owner_filter(self) -> str | None:
        """The owner whose links this caller sees; None = all (admins)."""
        return None if self.admin else (self.key_id or "")

    def may(self, scope: str) -> bool:
        return self.admin or scope in self.scopes

    def sees(self, owner: str | None) -> bool:
        """Admins see every link; a key sees its own."""
        return self.admin or self.reads_all or (self.key_id is not None
                                                and owner == self.key_id)


OPEN = Principal(None, frozenset({"links:create", "stats:read"}), reads_all=True)
"""Who calls a public route, or an open route of an open API without a key."""


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key(name: object, scopes: object = None, *, admin: bool = False,
            expires_at: int | None = None, now: float | None = None) -> tuple[str, ApiKey]:
    """A fresh key and the record to store for it (the key itself is shown once)."""
    if not isinstance(name, str) or _NAME_SHAPE.fullmatch(name) is None:
        raise InvalidInput("'name' must be 1-64 characters from A-Z a-z 0-9 _ . @ -, "
                           "starting with a letter or digit")
    chosen = validate_scopes(scopes) if scopes is not None else DEFAULT_SCOPES
    if admin:
        chosen = chosen | {"admin"}
    created = int(time.time() if now is None else now)
    if expires_at is not None and expires_at <= created:
        raise InvalidInput("'expires_at' must be in the future")
    key_id = secrets.token_hex(4)
    key = f"lp_{key_id}_{secrets.token_urlsafe(32)}"
    return key, ApiKey(key_id, name, hash_key(key), chosen, created, expires_at)


def validate_scopes(scopes: object) -> frozenset[str]:
    if not isinstance(scopes, list | tuple | set | frozenset) or not scopes:
        raise InvalidInput(f"'scopes' must be a non-empty list of: {', '.join(SCOPES)}")
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        raise InvalidInput(f"unknown scope(s): {', '.join(map(str, unknown))}; "
                           f"known: {', '.join(SCOPES)}")
    return frozenset(scopes)


def presented_key(authorization: str | None, x_api_key: str | None) -> str | None:
    """The key a request carries: ``Authorization: Bearer <key>`` or ``X-Api-Key``.

    Another scheme (a proxy's Basic credentials) is left alone; two different keys are
    refused, so a bad key never falls back to a good one."""
    if authorization:
        scheme, _, value = authorization.strip().partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            if x_api_key and x_api_key.strip() and x_api_key.strip() != value.strip():
                raise Unauthorized("Authorization and X-Api-Key carry different keys")
            return value.strip()
    if x_api_key and x_api_key.strip():
        return x_api_key.strip()
    return None


class Authenticator:
    """Checks presented keys against a :class:`KeyStore` on every call (a revoked key
    is refused at once by every process), noting when each key was last used."""

    def __init__(self, store: KeyStore) -> None:
        self.store = store
        self._touched: dict[str, float] = {}

    def authenticate(self, key: str | None, now: float | None = None) -> Principal:
        if key is None:
            raise Unauthorized("an API key is required (Authorization: Bearer <key>, "
                               "or X-Api-Key)")
        match = _KEY_SHAPE.fullmatch(key)
        record = self.store.get_key(match.group(1)) if match else None
        when = time.time() if now is None else now
        # Compare even when nothing was found, so timing does not tell ids apart.
        expected = record.hash if record is not None else "0" * 64
        if not hmac.compare_digest(expected, hash_key(key)) or record is None:
            raise Unauthorized("invalid API key")
        if not record.usable(when):
            raise Unauthorized("API key expired or revoked")
        if when - self._touched.get(record.id, 0.0) >= LAST_USED_RESOLUTION:
            self._touched[record.id] = when
            if len(self._touched) > 10_000:  # bounded: forget, at worst write again
                self._touched.clear()
            self.store.touch_key(record.id, int(when))
        return Principal(record.id, record.scopes)


def require(principal: Principal, scope: str) -> None:
    if not principal.may(scope):
        raise Forbidden(f"this API key lacks the '{scope}' scope")
