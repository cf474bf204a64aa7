"""The use cases, over fakes of the ports."""

from __future__ import annotations

import itertools

import pytest

from linkpulse.core import service
from linkpulse.core.cache import CachedLinkStore
from linkpulse.core.clicks import decode_event, encode_event, make_event
from linkpulse.core.errors import (
    AliasTaken,
    CodeSpaceExhausted,
    InvalidInput,
    LinkExpired,
    LinkNotFound,
)
from linkpulse.core.models import Link, Message
from tests.unit.fakes import FakeAnalytics, FakeLinkStore, FakeSender

NOW = 1_780_000_000.0


def test_shorten_stores_a_link_under_a_fresh_code() -> None:
    store = FakeLinkStore()
    link = service.shorten(store, "https://example.com/", now=NOW)
    assert store.links[link.code] == link
    assert len(link.code) == 7
    assert link.created_at == int(NOW)


def test_shorten_retries_collisions_and_grows_the_code_when_crowded(
        monkeypatch: pytest.MonkeyPatch) -> None:
    store = FakeLinkStore()
    for ch in "abcdefghijklmnopqrstuvwxyz":
        store.links[ch] = Link(ch, "https://taken/", "https://taken/", 0)
    letters = itertools.cycle("abc")  # every 1-char attempt collides
    from linkpulse.core import codes

    real = codes.generate_code
    monkeypatch.setattr(codes, "generate_code",
                        lambda n: next(letters) if n == 1 else real(n))
    link = service.shorten(store, "https://example.com/new", code_length=1)
    assert len(link.code) == 2
    assert store.links["a"].url == "https://taken/"


def test_shorten_gives_up_after_a_bounded_number_of_collisions(
        monkeypatch: pytest.MonkeyPatch) -> None:
    store = FakeLinkStore()
    store.links["same"] = Link("same", "https://taken/", "https://taken/", 0)
    from linkpulse.core import codes

    monkeypatch.setattr(codes, "generate_code", lambda n: "same")
    with pytest.raises(CodeSpaceExhausted):
        service.shorten(store, "https://example.com/")
    assert len(store.links) == 1


def test_taken_alias_is_reported_and_keeps_its_link() -> None:
    store = FakeLinkStore()
    service.shorten(store, "https://first.example/", alias="promo")
    with pytest.raises(AliasTaken):
        service.shorten(store, "https://second.example/", alias="promo")
    assert store.links["promo"].url == "https://first.example/"


def test_resolve_refuses_impossible_codes_without_touching_the_store() -> None:
    store = FakeLinkStore()
    for code in ("", "a" * 33, "../etc", "a b"):
        with pytest.raises(LinkNotFound):
            service.resolve(store, code)
    assert store.gets == 0


def test_expired_link_does_not_resolve() -> None:
    store = FakeLinkStore()
    link = service.shorten(store, "https://e.example/", expires_at=NOW + 60, now=NOW)
    assert service.resolve(store, link.code, now=NOW + 59) == link
    with pytest.raises(LinkExpired):
        service.resolve(store, link.code, now=NOW + 60)


@pytest.mark.parametrize("expiry", [NOW - 1, NOW, "1", True, NOW + 200 * 365 * 86400])
def test_bad_expiry_is_refused(expiry: object) -> None:
    with pytest.raises(InvalidInput):
        service.shorten(FakeLinkStore(), "https://e.example/", expires_at=expiry, now=NOW)


def test_record_click_queues_an_anonymised_event() -> None:
    sender = FakeSender()
    service.record_click(sender, "abc", "UA", "https://ref/", "192.0.2.44")
    event = decode_event(sender.sent[0])
    assert (event.code, event.user_agent, event.referer, event.ip) == (
        "abc", "UA", "https://ref/", "192.0.2.0")


def test_record_click_never_fails_the_redirect() -> None:
    class Broken:
        def send(self, body: str) -> None:
            raise OSError("disk full")

    click_id = service.record_click(Broken(), "abc", None, None, None)
    assert len(click_id) == 32


def _message(body: str, n: int) -> Message:
    return Message(str(n), body, f"r{n}", 1, NOW)


def test_process_batch_fails_only_the_poison_message() -> None:
    good = [_message(encode_event(make_event("c", "UA", "", "1.2.3.4")), i) for i in range(9)]
    poison = _message("{oops", 99)
    analytics = FakeAnalytics()
    result = service.process_batch(analytics, [*good[:4], poison, *good[4:]])
    assert result.failed == (poison,)
    assert result.succeeded == tuple(good)
    assert result.recorded == 9


def test_process_batch_fails_everything_when_the_store_fails() -> None:
    batch = [_message(encode_event(make_event("c", "UA", "", "")), i) for i in range(3)]
    result = service.process_batch(FakeAnalytics(fail=True), batch)
    assert result.succeeded == ()
    assert result.failed == tuple(batch)


