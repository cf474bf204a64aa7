"""Validation of the URLs users ask us to redirect to.

Only absolute http(s) URLs with a host are accepted. Whitespace and control characters
are refused outright, so nothing a user sends can split a ``Location`` header. IDN hosts
are accepted and converted to their ASCII (punycode) form for the header; other
non-ASCII characters are percent-encoded there. A host must be one a browser reads as we
do: no backslash or percent sign in the authority (browsers read ``\\`` as ``/`` and
decode ``%``), no broken numeric address. Whether the destination is *allowed* is
:mod:`linkpulse.core.policy`'s question.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote, urlsplit, urlunsplit

from linkpulse.core.errors import InvalidInput
from linkpulse.core.hosts import NotAnAddress, host_address

MAX_URL_LENGTH = 2048
MAX_LOCATION_BYTES = 2048
"""Longer ``Location`` headers are cut or refused by proxies and some browsers."""
_HOST_NAME = re.compile(r"[a-z0-9_.-]+")
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
    if any(ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Cs")
           for ch in raw):
        raise InvalidInput("'url' must not contain whitespace, control characters or "
                           "lone surrogates")
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
    if "\\" in parts.netloc or "%" in parts.netloc:
        raise InvalidInput("'url' must not contain '\\' or '%' in its host")
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
    if len(location) > MAX_LOCATION_BYTES:
        raise InvalidInput(f"'url' is longer than {MAX_LOCATION_BYTES} bytes once encoded")
    return raw, location


def _ascii_host(host: str) -> str:
    if host.isascii():
        if host.startswith("[") or ":" in host:  # IPv6 literal: urlsplit strips the brackets
            _address(host)
            return f"[{host}]"
        ascii_host = host
    else:
        try:
            ascii_host = host.encode("idna").decode("ascii").lower()
        except UnicodeError as exc:
            raise InvalidInput(f"'url' has an invalid international host name: {host!r}"
                               ) from exc
    if not _HOST_NAME.fullmatch(ascii_host):
        raise InvalidInput(f"'url' has an invalid host name: {host!r}")
    _address(ascii_host)
    return ascii_host


def _address(host: str) -> None:
    try:
        host_address(host)
    except NotAnAddress as exc:
        raise InvalidInput(f"'url' has an invalid address: {exc}") from exc
