"""Who the client is: the TCP peer, or what a trusted proxy says it forwarded.

``X-Forwarded-For`` is a list any client can write into. Only the entries appended by
proxies we trust are believable, so the list is read from the right: each hop a trusted
proxy added is skipped, and the first address that is not a trusted proxy is the client.
From a peer that is not a trusted proxy the header is ignored entirely, so a hostile
header can never change a click's country, visitor or rate limit bucket.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from linkpulse.core.errors import InvalidInput

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

LOOPBACK = "127.0.0.0/8,::1/128"


def _address(text: str) -> Address | None:
    try:
        addr = ipaddress.ip_address(text.strip().split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    return addr


def parse_networks(spec: str) -> tuple[Network, ...]:
    """``"127.0.0.0/8, 10.0.0.0/8, ::1"`` -> networks; ``""`` trusts nobody."""
    out = []
    for part in spec.split(","):
        if part.strip():
            try:
                out.append(ipaddress.ip_network(part.strip(), strict=False))
            except ValueError as exc:
                raise InvalidInput(f"not an address or network: {part.strip()!r}") from exc
    return tuple(out)


class TrustedProxies:
    """The proxies whose ``X-Forwarded-For`` entries are believed."""

    def __init__(self, networks: Iterable[Network]) -> None:
        self.networks = tuple(networks)

    @classmethod
    def parse(cls, spec: str) -> TrustedProxies:
        return cls(parse_networks(spec))

    def trusts(self, addr: Address) -> bool:
        return any(addr.version == net.version and addr in net for net in self.networks)

    def scheme(self, peer: str | None, forwarded_proto: str | None, direct: str) -> str:
        """``http`` or ``https`` as a trusted proxy's ``X-Forwarded-Proto`` says, else
        ``direct`` (the scheme of the connection): nothing else ever comes of it."""
        hop = _address(peer) if peer is not None else None
        proto = (forwarded_proto or "").strip().lower()
        if hop is not None and self.trusts(hop) and proto in ("http", "https"):
            return proto
        return direct

    def client_ip(self, peer: str | None, forwarded_for: str | None) -> str | None:
        """The client's address: ``peer`` unless it is a trusted proxy that forwarded
        the request, then the right-most forwarded address that is not a trusted proxy
        (the left-most one if every hop is trusted). An unreadable entry ends the walk:
        nothing left of it can be believed, so the last trusted hop is the client."""
        if not forwarded_for or peer is None or not self.networks:
            return peer
        hop = _address(peer)
        if hop is None or not self.trusts(hop):
            return peer
        for entry in reversed(forwarded_for.split(",")):
            forwarded = _address(entry)
            if forwarded is None:
                break
            hop = forwarded
            if not self.trusts(hop):
                break
        return str(hop)
