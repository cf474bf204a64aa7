"""The dashboard in a real browser: what a user does on it and what they see."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Callable
from pathlib import Path

import pytest

if not os.environ.get("CI"):
    pytest.importorskip("playwright", reason="the playwright package is missing")
from playwright.sync_api import expect

from tests.browser.conftest import NARROW, WIDE, Api, Tab, Trap

CONTRAST_CHECK = (Path(__file__).parent / "contrast.js").read_text()

pytestmark = pytest.mark.browser

HOSTILE_UA = "<img src=x onerror=alert(1)>"
HOSTILE_REFERER = 'https://evil.example/"><script>alert(2)</script><img src=y onerror=alert(3)>'


def _alias(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


def test_shorten_generate_ten_clicks_and_watch_them_arrive(tab: Tab, trap: Trap, api: Api
                                                            ) -> None:
    """GIVEN a new short link made on the page, WHEN the user generates 10 clicks,
    THEN the page shows 10 clicks with their day, referrer, agent and rows, and the
    browser never followed a redirect."""
    page = tab.open()
    alias = _alias("launch")
    page.get_by_label("Long URL").fill(f"{trap.url}/landing")
    page.get_by_label("Alias (optional)").fill(alias)
    page.get_by_role("button", name="Shorten").click()

    short_url = f"{tab.base_url}/{alias}"
    expect(page.get_by_label("Short link")).to_have_value(short_url)
    expect(page.locator("#follow-link")).to_have_attribute("href", short_url)
    expect(page.locator("#stats-code")).to_have_text(alias)
    expect(page.locator("#kpi-total")).to_have_text("0")

    page.get_by_role("button", name="Generate 10 clicks").click()
    expect(page.locator("#kpi-total")).to_have_text("10", timeout=20_000)
    expect(page.locator("#drain")).to_contain_text("10 new clicks counted")

    stats = api.stats(alias)
    assert stats["total_clicks"] == 10
    humans = int(page.locator("#kpi-human").inner_text())
    bots = int(page.locator("#kpi-bot").inner_text())
    assert humans + bots == 10
    # The chart has one bar of 10, on the day the server counted them.
    [day] = stats["clicks_by_day"]
    expect(page.locator("#chart rect.bar[data-count='10']")).to_have_attribute("data-day",
                                                                                day["day"])
    assert page.locator("#chart rect.bar:not(.zero)").count() == 1
    # Tables: the page itself is the referrer, Chromium the agent, 10 recent rows.
    expect(page.locator("#t-referers tbody")).to_contain_text(f"{tab.base_url}/")
    expect(page.locator("#t-referers tbody td.num")).to_have_text(["10"])
    expect(page.locator("#t-agents tbody")).to_contain_text("HeadlessChrome")
    expect(page.locator("#t-browsers tbody")).to_contain_text("HeadlessChrome")
    expect(page.locator("#t-recent tbody tr")).to_have_count(10)
    # The request log shows every request; the diagram lit up along the click path.
    log = page.locator("#log tbody tr")
    expect(log.filter(has_text="/shorten")).to_contain_text(["201"])
    expect(log.filter(has_text=f"/{alias}").filter(has_text="3xx")).to_have_count(10)
    for part in ("queue", "consumer", "agg", "store"):
        hits = page.locator(f"#pipeline [data-part='{part}']").get_attribute("data-hits")
        assert int(hits or 0) >= 1, part
    assert trap.hits == []
    tab.screenshot("flow-1440")
    tab.assert_clean()


def test_open_server_needs_no_key_and_offers_one_for_the_links(tab: Tab, trap: Trap) -> None:
    """On ``serve --open`` the page works without a key (no prompt, no refused request);
    only the links table asks for one."""
    page = tab.open()
    expect(page.locator("#key-panel")).to_be_hidden()
    expect(page.locator("#key-label")).to_have_text("none")
    expect(page.locator("#links-locked")).to_contain_text("needs an API key")
    page.get_by_label("Long URL").fill(f"{trap.url}/open")
    page.get_by_role("button", name="Shorten").click()
    expect(page.locator("#shorten-msg")).to_contain_text("Created")
    page.get_by_role("button", name="Enter a key").click()
    expect(page.get_by_role("heading", name="API key")).to_be_visible()
    expect(page.locator("#panel-shorten")).to_be_visible()  # nothing is locked away
    page.get_by_role("button", name="Close").click()
    expect(page.locator("#key-panel")).to_be_hidden()


def test_copy_puts_the_short_link_on_the_clipboard(tab: Tab, trap: Trap) -> None:
    tab.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=tab.base_url)
    page = tab.open()
    page.get_by_label("Long URL").fill(f"{trap.url}/copy")
    page.get_by_role("button", name="Shorten").click()
    short_url = page.get_by_label("Short link")
    expect(short_url).to_have_value(re.compile(rf"^{re.escape(tab.base_url)}/\w+$"))
    page.get_by_role("button", name="Copy").click()
    expect(page.locator("#shorten-msg")).to_have_text("Short link copied.")
    assert page.evaluate("navigator.clipboard.readText()") == short_url.input_value()


def test_hostile_user_agent_and_referer_render_as_text(tab: Tab, api: Api, trap: Trap
                                                       ) -> None:
    """GIVEN clicks whose User-Agent and Referer are HTML, WHEN their stats are shown,
    THEN the page shows those characters, runs nothing and creates no element."""
    link = api.shorten(f'{trap.url}/"><img/src=z/onerror=alert(4)>')
    for _ in range(3):
        api.click(link["code"], user_agent=HOSTILE_UA, referer=HOSTILE_REFERER)
    api.wait_for_clicks(link["code"], 3)

    page = tab.open(f"/?code={link['code']}")
    expect(page.locator("#kpi-total")).to_have_text("3")
    expect(page.locator("#t-agents tbody .text")).to_have_text([HOSTILE_UA])
    expect(page.locator("#t-referers tbody .text")).to_have_text([HOSTILE_REFERER])
    expect(page.locator("#stats-original")).to_have_text(link["original_url"])
    expect(page.locator("#t-recent tbody tr").first).to_contain_text(HOSTILE_UA)
    assert page.locator("img").count() == 0
    assert page.locator("script").count() == 1  # the page's own module
    assert page.evaluate("document.querySelectorAll('[onerror]').length") == 0
    tab.screenshot("hostile-1440")
    tab.assert_clean()  # includes: no dialog fired


def test_deep_link_opens_the_stats_of_a_code(tab: Tab, api: Api, trap: Trap) -> None:
    link = api.shorten(f"{trap.url}/deep")
    api.click(link["code"], user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) "
              "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
              referer="https://news.example/item")
    api.wait_for_clicks(link["code"], 1)
    page = tab.open(f"/?code={link['code']}")
    expect(page.locator("#stats-code")).to_have_text(link["code"])
    expect(page.get_by_label("Short code")).to_have_value(link["code"])
    expect(page.locator("#kpi-total")).to_have_text("1")
    expect(page.locator("#kpi-human")).to_have_text("1")
    expect(page.locator("#t-devices tbody")).to_contain_text("mobile")
    expect(page.locator("#t-referers tbody")).to_contain_text("https://news.example/item")


def test_unknown_code_says_not_found(tab: Tab) -> None:
    tab.allow_console_error(r"status of 404")  # the browser logs every failed fetch
    page = tab.open("/?code=no-such-code")
    expect(page.locator("#stats-empty")).to_contain_text("Short URL not found")
    expect(page.get_by_role("button", name="Generate 10 clicks")).to_be_disabled()


def test_bad_url_is_refused_on_the_page(tab: Tab) -> None:
    page = tab.open()
    page.get_by_label("Long URL").fill("ftp://example.com/file")
    page.get_by_role("button", name="Shorten").click()
    expect(page.locator("#shorten-msg")).to_contain_text("http:// or https://")
    expect(page.get_by_label("Long URL")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#result")).to_be_hidden()


@pytest.mark.parametrize("viewport", [NARROW, WIDE], ids=["375px", "1440px"])
def test_layout_has_no_horizontal_overflow(open_tab: Callable[..., Tab], api: Api,
                                           trap: Trap, viewport: dict[str, int]) -> None:
    """Long unbroken agents and referrers wrap or clip inside their tables; the page
    itself never scrolls sideways."""
    link = api.shorten(f"{trap.url}/" + "very-long-path-segment/" * 12)
    api.click(link["code"], user_agent="Agent/" + "x" * 300, referer="https://r.example/" +
              "y" * 300)
    api.click(link["code"], user_agent="Mozilla/5.0 (Windows NT 10.0; Win64; x64) "
              "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36")
    api.wait_for_clicks(link["code"], 2)
    tab = open_tab(viewport=viewport)
    page = tab.open(f"/?code={link['code']}")
    expect(page.locator("#kpi-total")).to_have_text("2")
    page.locator("#settings summary").click()  # the settings popover must fit too
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"page is {widths[0]}px wide in a {widths[1]}px window"
    sticking_out = page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(e => e.getClientRects().length && !e.closest('.table-wrap'))
        .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
        .map(e => e.tagName + '#' + e.id + '.' + e.className)""")
    assert sticking_out == []
    page.locator("#settings summary").click()
    tab.screenshot(f"dashboard-{viewport['width']}")


