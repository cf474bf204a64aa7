"""The edge-neutral HTTP behaviour: one error mapping, no 5xx for any input."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linkpulse.api import HttpApi, response_for
from linkpulse.core.errors import BackendUnavailable, LinkNotFound, PayloadTooLarge
from tests.unit.fakes import FakeAnalytics, FakeLinkStore, FakeSender

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


def _api() -> tuple[HttpApi, FakeLinkStore]:
    store = FakeLinkStore()
    return HttpApi(store, FakeAnalytics(), FakeSender(), max_body_bytes=4096), store


urls = st.sampled_from(["https://example.com/", "http://a.example/x?y", "javascript:x",
                        "https://bücher.example/", "ftp://x/"]) | json_values


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.fixed_dictionaries({"url": urls}, optional={
    "alias": json_values | st.from_regex(r"[A-Za-z0-9_-]{1,40}", fullmatch=True),
    "expires_at": json_values | st.integers(), "other": json_values}) | st.dictionaries(
    st.text(max_size=5), json_values, max_size=3))
def test_no_shorten_body_gets_a_5xx_and_failures_store_nothing(body: dict[str, object]) -> None:
    api, store = _api()
    reply = api.shorten(json.dumps(body).encode(), "http://lp")
    assert reply.status in (201, 400, 413)
    assert "error" in reply.json() or reply.status == 201
    assert len(store.links) == (1 if reply.status == 201 else 0)


@given(st.binary(max_size=200))
def test_arbitrary_bytes_get_a_4xx_not_a_5xx(body: bytes) -> None:
    api, _ = _api()
    assert api.shorten(body, "http://lp").status < 500


def test_errors_map_to_statuses_in_one_place() -> None:
    assert response_for(PayloadTooLarge("big")).status == 413
    assert response_for(LinkNotFound("x")).json() == {"error": "Short URL not found"}
    unavailable = response_for(BackendUnavailable("db locked"))
    assert unavailable.status == 503
    assert unavailable.headers["retry-after"] == "1"
    assert response_for(RuntimeError("bug")).status == 500


def test_redirect_counts_get_but_not_head() -> None:
    api, _ = _api()
    code = api.shorten(b'{"url": "https://e.example/"}', "http://lp").json()["code"]
    sender = api.sender
    assert api.redirect(code, count=False, user_agent=None, referer=None,
                        client_ip=None).status == 302
    assert sender.sent == []  # type: ignore[attr-defined]
    api.redirect(code, count=True, user_agent=None, referer=None, client_ip=None)
    assert len(sender.sent) == 1  # type: ignore[attr-defined]


def test_short_url_uses_the_configured_base_over_the_request() -> None:
    store = FakeLinkStore()
    api = HttpApi(store, FakeAnalytics(), FakeSender(), base_url="https://lp.example/")
    body = api.shorten(b'{"url": "https://e.example/"}', "http://10.0.0.1:8000").json()
    assert body["short_url"] == f"https://lp.example/{body['code']}"