@pytest.mark.parametrize("size", [2, 10, 1000, 10_000])
def test_an_unrecordable_message_fails_alone_and_the_rest_is_counted(size: int) -> None:
    """GIVEN one click the store refuses among good ones WHEN the batch is processed
    THEN every good click is counted and only the bad message comes back."""
    batch = [_message(encode_event(make_event("c", "UA", "", "")), i) for i in range(size)]
    bad = _message(encode_event(make_event("c", "refused", "", "")), 10**6)
    batch.insert(size // 3, bad)
    analytics = FakeAnalytics(refuse=frozenset({"refused"}))
    result = service.process_batch(analytics, batch)
    assert result.failed == (bad,)
    assert len(result.succeeded) == size
    assert result.recorded == size
    assert analytics.calls <= 2 * (size.bit_length() + 1) + 1  # bisection, not n writes


def test_a_storage_outage_costs_a_bounded_number_of_writes() -> None:
    batch = [_message(encode_event(make_event("c", "UA", "", "")), i) for i in range(10_000)]
    analytics = FakeAnalytics(fail=True)
    result = service.process_batch(analytics, batch)
    assert result.succeeded == ()
    assert sorted(result.failed) == sorted(batch)
    assert analytics.calls <= service.MAX_SPLIT_ATTEMPTS + 1


@pytest.mark.parametrize("expiry", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_expiry_is_refused(expiry: float) -> None:
    with pytest.raises(InvalidInput):
        service.shorten(FakeLinkStore(), "https://example.com/", expires_at=expiry, now=NOW)


def test_redelivered_batch_records_nothing_new() -> None:
    batch = [_message(encode_event(make_event("c", "UA", "", "")), i) for i in range(3)]
    analytics = FakeAnalytics()
    assert service.process_batch(analytics, batch).recorded == 3
    assert service.process_batch(analytics, batch).recorded == 0


def test_cache_serves_repeat_reads_and_never_caches_misses() -> None:
    inner = FakeLinkStore()
    cached = CachedLinkStore(inner, max_entries=2)
    assert cached.get("x") is None
    link = Link("x", "https://x/", "https://x/", 0)
    cached.create_if_absent(link)
    assert cached.get("x") == link  # the miss was not remembered
    gets = inner.gets
    assert cached.get("x") == link
    assert inner.gets == gets


def test_warmed_cache_answers_without_the_store_up_to_its_size() -> None:
    inner = FakeLinkStore()
    for i in range(5):
        inner.create_if_absent(Link(f"c{i}", f"https://{i}/", f"https://{i}/", 0))
    cached = CachedLinkStore(inner, max_entries=3)
    assert cached.warm() == 3
    hits = [cached.get(f"c{i}") for i in range(5)]
    assert all(hits)
    assert inner.gets == 2  # the two links that did not fit were read from the store


def test_full_cache_evicts_the_least_recently_used_link() -> None:
    inner = FakeLinkStore()
    for code in "abc":
        inner.create_if_absent(Link(code, f"https://{code}/", f"https://{code}/", 0))
    cached = CachedLinkStore(inner, max_entries=2)
    cached.get("a")
    cached.get("b")
    cached.get("a")  # a is now the most recently used
    cached.get("c")  # evicts b, not a
    gets = inner.gets
    cached.get("a")
    assert inner.gets == gets
    cached.get("b")
    assert inner.gets == gets + 1


def test_a_cache_with_a_ttl_reads_an_edited_link_again() -> None:
    """AWS: no change log, so an entry is served at most ``ttl`` seconds."""
    from dataclasses import replace

    from linkpulse.core.cache import CachedLinkStore
    from tests.support import wait_for

    inner = FakeLinkStore()
    link = Link("ttl1", "https://a.example/", "https://a.example/", 0)
    inner.create_if_absent(link)
    cache = CachedLinkStore(inner, 10, ttl=0.2)  # type: ignore[arg-type]
    assert cache.get("ttl1") == link
    inner.links["ttl1"] = replace(link, disabled=True)
    assert not cache.get("ttl1").disabled  # type: ignore[union-attr]  # still cached
    wait_for(lambda: cache.get("ttl1").disabled, timeout=2,  # type: ignore[union-attr]
             message="the edit after the ttl")


def test_forward_query_appends_before_the_fragment_and_encodes() -> None:
    from linkpulse.core.service import forward_query

    assert forward_query("https://a.example/p#top", "utm=1") == "https://a.example/p?utm=1#top"
    assert forward_query("https://a.example/?x=1", "a=<b> c") == (
        "https://a.example/?x=1&a=%3Cb%3E%20c")
    assert forward_query("https://a.example/", "q=\r\nSet-Cookie:x") == (
        "https://a.example/?q=%0D%0ASet-Cookie:x")
    assert forward_query("https://a.example/", "x" * 3000) == "https://a.example/"
