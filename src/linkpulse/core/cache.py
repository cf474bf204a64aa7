"""An in-process read-through cache in front of a link store.

Links never change once created, so a cached link is never stale; expiry is checked by
``resolve`` on every request. Misses are not cached: a code may be created a moment later
through another process.

Bounded by construction: at most ``max_entries`` links, the least recently used evicted
in O(1) (an ``OrderedDict``'s linked list). Evicting a plain dict's oldest key with
``next(iter(d))`` scans past the slots of every key deleted before it: over 10M links it
cost ~64 us per miss, several times the SQLite read the cache saves.
"""

from __future__ import annotations

from collections import OrderedDict

from linkpulse.core.models import Link
from linkpulse.core.ports import LinkStore


class CachedLinkStore:
    def __init__(self, inner: LinkStore, max_entries: int = 100_000) -> None:
        self._inner = inner
        self._max = max_entries
        self._links: OrderedDict[str, Link] = OrderedDict()

    def warm(self) -> int:
        """Fill the cache from the store, if it can list links (SQLite can; DynamoDB would
        need a table scan, so it fills as requests come). Returns how many were loaded.

        A new worker then answers its first requests from memory instead of sending
        each first sight of a code to the store.
        """
        list_links = getattr(self._inner, "list_links", None)
        if list_links is None or self._max == 0:
            return 0
        links: list[Link] = list_links(self._max)
        for link in links:
            self._links.setdefault(link.code, link)
        return len(links)

    def create_if_absent(self, link: Link) -> None:
        self._inner.create_if_absent(link)

    def get(self, code: str) -> Link | None:
        links = self._links
        link = links.get(code)
        if link is not None:
            links.move_to_end(code)
            return link
        link = self._inner.get(code)
        if link is not None and self._max > 0:
            if len(links) >= self._max:
                links.popitem(last=False)  # the least recently used
            links[code] = link
        return link
