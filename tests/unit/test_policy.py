"""Where links may point: internal addresses in every spelling, the service itself,
over-long locations, and the operator's blocklist (also for links that already exist)."""

from __future__ import annotations

import pytest

from linkpulse.backends.publicsuffix import registrable_domain
from linkpulse.core import service
from linkpulse.core.errors import BlockedDestination, InvalidInput, LinkBlocked
from linkpulse.core.policy import DestinationPolicy, normalize_domain
from linkpulse.core.urls import validate_url
from tests.unit.fakes import FakeBlocklist, FakeLinkStore

NOW = 1_780_000_000.0

INTERNAL = [
    "http://127.0.0.1/", "http://127.1/", "http://2130706433/", "http://0x7f.1/",
    "http://0x7f000001/", "http://0177.0.0.1/", "http://017700000001/", "http://127.0.0.1./",
    "http://[::1]/", "http://[::ffff:127.0.0.1]/", "http://[::ffff:7f00:1]/",
    "http://169.254.169.254/latest/meta-data/", "http://0xa9fea9fe/", "http://[fd00:ec2::254]/",
    "http://10.0.0.1/", "http://172.16.5.4/", "http://192.168.1.1/", "http://100.64.0.1/",
    "http://0.0.0.0/", "http://0/", "http://[::]/", "http://[fe80::1]/", "http://[fc00::1]/",
    "http://[64:ff9b::a9fe:a9fe]/", "http://[2002:7f00:1::]/", "http://224.0.0.1/",
    "http://localhost/", "http://LOCALHOST:8000/", "http://app.localhost/", "http://printer.local/",
    "http://metadata.google.internal/", "http://intranet/", "http://router.home.arpa/",
    "http://\uff11\uff12\uff17.0.0.1/", "http://127\u30020\u30020\u30021/",
]


@pytest.mark.parametrize("url", INTERNAL)
def test_internal_destinations_are_refused(url: str) -> None:
    _, location = validate_url(url)
    with pytest.raises(InvalidInput, match="internal"):
        DestinationPolicy().check(location)


@pytest.mark.parametrize("url", ["http://10.0.0.1/", "http://intranet/wiki", "http://0x7f.1/"])
def test_an_intranet_deployment_can_allow_private_targets(url: str) -> None:
    _, location = validate_url(url)
    DestinationPolicy(allow_private=True).check(location)


@pytest.mark.parametrize("url", [
    "https://example.com/", "http://93.184.216.34/", "http://[2606:4700::1111]/",
    "https://1.1.1.1/dns", "https://sub.example.co.uk/x",
])
def test_public_destinations_are_allowed(url: str) -> None:
    _, location = validate_url(url)
    DestinationPolicy().check(location)


@pytest.mark.parametrize("url", [
    "https://evil.com\\.example.com/", "https://evil.com\\@example.com/",
    "http://ex%61mple.com/", "http://127.0.0.1%2f@example.com/", "http://1.2.3.08/",
    "http://256.0.0.1/", "http://1.2.3.4.5/", "http://exa<mple.com/", "http://[fe80::1%25eth0]/",
])
def test_hosts_a_browser_reads_otherwise_are_refused(url: str) -> None:
    with pytest.raises(InvalidInput):
        validate_url(url)


def test_location_over_2048_encoded_bytes_is_refused() -> None:
    validate_url("https://example.com/" + "a" * 2000)
    with pytest.raises(InvalidInput, match="2048 bytes"):
        validate_url("https://example.com/" + "é" * 700)  # 700 chars, 4200 bytes encoded


@pytest.mark.parametrize("url", ["https://lp.example/abc", "https://LP.example./x",
                                 "http://lp.example/", "https://lp.example:443/",
                                 "https://lp.example/stats/x", "http://api.test:8080/x"])
def test_links_to_the_service_itself_are_refused(url: str) -> None:
    policy = DestinationPolicy(own_urls=["https://lp.example"])
    _, location = validate_url(url)
    with pytest.raises(InvalidInput, match="this link shortener"):
        policy.check(location, own_url="http://api.test:8080")


def test_another_service_on_the_same_host_is_not_the_shortener() -> None:
    """An intranet deployment may link to a neighbour on another port."""
    policy = DestinationPolicy(allow_private=True)
    policy.check("http://127.0.0.1:9000/landing", own_url="http://127.0.0.1:8000")


def _policy(*blocked: str) -> tuple[DestinationPolicy, FakeBlocklist]:
    blocklist = FakeBlocklist(*blocked)
    return DestinationPolicy(blocklist, registrable_domain), blocklist


@pytest.mark.parametrize(("url", "blocked"), [
    ("https://evil.com/", True), ("https://a.b.evil.com/x", True), ("https://EVIL.com./", True),
    ("https://notevil.com/", False), ("https://evil.com.example.org/", False),
    ("https://shop.evil.co.uk/", True), ("https://evil.co.uk.example/", False),
    ("https://x.phish.github.io/", True), ("https://other.github.io/", False),
])
def test_blocklist_matches_the_registrable_domain_and_names_under_it(url: str, blocked: bool
                                                                    ) -> None:
    policy, _ = _policy("evil.com", "evil.co.uk", "phish.github.io")
    _, location = validate_url(url)
    if blocked:
        with pytest.raises(BlockedDestination):
            policy.check(location)
    else:
        policy.check(location)


def test_blocking_a_domain_disables_existing_links_within_the_refresh_interval() -> None:
    store = FakeLinkStore()
    policy, blocklist = _policy()
    link = service.shorten(store, "https://www.evil.example/x", now=NOW, policy=policy)
    assert service.resolve(store, link.code, NOW, policy) == link
    blocklist.add("evil.example")
    assert service.resolve(store, link.code, NOW + 0.5, policy) == link  # not re-read yet
    with pytest.raises(LinkBlocked):
        service.resolve(store, link.code, NOW + 1.01, policy)
    blocklist.remove("evil.example")
    assert service.resolve(store, link.code, NOW + 2.02, policy) == link


def test_the_redirect_reads_the_blocklist_stamp_at_most_once_a_second() -> None:
    store = FakeLinkStore()
    policy, blocklist = _policy("evil.example")
    link = service.shorten(store, "https://fine.example/", now=NOW, policy=policy)
    reads = blocklist.reads
    for i in range(1000):
        service.resolve(store, link.code, NOW + i / 1000, policy)
    assert blocklist.reads - reads <= 1


@pytest.mark.parametrize(("raw", "domain"), [("Evil.COM", "evil.com"), (".evil.com.", "evil.com"),
                                             ("bücher.example", "xn--bcher-kva.example")])
def test_blocked_domains_are_normalised(raw: str, domain: str) -> None:
    assert normalize_domain(raw) == domain


@pytest.mark.parametrize("raw", ["", "10.0.0.1", "https://evil.com/", "evil.com:80"])
def test_what_is_not_a_domain_cannot_be_blocked(raw: str) -> None:
    with pytest.raises(InvalidInput):
        normalize_domain(raw)
