"""The click export's pages: cursors resume exactly, and belong to one link."""

from __future__ import annotations

import pytest

from linkpulse.core import clickexport
from linkpulse.core.clicks import make_event
from linkpulse.core.errors import InvalidInput, LinkNotFound
from linkpulse.core.models import Link
from linkpulse.core.service import enrich
from tests.unit.fakes import FakeAnalytics, FakeLinkStore

T0 = 1_780_000_000.0


@pytest.fixture
def stores() -> tuple[FakeLinkStore, FakeAnalytics]:
    links, analytics = FakeLinkStore(), FakeAnalytics()
    for code in ("abcdefg", "hijklmn"):
        links.create_if_absent(Link(code, "https://e.example/", "https://e.example/", 0,
                                    owner="k1"))
    analytics.record([enrich(make_event("abcdefg", "ua", "", "192.0.2.7", T0 + i,
                                        country="NL" if i % 2 else ""))
                      for i in range(7)])
    return links, analytics


def test_pages_follow_each_other_without_gaps_or_repeats(
        stores: tuple[FakeLinkStore, FakeAnalytics]) -> None:
    links, analytics = stores
    seen: list[str] = []
    cursor = None
    while True:
        page = clickexport.click_page(links, analytics, "abcdefg", lambda o: True, None, None,
                                      cursor, page=3)
        seen += [c.click_id for c in page.clicks]
        if page.next is None:
            break
        cursor = page.next
    assert seen == sorted(c.event.click_id for c in analytics.seen.values())


def test_a_cursor_of_another_link_is_refused(
        stores: tuple[FakeLinkStore, FakeAnalytics]) -> None:
    links, analytics = stores
    page = clickexport.click_page(links, analytics, "abcdefg", lambda o: True, None, None,
                                  None, page=2)
    assert page.next is not None
    with pytest.raises(InvalidInput, match="another link"):
        clickexport.click_page(links, analytics, "hijklmn", lambda o: True, None, None,
                               page.next)


def test_another_keys_link_is_not_found(stores: tuple[FakeLinkStore, FakeAnalytics]) -> None:
    links, analytics = stores
    with pytest.raises(LinkNotFound):
        clickexport.click_page(links, analytics, "abcdefg", lambda owner: owner == "k2",
                               None, None, None)


def test_csv_and_ndjson_carry_the_same_clicks(
        stores: tuple[FakeLinkStore, FakeAnalytics]) -> None:
    links, analytics = stores
    clicks = clickexport.click_page(links, analytics, "abcdefg", lambda o: True, None, None,
                                    None).clicks
    csv_lines = "".join(clickexport.to_csv(clicks)).splitlines()
    ndjson = list(clickexport.to_ndjson(clicks))
    assert csv_lines[0] == ",".join(clickexport.COLUMNS)
    assert len(csv_lines) - 1 == len(ndjson) == 7
    assert '"country": "ZZ"' in ndjson[0]
    assert '"ip": "192.0.2.0"' in ndjson[0]
