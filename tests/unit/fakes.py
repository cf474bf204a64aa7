"""In-memory fakes implementing the core's ports, for unit tests of the core only."""

from __future__ import annotations

from collections.abc import Sequence

from linkpulse.core.errors import CodeTaken
from linkpulse.core.models import Analytics, Click, ClickEvent, Link
from linkpulse.core.ranges import StatsQuery


class FakeLinkStore:
    def __init__(self) -> None:
        self.links: dict[str, Link] = {}
        self.gets = 0

    def create_if_absent(self, link: Link) -> None:
        if link.code in self.links:
            raise CodeTaken(link.code)
        self.links[link.code] = link

    def get(self, code: str) -> Link | None:
        self.gets += 1
        return self.links.get(code)

    def list_links(self, limit: int) -> list[Link]:
        return list(self.links.values())[:limit]


class FakeSender:
    def __init__(self) -> None:
        self.sent: list[str] = []

    def send(self, body: str) -> None:
        self.sent.append(body)


class FakeAnalytics:
    """``fail``: every write raises; ``refuse``: a write holding a click with one of
    these user agents raises, as a store does with a click it cannot record."""

    def __init__(self, fail: bool = False, refuse: frozenset[str] = frozenset()) -> None:
        self.seen: dict[str, Click] = {}
        self.fail = fail
        self.refuse = refuse
        self.calls = 0
        self.queries: list[StatsQuery | None] = []

    def record(self, clicks: Sequence[Click]) -> int:
        self.calls += 1
        if self.fail:
            raise RuntimeError("store down")
        if any(c.event.user_agent in self.refuse for c in clicks):
            raise ValueError("unrecordable click")
        new = 0
        for c in clicks:
            if c.event.click_id not in self.seen:
                self.seen[c.event.click_id] = c
                new += 1
        return new

    def analytics(self, code: str, top: int = 5, recent: int = 10,
                  query: StatsQuery | None = None) -> Analytics:
        self.queries.append(query)
        return Analytics(total=sum(c.event.code == code for c in self.seen.values()))

    def clicks(self, code: str, first_id: str, last_id: str, limit: int
               ) -> list[ClickEvent]:
        events = sorted(c.event for c in self.seen.values() if c.event.code == code)
        return [e for e in events if first_id <= e.click_id < last_id][:limit]


class FakeKeyStore:
    def __init__(self) -> None:
        from linkpulse.core.models import ApiKey

        self.keys: dict[str, ApiKey] = {}
        self.touched: list[tuple[str, int]] = []

    def add_key(self, key: object) -> None:
        from linkpulse.core.models import ApiKey

        assert isinstance(key, ApiKey)
        self.keys[key.id] = key

    def get_key(self, key_id: str) -> object:
        return self.keys.get(key_id)

    def list_keys(self) -> list[object]:
        return list(self.keys.values())

    def revoke_key(self, name: str, now: int) -> object:
        from dataclasses import replace

        for key in self.keys.values():
            if key.name == name and key.revoked_at is None:
                self.keys[key.id] = replace(key, revoked_at=now)
                return self.keys[key.id]
        return None

    def touch_key(self, key_id: str, now: int) -> None:
        self.touched.append((key_id, now))


class FakeBlocklist:
    def __init__(self, *domains: str) -> None:
        self.blocked = set(domains)
        self.stamp = 0
        self.reads = 0

    def version(self) -> object:
        self.reads += 1
        return self.stamp

    def domains(self) -> frozenset[str]:
        return frozenset(self.blocked)

    def add(self, domain: str) -> bool:
        new = domain not in self.blocked
        self.blocked.add(domain)
        self.stamp += new
        return new

    def remove(self, domain: str) -> bool:
        old = domain in self.blocked
        self.blocked.discard(domain)
        self.stamp += old
        return old
