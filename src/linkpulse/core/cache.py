"""An in-process read-through cache in front of a link store.

Links can be edited, disabled and deleted, and every process keeps its own cache, so a
cached link must not outlive a change made elsewhere for long:

- a store with a change log (SQLite's ``link_changes``) is asked at most every
  ``refresh_seconds`` which codes changed, and those are dropped: every worker serves
  an edit within that bound (0.5 s by default);
- a store without one (DynamoDB) bounds the age of an entry instead (``ttl``): a warm
  Lambda container serves an edit within ``ttl`` seconds.

Eviction is least-recently-used and O(1). Misses are not cached: a code may be created
a moment later through another process.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any

from linkpulse.core.models import Link, LinkQuery
from linkpulse.core.ports import ManagedLinkStore

REFRESH_SECONDS = 0.5


class CachedLinkStore:
    def __init__(self, inner: ManagedLinkStore, max_entries: int = 100_000, *,
                 ttl: float | None = None, refresh_seconds: float = REFRESH_SECONDS) -> None:
        self._inner = inner
        self._max = max_entries
        self._ttl = ttl
        self._links: OrderedDict[str, tuple[Link, float]] = OrderedDict()
        self._changes: Any = getattr(inner, "changes_since", None)
        self._refresh = refresh_seconds
        self._next_refresh = 0.0
        self._seq = self._changes(0)[0] if self._changes is not None else 0

    def warm(self) -> int:
        """Fill the cache from the store, if it can list links (SQLite can; DynamoDB would
        need a table scan, so it fills as requests come). Returns how many were loaded."""
        list_links = getattr(self._inner, "list_links", None)
        if list_links is None or self._max == 0:
            return 0
        links: list[Link] = list_links(self._max)
        now = time.monotonic()
        for link in links:
            self._links.setdefault(link.code, (link, now))
        return len(links)

    def create_if_absent(self, link: Link) -> None:
        self._inner.create_if_absent(link)

    def get(self, code: str) -> Link | None:
        now = time.monotonic()
        if now >= self._next_refresh and self._changes is not None:
            self._drop_changed(now)
        entry = self._links.get(code)
        if entry is not None and (self._ttl is None or now - entry[1] < self._ttl):
            try:  # noqa: SIM105  (suppress() costs a context manager per redirect)
                self._links.move_to_end(code)
            except KeyError:  # dropped meanwhile by another thread: still a good answer
                pass
            return entry[0]
        link = self._inner.get(code)
        if link is not None and self._max > 0:
            self._links[code] = (link, now)
            self._links.move_to_end(code)
            if len(self._links) > self._max:
                self._links.popitem(last=False)
        elif entry is not None:
            self._links.pop(code, None)
        return link

    def _drop_changed(self, now: float) -> None:
        self._next_refresh = now + self._refresh
        self._seq, changed = self._changes(self._seq)
        if changed is None:
            self._links.clear()
            return
        for code in changed:
            self._links.pop(code, None)

    def update(self, link: Link) -> None:
        self._inner.update(link)
        self._links.pop(link.code, None)

    def query(self, query: LinkQuery) -> list[Link]:
        return self._inner.query(query)

    def codes(self, query: LinkQuery) -> list[str]:
        return self._inner.codes(query)
