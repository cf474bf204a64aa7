"""Registrable domains from the public-suffix list bundled with ``publicsuffixlist``.

The list is read from the package's own data on first use (~0.1 s), never fetched from
the network: a Lambda container or a server pays for it once, and only if it checks a
destination.
"""

from __future__ import annotations

from functools import cache, lru_cache
from typing import Any


@cache
def _list() -> Any:
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList()


@lru_cache(maxsize=4096)
def registrable_domain(host: str) -> str | None:
    """``a.b.example.co.uk`` -> ``example.co.uk``; None for a public suffix itself."""
    result: str | None = _list().privatesuffix(host)
    return result
