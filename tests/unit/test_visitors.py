"""Client address, country and daily visitor of a click, derived at the edge."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from linkpulse.api import HttpApi
from linkpulse.backends.geo import RegistryCountries
from linkpulse.core.clientip import LOOPBACK, TrustedProxies
from linkpulse.core.models import Link
from linkpulse.core.visitors import DAY, Visitors
from linkpulse.web.fastpath import RedirectFastPath
from tests.unit.fakes import FakeAnalytics, FakeLinkStore, FakeSender

NOW = 1_795_729_110.0
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:124.0) Gecko/20100101 Firefox/124.0"
CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/124.0"


class MemorySalts:
    """One stored (day, salt), replaced only by a later day's: the SaltStore contract."""

    def __init__(self) -> None:
        self.stored: tuple[int, bytes] | None = None
        self.calls = 0

    def day_salt(self, day: int, fresh: bytes) -> bytes | None:
        self.calls += 1
        if self.stored is None or self.stored[0] < day:
            self.stored = (day, fresh)
        return self.stored[1] if self.stored[0] == day else None


@pytest.mark.parametrize(("peer", "forwarded", "client"), [
    ("203.0.113.9", None, "203.0.113.9"),
    ("203.0.113.9", "8.8.8.8", "203.0.113.9"),            # untrusted peer: header ignored
    ("127.0.0.1", "8.8.8.8", "8.8.8.8"),
    ("127.0.0.1", "6.6.6.6, 8.8.8.8", "8.8.8.8"),         # only the proxy's own entry counts
    ("127.0.0.1", "8.8.8.8, 127.0.0.2", "8.8.8.8"),       # trusted hops are skipped
    ("::1", "2001:db8::1", "2001:db8::1"),
    ("127.0.0.1", "not-an-ip", "127.0.0.1"),
    ("127.0.0.1", "8.8.8.8, <script>", "127.0.0.1"),      # junk ends the walk
    ("127.0.0.1", "", "127.0.0.1"),
])
def test_the_client_is_the_peer_unless_a_trusted_proxy_forwarded_it(
        peer: str, forwarded: str | None, client: str) -> None:
    assert TrustedProxies.parse(LOOPBACK).client_ip(peer, forwarded) == client


def test_no_trusted_proxies_means_the_header_is_never_read() -> None:
    assert TrustedProxies.parse("").client_ip("127.0.0.1", "8.8.8.8") == "127.0.0.1"


@pytest.mark.parametrize(("peer", "proto", "scheme"), [
    ("127.0.0.1", "https", "https"),             # the proxy terminated TLS
    ("127.0.0.1", "HTTPS ", "https"),
    ("127.0.0.1", "javascript:alert(1)//", "http"),  # never anything but http(s)
    ("203.0.113.9", "https", "http"),            # not a proxy: the header is not read
    (None, "https", "http"),
])
def test_the_scheme_is_the_connections_unless_a_trusted_proxy_forwarded_it(
        peer: str | None, proto: str, scheme: str) -> None:
    assert TrustedProxies.parse(LOOPBACK).scheme(peer, proto, "http") == scheme


def test_registry_countries_of_well_known_addresses() -> None:
    countries = RegistryCountries()
    assert countries.country("8.8.8.8") == "US"
    assert countries.country("193.0.6.139") == "NL"
    assert countries.country("10.0.0.1") == ""
    assert countries.country("junk") == ""


def test_a_visitor_is_one_address_and_browser_within_one_day() -> None:
    visitors = Visitors(MemorySalts(), None)
    a = visitors.identify("192.0.2.1", FIREFOX, NOW)[1]
    assert len(a) == 16
    assert visitors.identify("192.0.2.1", FIREFOX, NOW + 60)[1] == a
    assert visitors.identify("192.0.2.1", CHROME, NOW)[1] != a
    assert visitors.identify("192.0.2.2", FIREFOX, NOW)[1] != a      # same /24, other visitor
    assert visitors.identify("192.0.2.1", FIREFOX, NOW + DAY)[1] != a  # a new day, a new salt


def test_two_processes_sharing_a_store_agree_and_read_it_once_a_day() -> None:
    salts = MemorySalts()
    one, two = Visitors(salts, None), Visitors(salts, None)
    assert one.identify("192.0.2.1", FIREFOX, NOW) == two.identify("192.0.2.1", FIREFOX, NOW)
    for i in range(100):
        one.identify("192.0.2.1", FIREFOX, NOW + i)
    assert salts.calls == 2


def test_a_discarded_day_gets_no_visitor() -> None:
    salts = MemorySalts()
    Visitors(salts, None).identify("192.0.2.1", FIREFOX, NOW + DAY)
    late = Visitors(salts, None)  # a process whose clock is still on the previous day
    assert late.identify("192.0.2.1", FIREFOX, NOW) == ("", "")


def test_a_failing_salt_store_costs_the_visitor_not_the_click() -> None:
    class Broken:
        def day_salt(self, day: int, fresh: bytes) -> bytes | None:
            raise OSError("disk gone")

    assert Visitors(Broken(), RegistryCountries()).identify("8.8.8.8", FIREFOX, NOW) == (
        "US", "")


def _redirect(api: HttpApi, peer: str, headers: list[tuple[bytes, bytes]]) -> None:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": "/abc1234", "headers": headers,
             "client": (peer, 50_000), "query_string": b""}
    asyncio.run(RedirectFastPath(api, app=None)(scope, receive, send))  # type: ignore[arg-type]
    assert sent[0]["status"] == 302


def test_the_redirect_queues_country_and_visitor_never_the_full_address() -> None:
    store, sender = FakeLinkStore(), FakeSender()
    store.links["abc1234"] = Link("abc1234", "https://example.com/", "https://example.com/", 0)
    api = HttpApi(store, FakeAnalytics(), sender,
                  visitors=Visitors(MemorySalts(), RegistryCountries()),
                  proxies=TrustedProxies.parse(LOOPBACK))
    ua = (b"user-agent", FIREFOX.encode())
    _redirect(api, "127.0.0.1", [ua, (b"x-forwarded-for", b"8.8.8.8")])
    _redirect(api, "127.0.0.1", [ua, (b"x-forwarded-for", b"193.0.6.139")])
    _redirect(api, "193.0.6.139", [ua, (b"x-forwarded-for", b"8.8.8.8")])  # not a proxy
    clicks = [json.loads(body) for body in sender.sent]
    assert [c["cc"] for c in clicks] == ["US", "NL", "NL"]
    assert [c["ip"] for c in clicks] == ["8.8.8.0", "193.0.6.0", "193.0.6.0"]
    assert clicks[1]["vis"] == clicks[2]["vis"] != clicks[0]["vis"]
    assert not any("8.8.8.8" in body or "193.0.6.139" in body for body in sender.sent)
