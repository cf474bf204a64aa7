"""The dashboard on a default (keyed) server: the key prompt, the key in the address,
a revoked key, and the links table. What a user does on the page and what they see."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

if not os.environ.get("CI"):
    pytest.importorskip("playwright", reason="the playwright package is missing")
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import Tab, Trap
from tests.support import LiveServer, printed_admin_key, wait_for

pytestmark = pytest.mark.browser

REFUSED = r"status of 401"  # Chromium logs every 401 the page is expected to get
# A key without the admin scope is refused the queue depth once (the page then remembers).
NOT_ADMIN = r"status of 403"
HOSTILE_TITLE = '<img src=x onerror=alert(1)>"><script>alert(2)</script>'


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A default server: keys required (this overrides the open server of conftest)."""
    live = LiveServer(tmp_path_factory.mktemp("dashboard-keys") / "keys.db",
                      allow_private_targets=True)  # links to a local trap
    yield live
    live.stop()


@pytest.fixture(scope="module")
def admin_key(server: LiveServer) -> str:
    return printed_admin_key(server)


class Keyed:
    """The management API over HTTP with one key, for set-up and for checking results."""

    def __init__(self, base_url: str, key: str) -> None:
        self.key = key
        self.http = httpx.Client(base_url=base_url, timeout=10, follow_redirects=False,
                                 headers={"authorization": f"Bearer {key}"})

    def new_key(self) -> tuple[str, Keyed]:
        name = f"dash-{secrets.token_hex(4)}"
        reply = self.http.post("/api/v1/keys", json={"name": name})
        assert reply.status_code == 201, reply.text
        return name, Keyed(str(self.http.base_url), reply.json()["key"])

    def revoke(self, name: str) -> None:
        assert self.http.delete(f"/api/v1/keys/{name}").status_code == 204

    def link(self, url: str, **fields: Any) -> dict[str, Any]:
        reply = self.http.post("/api/v1/links", json={"url": url, **fields})
        assert reply.status_code == 201, reply.text
        made: dict[str, Any] = reply.json()
        return made

    def get(self, code: str) -> httpx.Response:
        return self.http.get(f"/api/v1/links/{code}")

    def visit(self, code: str, times: int) -> None:
        """Follow the short link ``times`` times (anonymously), then wait until counted."""
        with httpx.Client(base_url=str(self.http.base_url), timeout=10) as anonymous:
            for _ in range(times):
                assert anonymous.get(f"/{code}").status_code == 302
        wait_for(lambda: self.get(code).json()["clicks"]["total"] >= times, timeout=20,
                 interval=0.05, message=f"{times} clicks on {code}")

    def close(self) -> None:
        self.http.close()


@pytest.fixture(scope="module")
def admin(server: LiveServer, admin_key: str) -> Iterator[Keyed]:
    made = Keyed(server.base_url, admin_key)
    yield made
    made.close()


@pytest.fixture
def owner(admin: Keyed, tab: Tab) -> Iterator[Keyed]:
    """A fresh non-admin key: its links table holds exactly the links a test makes."""
    tab.allow_console_error(NOT_ADMIN)
    _, made = admin.new_key()
    yield made
    made.close()


def _rows(page: Page) -> Locator:
    return page.locator("#t-links tbody tr[data-code]")


def _row(page: Page, code: str) -> Locator:
    return page.locator(f"#t-links tbody tr[data-code='{code}']")


def _stored_key(page: Page) -> str | None:
    found: str | None = page.evaluate(
        "localStorage.getItem('linkpulse.apiKey@this-server')")
    return found


