"""Click events: ids, IP anonymisation, the queue wire format, UA classification."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linkpulse.core.clicks import (
    anonymise_ip,
    decode_event,
    encode_event,
    make_event,
    new_click_id,
)
from linkpulse.core.errors import PoisonMessage
from linkpulse.core.useragent import classify


@pytest.mark.parametrize(("raw", "anonymised"), [
    ("203.0.113.77", "203.0.113.0"),
    ("10.1.2.3", "10.1.2.0"),
    ("2001:db8:abcd:12:1:2:3:4", "2001:db8:abcd::"),
    ("::ffff:198.51.100.9", "198.51.100.0"),
    ("fe80::1%eth0", "fe80::"),
    ("", ""),
    (None, ""),
    ("not-an-ip", ""),
    ("1.2.3", ""),
    ('1."2.3.4', ""),  # a forged X-Forwarded-For behind a trusting proxy
    ("a.b.c.d", ""),
    ("\u0661.\u0662.\u0663.\u0664", ""),  # Arabic-Indic digits: digits, not ASCII ones
])
def test_ip_is_anonymised_before_it_leaves_the_request(raw: str | None, anonymised: str) -> None:
    assert anonymise_ip(raw) == anonymised


def test_click_ids_sort_by_time_and_are_unique() -> None:
    ids = [new_click_id(1_700_000_000 + i / 1000) for i in range(2000)]
    same_ms = [new_click_id(1_700_000_000.5) for _ in range(2000)]
    assert ids == sorted(ids)
    assert same_ms == sorted(same_ms)
    assert len(set(ids + same_ms)) == 4000
    assert all(len(i) == 32 for i in ids)


@given(st.text(max_size=600), st.text(max_size=600))
def test_events_round_trip_through_the_queue_format(ua: str, ref: str) -> None:
    event = make_event("abc1234", ua, ref, "192.0.2.1", now=1_700_000_000.25)
    assert decode_event(encode_event(event)) == event
    assert len(event.user_agent) <= 512


@pytest.mark.parametrize("body", [
    "", "not json", "[]", "null", '{"v": 2, "id": "x", "code": "c", "ts": 1}',
    '{"v": 1, "code": "c", "ts": 1}', '{"v": 1, "id": "x", "code": "c", "ts": "soon"}',
    '{"v": 1, "id": 5, "code": "c", "ts": 1}', '{"v": 1, "id": "", "code": "c", "ts": 1}',
    '{"v": 1, "id": "x", "code": "c", "ts": NaN}', '{"v": 1, "id": "x", "code": "c", "ts": 1e300}',
    '{"v": 1, "id": "x", "code": "c", "ts": -1}', '{"v": 1, "id": "x", "code": null, "ts": 1}',
    '{"v": 1, "id": "x", "code": "c", "ts": 1, "ua": ["list"]}',
])
def test_undecodable_messages_are_poison(body: str) -> None:
    with pytest.raises(PoisonMessage):
        decode_event(body)


@pytest.mark.parametrize(("ua", "browser", "device", "bot"), [
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/120.0.0.0 Safari/537.36", "Chrome", "desktop", False),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
     "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1", "Mobile Safari", "mobile",
     False),
    ("Mozilla/5.0 (iPad; CPU OS 16_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/16.0 Mobile/15E148 Safari/604.1", "Mobile Safari", "tablet", False),
    ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "Googlebot",
     "bot", True),
    ("curl/8.5.0", "curl", "bot", True),
    ("", "Unknown", "bot", True),
])
def test_user_agents_are_classified(ua: str, browser: str, device: str, bot: bool) -> None:
    c = classify(ua)
    assert (c.browser, c.device, c.is_bot) == (browser, device, bot)
