"""Which hosts a short link may not point to: internal addresses, however they are written.

A browser reads ``http://2130706433/``, ``http://0x7f.1/`` and ``http://127.1/`` as
``127.0.0.1`` (the WHATWG URL standard's IPv4 parser accepts one to four parts in
decimal, octal or hex). :func:`host_address` reads a host the same way, so a numeric
form cannot slip a loopback, private, link-local, CGNAT or cloud-metadata address past
the check. Names are not resolved (the redirect's client resolves them, not us): only
the names that are internal by definition (``localhost``, ``*.internal``...) are refused.
"""

from __future__ import annotations

import ipaddress

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

_CGNAT = ipaddress.IPv4Network("100.64.0.0/10")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
INTERNAL_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain", ".home.arpa",
                     ".lan", ".intranet", ".corp")
"""Names for private networks: RFC 6761/6762/8375, ICANN's ``.internal``, and habits."""


class NotAnAddress(ValueError):
    """A host that ends in a number but is no valid IPv4 address (a browser refuses it)."""


def host_address(host: str) -> Address | None:
    """The IP address a browser would connect to for ``host`` (lower-case, ASCII, no
    brackets), or None for a domain name. Raises :class:`NotAnAddress` for a host that
    a browser would reject as a broken IPv4 address."""
    if ":" in host:
        try:
            return ipaddress.IPv6Address(host)
        except ValueError as exc:
            raise NotAnAddress(f"{host!r} is not a valid IPv6 address") from exc
    parts = host.split(".")
    if len(parts) > 1 and parts[-1] == "":
        parts.pop()
    last_part = parts[-1]
    if _number(last_part) is None and not (last_part.isascii() and last_part.isdigit()):
        return None  # a name
    numbers = [_number(p) for p in parts]
    if len(parts) > 4 or any(n is None for n in numbers):
        raise NotAnAddress(f"{host!r} is not a valid IPv4 address")
    *head, last = [n for n in numbers if n is not None]
    if any(n > 255 for n in head) or last >= 256 ** (5 - len(parts)):
        raise NotAnAddress(f"{host!r} is not a valid IPv4 address")
    value = last
    for i, n in enumerate(head):
        value += n << (8 * (3 - i))
    return ipaddress.IPv4Address(value)


def _number(part: str) -> int | None:
    """One IPv4 part as the WHATWG parser reads it: ``0x`` hex, leading-zero octal,
    decimal; None if it is not a number."""
    if part == "":
        return None
    base = 10
    if part[:2] in ("0x", "0X"):
        part, base = part[2:] or "0", 16
    elif len(part) > 1 and part[0] == "0":
        part, base = part[1:], 8
    digits = "0123456789abcdef"[:base]
    if not part.isascii() or any(c not in digits for c in part.lower()):
        return None
    return int(part, base)


def is_internal_address(address: Address) -> bool:
    """Loopback, private, link-local (cloud metadata at 169.254.169.254 and
    fd00:ec2::254 included), CGNAT, reserved, multicast or unspecified, also when an
    IPv6 address embeds such an IPv4 address."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None and is_internal_address(embedded):
            return True
        teredo = address.teredo
        if teredo is not None and is_internal_address(teredo[1]):
            return True
    elif address in _CGNAT:
        return True
    return not address.is_global or address.is_multicast


def is_internal_name(host: str) -> bool:
    """``localhost`` and names under a private-use suffix, or with a single label
    (``http://intranet/``), which only mean something inside one network."""
    name = host.rstrip(".")
    return ("." not in name or name == "localhost"
            or any(name.endswith(suffix) for suffix in INTERNAL_SUFFIXES))