def test_without_a_key_the_page_asks_for_one(tab: Tab, admin_key: str) -> None:
    """GIVEN no stored key, WHEN the page opens on a keyed server, THEN it shows the key
    prompt alone (after one question to the API), and the admin key unlocks the page."""
    tab.allow_console_error(REFUSED)
    page = tab.open()
    expect(page.get_by_role("heading", name="This API needs a key")).to_be_visible()
    expect(page.get_by_text("linkpulse serve prints an admin key")).to_be_visible()
    expect(page.get_by_label("API key")).to_be_focused()
    for hidden in ("#panel-shorten", "#panel-links", "#stats-panel"):
        expect(page.locator(hidden)).to_be_hidden()
    expect(page.get_by_role("button", name="Close")).to_be_hidden()
    expect(page.locator("#key-label")).to_have_text("none")
    api_calls = [u for u in tab.requests if "/static/" not in u and "/healthz" not in u
                 and u.rstrip("/") != tab.base_url]
    assert api_calls == [f"{tab.base_url}/api/queue"]

    page.get_by_label("API key").fill("not a key")
    page.get_by_role("button", name="Use this key").click()
    expect(page.locator("#key-msg")).to_contain_text("Paste the whole key")

    page.get_by_label("API key").fill(admin_key)
    page.get_by_role("button", name="Use this key").click()
    expect(page.locator("#panel-shorten")).to_be_visible()
    expect(page.locator("#key-panel")).to_be_hidden()
    expect(page.locator("#key-label")).to_have_text(admin_key[:11] + "…")
    expect(page.locator("#links-body")).to_be_visible()
    expect(page.locator("#kpi-queue")).to_have_text("0")  # the admin key reads the queue
    tab.screenshot("keys-prompt-1440")


def test_key_in_the_address_is_stored_and_taken_out_of_the_address_bar(
        tab: Tab, admin_key: str, trap: Trap) -> None:
    """The dashboard URL that ``serve`` prints signs the page in once: the key is kept
    in localStorage, leaves the address bar, is never shown, and survives a reload."""
    page = tab.open(f"/#key={admin_key}")
    expect(page).to_have_url(f"{tab.base_url}/")
    assert _stored_key(page) == admin_key
    expect(page.locator("#key-label")).to_have_text(admin_key[:11] + "…")
    expect(page.locator("#links-body")).to_be_visible()
    assert admin_key not in page.locator("body").inner_text()

    page.get_by_label("Long URL").fill(f"{trap.url}/signed-in")
    page.get_by_role("button", name="Shorten").click()
    code = page.locator("#stats-code")
    expect(code).not_to_have_text("")
    expect(_row(page, code.inner_text())).to_be_visible()  # the new link is listed

    page.reload()
    page.locator("body[data-ready='true']").wait_for()
    expect(page.locator("#key-label")).to_have_text(admin_key[:11] + "…")
    expect(page.locator("#kpi-total")).to_have_text("0")  # ?code= kept, # gone

    tab.allow_console_error(REFUSED)  # forgetting asks the API once without a key
    page.get_by_role("button", name="Key:").click()
    page.get_by_role("button", name="Forget the key").click()
    expect(page.get_by_role("heading", name="This API needs a key")).to_be_visible()
    assert _stored_key(page) is None


def test_a_revoked_key_brings_the_prompt_back(tab: Tab, admin: Keyed, trap: Trap) -> None:
    tab.allow_console_error(REFUSED)  # the one answer that says the key was revoked
    tab.allow_console_error(NOT_ADMIN)
    name, revoked = admin.new_key()
    link = revoked.link(f"{trap.url}/revoked", title="Before revocation")
    page = tab.open(f"/#key={revoked.key}")
    expect(_row(page, link["code"])).to_contain_text("Before revocation")

    admin.revoke(name)
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name="This API needs a key")).to_be_visible()
    expect(page.locator("#key-msg")).to_contain_text("revoked or has expired")
    expect(page.locator("#key-label")).to_have_text("none")
    expect(page.locator("#panel-links")).to_be_hidden()
    assert _stored_key(page) is None
    revoked.close()


