"""Validation of the URLs users ask us to redirect to.

Only absolute http(s) URLs with a host are accepted. Whitespace and control characters
are refused outright, so nothing a user sends can split a ``Location`` header. IDN hosts
are accepted and converted to their ASCII (punycode) form for the header; other
non-ASCII characters are percent-encoded there.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import quote, urlsplit, urlunsplit

from linkpulse.core.errors import InvalidInput

MAX_URL_LENGTH = 2048
_ALLOWED_SCHEMES = ("http", "https")
# Everything printable in ASCII stays as it is in the Location header; the rest is encoded.
_SAFE = "".join(chr(c) for c in range(0x21, 0x7F))


def validate_url(raw: object) -> tuple[str, str]:
    """Check a URL and return ``(url, location)``.

    ``url`` is the URL as given; ``location`` is an ASCII-only equivalent that is safe to
    send in a ``Location`` header. Raises :class:`InvalidInput` with a message a user can
    act on.
    """
    if not isinstance(raw, str):
        raise InvalidInput("'url' must be a string")
    if not raw:
        raise InvalidInput("'url' must not be empty")
    if len(raw) > MAX_URL_LENGTH:
        raise InvalidInput(f"'url' is longer than {MAX_URL_LENGTH} characters")
    if any(ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in raw):
        raise InvalidInput("'url' must not contain whitespace or control characters")
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError as exc:
        raise InvalidInput(f"'url' is not a valid URL: {exc}") from exc
    if parts.scheme.lower() not in _ALLOWED_SCHEMES:
        raise InvalidInput("'url' must start with http:// or https://")
    host = parts.hostname
    if not host:
        raise InvalidInput("'url' must include a host")
    if parts.username is not None or parts.password is not None:
        raise InvalidInput("'url' must not contain credentials (user:password@)")
    ascii_host = _ascii_host(host)
    netloc = ascii_host if port is None else f"{ascii_host}:{port}"
    location = urlunsplit(
        (
            parts.scheme.lower(),
            netloc,
            quote(parts.path, safe=_SAFE),
            quote(parts.query, safe=_SAFE),
            quote(parts.fragment, safe=_SAFE),
        )
    )
    return raw, location


def _ascii_host(host: str) -> str:
    if host.isascii():
        if host.startswith("[") or ":" in host:  # IPv6 literal: urlsplit strips the brackets
            return f"[{host}]"
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise InvalidInput(f"'url' has an invalid international host name: {host!r}") from exc
