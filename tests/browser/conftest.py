"""Browser tests: Debian's Chromium driven by Playwright against a real ``linkpulse serve``.

Every page is watched: each request the browser makes is recorded (and must go to
127.0.0.1 or localhost), console errors and uncaught exceptions are collected, and any
dialog (``alert``) is recorded and dismissed. A test ends with :meth:`Tab.assert_clean`.

Without ``/usr/bin/chromium`` (or the ``playwright`` package) these tests are skipped,
unless ``CI`` is set: then they fail, so CI cannot pass by skipping them.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.support import LiveServer, wait_for

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Dialog, Page, Request

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost"})
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
WIDE = {"width": 1440, "height": 900}
NARROW = {"width": 375, "height": 812}


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: browser tests must run there, not skip)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Module-scoped on purpose: Playwright's sync API runs an event loop in this thread
    for as long as it is started, and later tests call ``asyncio.run()``."""
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is missing (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = LiveServer(tmp_path_factory.mktemp("dashboard") / "dashboard.db", open="true",
                      allow_private_targets=True)  # links to a local trap
    yield live
    live.stop()


class Trap:
    """A local web server used as the destination of short links: the dashboard must
    count clicks without ever following a redirect, so it must never be hit."""

    def __init__(self) -> None:
        hits: list[str] = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                hits.append(self.path)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.hits = hits
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


@pytest.fixture(scope="session")
def trap() -> Iterator[Trap]:
    made = Trap()
    yield made
    made.close()


class Api:
    """The API spoken directly over HTTP, for set-up a browser cannot do (headers)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = httpx.Client(base_url=base_url, follow_redirects=False, timeout=10)

    def shorten(self, url: str, **fields: Any) -> dict[str, Any]:
        reply = self.http.post("/shorten", content=json.dumps({"url": url, **fields}),
                               headers={"content-type": "application/json"})
        assert reply.status_code == 201, reply.text
        result: dict[str, Any] = reply.json()
        return result

    def click(self, code: str, *, user_agent: str, referer: str | None = None) -> None:
        headers = {"user-agent": user_agent}
        if referer is not None:
            headers["referer"] = referer
        assert self.http.get(f"/{code}", headers=headers).status_code == 302

    def stats(self, code: str) -> dict[str, Any]:
        result: dict[str, Any] = self.http.get(f"/stats/{code}").json()
        return result

    def wait_for_clicks(self, code: str, n: int) -> dict[str, Any]:
        def probe() -> dict[str, Any] | None:
            stats = self.stats(code)
            return stats if stats["total_clicks"] >= n else None

        result: dict[str, Any] = wait_for(probe, timeout=20, interval=0.05,
                                          message=f"{n} clicks on {code}")
        return result


@pytest.fixture(scope="session")
def api(server: LiveServer) -> Iterator[Api]:
    made = Api(server.base_url)
    yield made
    made.http.close()


class Tab:
    """One browser context and page, with everything it does recorded."""

    def __init__(self, browser: Browser, base_url: str, viewport: dict[str, int],
                 color_scheme: str = "light") -> None:
        self.base_url = base_url
        self.context = browser.new_context(
            viewport=viewport, color_scheme=color_scheme)  # type: ignore[arg-type]
        self.requests: list[str] = []
        self.console_errors: list[str] = []
        self.dialogs: list[str] = []
        self.allowed_console: list[re.Pattern[str]] = []
        self.context.on("request", self._on_request)
        self.page: Page = self.context.new_page()
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda exc: self.console_errors.append(f"pageerror: {exc}"))
        self.page.on("dialog", self._on_dialog)

    def _on_request(self, request: Request) -> None:
        self.requests.append(request.url)

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error" and not any(
                p.search(message.text) for p in self.allowed_console):
            self.console_errors.append(message.text)

    def _on_dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def allow_console_error(self, pattern: str) -> None:
        self.allowed_console.append(re.compile(pattern))

    def open(self, path: str = "/") -> Page:
        """Load the dashboard and wait until its start-up requests are done."""
        self.page.goto(self.base_url + path)
        self.page.locator("body[data-ready='true']").wait_for(timeout=15_000)
        return self.page

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=path, full_page=True)
        return path

    def assert_clean(self) -> None:
        """Nothing left localhost, nothing was logged as an error, no dialog opened."""
        outside = [u for u in self.requests
                   if urlsplit(u).scheme in ("http", "https", "ws", "wss")
                   and urlsplit(u).hostname not in LOCAL_HOSTS]
        others = [u for u in self.requests
                  if urlsplit(u).scheme not in ("http", "https", "ws", "wss", "data", "blob")]
        assert not outside, f"requests left localhost: {outside}"
        assert not others, f"unexpected request schemes: {others}"
        assert not self.console_errors, f"console errors: {self.console_errors}"
        assert not self.dialogs, f"dialogs opened: {self.dialogs}"

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def open_tab(browser: Browser, server: LiveServer) -> Iterator[Callable[..., Tab]]:
    """Open tabs (``open_tab(viewport=NARROW)``); each is checked clean when the test ends."""
    tabs: list[Tab] = []

    def make(viewport: dict[str, int] | None = None, color_scheme: str = "light") -> Tab:
        tab = Tab(browser, server.base_url, viewport or WIDE, color_scheme)
        tabs.append(tab)
        return tab

    yield make
    try:
        for tab in tabs:
            tab.assert_clean()
    finally:
        for tab in tabs:
            tab.close()


@pytest.fixture
def tab(open_tab: Callable[..., Tab]) -> Tab:
    made: Tab = open_tab()
    return made