def test_links_table_searches_filters_sorts_and_pages(tab: Tab, owner: Keyed, trap: Trap
                                                      ) -> None:
    """GIVEN 23 links of one key, THEN the table shows 20, "More links" the other 3;
    search, a tag and "Most clicks" narrow and order them; titles render as text."""
    fillers = [owner.link(f"{trap.url}/filler/{i}", title=f"Filler {i}") for i in range(20)]
    launch = owner.link(f"{trap.url}/launch", title="Launch day", tags=["launch", "q3"])
    notes = owner.link(f"{trap.url}/notes", title="Release notes", tags=["docs"])
    hostile = owner.link(f"{trap.url}/hostile", title=HOSTILE_TITLE)
    owner.visit(notes["code"], 3)
    owner.visit(launch["code"], 1)

    page = tab.open(f"/#key={owner.key}")
    expect(_rows(page)).to_have_count(20)
    expect(page.locator("#links-count")).to_have_text("20 shown, more to load")
    page.get_by_role("button", name="More links").click()
    expect(_rows(page)).to_have_count(23)
    expect(page.get_by_role("button", name="More links")).to_be_hidden()
    shown = [page.locator("#t-links tbody tr").nth(i).get_attribute("data-code")
             for i in range(23)]
    assert sorted(shown) == sorted(x["code"] for x in [*fillers, launch, notes, hostile])

    expect(_row(page, hostile["code"]).locator(".title")).to_have_text(HOSTILE_TITLE)
    assert page.locator("#t-links img, #t-links script").count() == 0

    page.get_by_label("Search").fill("release")
    page.get_by_role("button", name="Search").click()
    expect(_rows(page)).to_have_count(1)
    expect(_rows(page)).to_contain_text("Release notes")
    expect(_rows(page).locator(".total")).to_have_text("3")

    page.get_by_label("Search").fill("launch")
    page.get_by_role("button", name="Search").click()
    expect(_rows(page)).to_have_count(1)
    page.get_by_label("Search").fill("")
    _row(page, launch["code"]).get_by_role("button", name="launch").click()  # its tag
    expect(page.get_by_label("Tag")).to_have_value("launch")
    expect(_rows(page)).to_have_count(1)
    expect(_row(page, launch["code"])).to_contain_text("q3")

    page.get_by_label("Tag").fill("")
    page.get_by_label("Sort by").select_option(label="Most clicks")
    expect(_rows(page).nth(0)).to_have_attribute("data-code", notes["code"])
    expect(_rows(page).nth(1)).to_have_attribute("data-code", launch["code"])
    expect(_rows(page).locator(".total")).to_have_text(["3", "1", *["0"] * 18])
    expect(_rows(page).nth(0).locator(".sub")).to_have_text("0 human")  # httpx is a bot
    tab.screenshot("links-1440")


def test_edit_disable_and_delete_a_link_from_its_row(tab: Tab, owner: Keyed, trap: Trap
                                                     ) -> None:
    link = owner.link(f"{trap.url}/manage", title="Draft", tags=["old"])
    code = link["code"]
    short = httpx.Client(base_url=tab.base_url, follow_redirects=False, timeout=10)
    page = tab.open(f"/#key={owner.key}")
    row = _row(page, code)
    expect(row).to_contain_text("Draft")

    row.get_by_role("button", name="Stats").click()  # the per-link stats view
    expect(page.locator("#stats-code")).to_have_text(code)
    expect(page.locator("#kpi-total")).to_have_text("0")

    row.get_by_role("button", name="Edit").click()
    editor = page.get_by_role("form", name=f"Edit {code}")
    editor.get_by_label("Title").fill("Spring sale")
    editor.get_by_label("Tags").fill("sale, spring")
    editor.get_by_role("button", name="Save").click()
    expect(row.locator(".title")).to_have_text("Spring sale")
    expect(row.locator(".tags li")).to_have_text(["sale", "spring"])
    expect(page.locator("#links-msg")).to_have_text(f"{code}: saved.")
    saved = owner.get(code).json()
    assert (saved["title"], saved["tags"]) == ("Spring sale", ["sale", "spring"])

    row.get_by_role("button", name="Disable").click()
    expect(row).to_contain_text("disabled")
    expect(row.get_by_role("button", name="Enable")).to_be_visible()
    wait_for(lambda: short.get(f"/{code}").status_code == 410, timeout=5, interval=0.05,
             message="the disabled link answers 410")

    row.get_by_role("button", name="Delete").click()
    expect(row).to_contain_text(f"Delete {code}? Its short link will answer 410 for good.")
    row.get_by_role("button", name="Keep").click()
    expect(row.get_by_role("button", name="Delete")).to_be_visible()
    assert owner.get(code).status_code == 200

    row.get_by_role("button", name="Delete").click()
    row.get_by_role("button", name="Delete for good").click()
    expect(row).to_have_count(0)
    expect(page.locator("#links-msg")).to_have_text(f"Deleted {code}.")
    expect(page.locator("#stats-empty")).to_contain_text(f"{code} was deleted")
    assert owner.get(code).status_code == 404
    assert short.get(f"/{code}").status_code == 410
    short.close()
    tab.assert_clean()
