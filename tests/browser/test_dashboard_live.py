"""The dashboard follows clicks live (the event stream, no polling) and shows the newer
stats panels: unique visitors, countries, the date range and clicks per hour, each where
the API gives its field."""

from __future__ import annotations

import os
import secrets
from datetime import UTC, datetime

import pytest

if not os.environ.get("CI"):
    pytest.importorskip("playwright", reason="the playwright package is missing")
from playwright.sync_api import expect

from tests.browser.conftest import Api, Tab, Trap

pytestmark = pytest.mark.browser

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
HOSTILE_REFERER = 'https://evil.example/"><img src=y onerror=alert(3)>'


def test_a_click_appears_live_without_polling(tab: Tab, api: Api, trap: Trap) -> None:
    """GIVEN a link's stats on the page, WHEN someone elsewhere follows the link, THEN the
    click shows in Live clicks (its referer as text) and the totals update, from the event
    stream alone: the page asks for the stats again only because a click arrived."""
    code = api.shorten(f"{trap.url}/live", alias=f"live-{secrets.token_hex(4)}")["code"]
    page = tab.open(f"/?code={code}")
    expect(page.locator("#live-state")).to_have_text("following the event stream")
    stats_requests = sum("/stats/" in u for u in tab.requests)

    api.click(code, user_agent=FIREFOX, referer=HOSTILE_REFERER)
    row = page.locator("#t-live tbody tr[data-click-id]")
    expect(row).to_have_count(1, timeout=5_000)
    expect(row.locator("td[data-label='Browser']")).to_have_text("Firefox")
    expect(row.locator("td[data-label='Referrer']")).to_have_text(HOSTILE_REFERER)
    assert page.locator("#t-live img").count() == 0
    expect(page.locator("#kpi-total")).to_have_text("1", timeout=5_000)
    assert sum("/stats/" in u for u in tab.requests) - stats_requests <= 2
    assert sum("/api/v1/events" in u for u in tab.requests) == 1  # one stream, no polls
    assert trap.hits == []
    tab.assert_clean()


def test_turning_live_updates_off_ends_the_stream(tab: Tab, api: Api, trap: Trap) -> None:
    code = api.shorten(f"{trap.url}/off", alias=f"off-{secrets.token_hex(4)}")["code"]
    page = tab.open(f"/?code={code}")
    expect(page.locator("#live-state")).to_have_text("following the event stream")
    page.get_by_label("Live updates").uncheck()
    expect(page.locator("#t-live")).to_contain_text("Live updates are off.")
    api.click(code, user_agent=FIREFOX)
    api.wait_for_clicks(code, 1)
    expect(page.locator("#kpi-total")).to_have_text("0")  # nothing refreshed it
    tab.assert_clean()


def test_the_new_stats_panels_render_what_the_api_gives(tab: Tab, api: Api, trap: Trap
                                                        ) -> None:
    """Unique visitors, countries and clicks per hour show when the stats carry them,
    and stay out of the way (a dash, hidden) when they do not; a date range is sent as
    ?from=&to= and either shown or refused in words."""
    code = api.shorten(f"{trap.url}/panels", alias=f"panels-{secrets.token_hex(4)}")["code"]
    api.click(code, user_agent=FIREFOX)
    stats = api.wait_for_clicks(code, 1)
    page = tab.open(f"/?code={code}")
    expect(page.locator("#kpi-total")).to_have_text("1")
    if "unique_visitors" in stats:
        expect(page.locator("#kpi-unique")).to_have_text(str(stats["unique_visitors"]))
    else:
        expect(page.locator("#kpi-unique")).to_have_text("\u2013")
    countries = page.locator("#countries-section")
    if "countries" in stats:
        expect(countries).to_be_visible()
        expect(page.locator("#t-countries tbody tr")).to_have_count(
            max(1, len(stats["countries"])))
    else:
        expect(countries).to_be_hidden()
    hours = page.locator("#hours-section")
    if "clicks_by_hour" in stats:
        expect(hours).to_be_visible()
        expect(page.locator("#hours-chart rect.bar[data-count='1']")).to_have_count(1)
    else:
        expect(hours).to_be_hidden()

    today = datetime.now(UTC).strftime("%Y-%m-%d")
    ranged = api.http.get(f"/stats/{code}", params={"from": today, "to": today})
    if ranged.status_code != 200:  # an API without ranges refuses the parameters
        tab.allow_console_error("status of 400")
    page.get_by_label("From (UTC)").fill(today)
    page.get_by_label("To (UTC)").fill(today)
    page.get_by_role("button", name="Apply range").click()
    assert any(f"/stats/{code}?from={today}&to={today}" in u for u in tab.requests)
    if ranged.status_code == 200:
        expect(page.locator("#range-msg")).to_have_text(f"Showing {today} to {today} (UTC).")
        expect(page.locator("#kpi-total")).to_have_text("1")
    else:
        expect(page.locator("#range-msg")).to_contain_text("This range was refused")
    page.get_by_role("button", name="All time").click()
    expect(page.locator("#range-msg")).to_have_text("")
    page.get_by_label("From (UTC)").fill("2026-12-05")
    page.get_by_label("To (UTC)").fill("2026-12-01")
    page.get_by_role("button", name="Apply range").click()
    expect(page.locator("#range-msg")).to_have_text("The start of the range is after its end.")
    tab.assert_clean()
