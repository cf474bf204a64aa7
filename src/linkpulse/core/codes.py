"""Short codes: random generation, custom alias rules, and the cheap "could this exist?" test."""

from __future__ import annotations

import re
import secrets

from linkpulse.core.errors import InvalidInput

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
DEFAULT_CODE_LENGTH = 7
MAX_CODE_LENGTH = 32
ALIAS_MIN_LENGTH = 3

# Paths the HTTP edge serves itself, or may serve later; never usable as an alias.
RESERVED = frozenset(
    {
        "shorten", "stats", "healthz", "health", "api", "static", "assets", "openapi",
        "openapi.json",
        "docs", "redoc", "dashboard", "admin", "login", "logout", "favicon.ico",
        "robots.txt", "index.html", "metrics", "dlq",
    }
)

_CODE_SHAPE = re.compile(rf"[A-Za-z0-9_-]{{1,{MAX_CODE_LENGTH}}}")
_ALIAS_SHAPE = re.compile(rf"[A-Za-z0-9_-]{{{ALIAS_MIN_LENGTH},{MAX_CODE_LENGTH}}}")


def generate_code(length: int = DEFAULT_CODE_LENGTH) -> str:
    """A random base62 code from the OS's CSPRNG (62**7 = 3.5e12 codes at length 7)."""
    return "".join(secrets.choice(BASE62) for _ in range(length))


def could_exist(code: str) -> bool:
    """True when ``code`` has the shape of a code or alias: a cheap guard before any lookup."""
    return _CODE_SHAPE.fullmatch(code) is not None


def is_reserved(code: str) -> bool:
    return code.lower() in RESERVED


def validate_alias(alias: object) -> str:
    """Return the alias if it is acceptable, else raise :class:`InvalidInput`."""
    if not isinstance(alias, str):
        raise InvalidInput("'alias' must be a string")
    if _ALIAS_SHAPE.fullmatch(alias) is None:
        raise InvalidInput(
            f"'alias' must be {ALIAS_MIN_LENGTH} to {MAX_CODE_LENGTH} characters "
            "from A-Z, a-z, 0-9, '-' and '_'"
        )
    if is_reserved(alias):
        raise InvalidInput(f"'alias' {alias!r} is reserved")
    return alias
