"""The hand-written click message encoder writes exactly what json.dumps would."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from linkpulse.core.clicks import decode_event, encode_event, make_event, new_click
from linkpulse.core.models import ClickEvent

texts = st.text(max_size=40)
events = st.builds(
    ClickEvent, click_id=texts.filter(bool), code=texts.filter(bool),
    timestamp=st.floats(min_value=0, max_value=4e9, allow_nan=False), user_agent=texts,
    referer=texts, ip=texts, country=texts, visitor=texts,
)


@given(events)
def test_encoding_is_byte_for_byte_json_dumps(event: ClickEvent) -> None:
    expected = json.dumps(
        {"v": 1, "id": event.click_id, "code": event.code, "ts": event.timestamp,
         "ua": event.user_agent, "ref": event.referer, "ip": event.ip,
         "cc": event.country, "vis": event.visitor},
        separators=(",", ":"), ensure_ascii=False,
    )
    assert encode_event(event) == expected


@given(events)
def test_an_encoded_event_decodes_to_itself(event: ClickEvent) -> None:
    assert decode_event(encode_event(event)) == event


@given(st.text(max_size=600), st.text(max_size=600),
       st.one_of(st.sampled_from(["192.0.2.44", "2001:db8:abcd:12::1", "", None, "junk",
                                  '1."2.3.4', "::ffff:10.0.0.1"]), st.none(), st.text()),
       st.floats(min_value=0, max_value=4e9, allow_nan=False))
def test_the_redirects_shortcut_writes_what_make_and_encode_event_write(
    ua: str, ref: str, ip: str | None, now: float,
) -> None:
    """new_click (the redirect's path, no ClickEvent in between) is encode_event(make_event)."""
    click_id, body = new_click("abc1234", ua, ref, ip, now, "NL", "0123456789abcdef")
    event = make_event("abc1234", ua, ref, ip, now, "NL", "0123456789abcdef")
    assert body == encode_event(event._replace(click_id=click_id))
    assert decode_event(body) == event._replace(click_id=click_id)


def test_a_message_from_before_countries_and_visitors_still_decodes() -> None:
    old = ('{"v":1,"id":"019ac2","code":"abc1234","ts":1795729110.5,"ua":"curl/8",'
           '"ref":"","ip":"192.0.2.0"}')
    event = decode_event(old)
    assert (event.code, event.ip, event.country, event.visitor) == (
        "abc1234", "192.0.2.0", "", "")