def test_every_control_has_a_label(tab: Tab) -> None:
    page = tab.open()
    page.locator("#settings summary").click()
    unlabelled = page.evaluate("""() => [...document.querySelectorAll(
            'input, select, textarea, button, a[href], summary')]
        .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
                     && !e.textContent.trim())
        .map(e => e.outerHTML.slice(0, 80))""")
    assert unlabelled == []


def test_keyboard_alone_can_shorten_and_generate_clicks(tab: Tab, trap: Trap) -> None:
    page = tab.open()
    focused = lambda: page.evaluate("document.activeElement && document.activeElement.id")  # noqa: E731

    def tab_to(element_id: str) -> None:
        for _ in range(40):
            page.keyboard.press("Tab")
            if focused() == element_id:
                outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
                assert outline != "none", f"#{element_id} shows no focus ring"
                return
        raise AssertionError(f"Tab never reached #{element_id}")

    tab_to("url")
    page.keyboard.type(f"{trap.url}/keys")
    page.keyboard.press("Enter")
    expect(page.locator("#stats-code")).not_to_have_text("")
    tab_to("generate-btn")
    page.keyboard.press("Enter")
    expect(page.locator("#kpi-total")).to_have_text("10", timeout=20_000)


def test_api_base_setting_talks_to_another_origin_and_persists(tab: Tab, trap: Trap) -> None:
    """The page on 127.0.0.1 pointed at the API as localhost (another origin, via CORS)
    shortens, counts 10 clicks and remembers the setting across a reload."""
    other = tab.base_url.replace("127.0.0.1", "localhost")
    page = tab.open()
    page.locator("#settings summary").click()
    page.get_by_label("API base URL").fill(other + "/")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#api-base-label")).to_have_text(other)
    expect(page.locator("#health")).to_have_attribute("data-state", "ok")

    page.get_by_label("Long URL").fill(f"{trap.url}/cors")
    page.get_by_role("button", name="Shorten").click()
    expect(page.get_by_label("Short link")).to_have_value(re.compile(rf"^{re.escape(other)}/"))
    expect(page.locator("#stats-code")).not_to_have_text("")
    page.get_by_role("button", name="Generate 10 clicks").click()
    expect(page.locator("#kpi-total")).to_have_text("10", timeout=30_000)
    api_calls = [u for u in tab.requests if "/shorten" in u or "/stats/" in u]
    assert api_calls
    assert all(u.startswith(other + "/") for u in api_calls), api_calls
    assert trap.hits == []

    page.reload()
    page.locator("body[data-ready='true']").wait_for()
    expect(page.locator("#api-base-label")).to_have_text(other)
    page.locator("#settings summary").click()
    page.get_by_role("button", name="Use this server").click()
    expect(page.locator("#api-base-label")).to_have_text("this server")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_text_has_readable_contrast(open_tab: Callable[..., Tab], api: Api, trap: Trap,
                                    scheme: str) -> None:
    """Every visible text, in light and dark mode, meets WCAG AA contrast (4.5:1; 3:1 large)."""
    link = api.shorten(f"{trap.url}/contrast")
    api.click(link["code"], user_agent="curl/8.0")
    api.click(link["code"], user_agent="Mozilla/5.0 (Windows NT 10.0; Win64; x64) "
              "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36")
    api.wait_for_clicks(link["code"], 2)
    tab = open_tab(color_scheme=scheme)
    page = tab.open(f"/?code={link['code']}")
    expect(page.locator("#kpi-total")).to_have_text("2")
    page.get_by_label("Long URL").fill("not a url")
    page.get_by_role("button", name="Shorten").click()  # an error message, in its colour
    expect(page.locator("#shorten-msg")).to_have_attribute("data-kind", "error")
    expect(page.locator("#pipeline .lit")).to_have_count(0, timeout=5000)
    assert page.evaluate(CONTRAST_CHECK) == []
    tab.screenshot(f"contrast-{scheme}")
