"""The dashboard's files and headers over plain HTTP (no browser needed)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support import LiveServer

STATIC = Path(__file__).resolve().parents[2] / "src" / "linkpulse" / "web" / "static"


@pytest.fixture(scope="module")
def http(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    live = LiveServer(tmp_path_factory.mktemp("dashboard-http") / "http.db", open="true")
    with httpx.Client(base_url=live.base_url, follow_redirects=False, timeout=10) as client:
        yield client
    live.stop()


def _policy(response: httpx.Response) -> dict[str, list[str]]:
    header = response.headers["content-security-policy"]
    return {name: values for name, *values in
            (part.split() for part in header.split(";") if part.strip())}


@pytest.mark.parametrize("path", ["/", "/static/app.js", "/static/app.css"])
def test_dashboard_routes_send_a_strict_content_security_policy(http: httpx.Client, path: str
                                                                ) -> None:
    response = http.get(path)
    assert response.status_code == 200
    policy = _policy(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert set(policy["connect-src"]) == {"'self'", "http:", "https:"}
    assert not any("unsafe" in value for values in policy.values() for value in values)
    assert response.headers["x-content-type-options"] == "nosniff"


def test_assets_are_served_with_their_types(http: httpx.Client) -> None:
    assert http.get("/").headers["content-type"].startswith("text/html")
    for name in ("app.js", "api.js", "access.js", "links.js", "queue.js", "dom.js",
                 "chart.js", "pipeline.js", "stats.js"):
        response = http.get(f"/static/{name}")
        assert response.status_code == 200, name
        assert "javascript" in response.headers["content-type"], name
    assert http.get("/static/app.css").headers["content-type"].startswith("text/css")
    assert http.get("/static/favicon.svg").headers["content-type"].startswith("image/svg+xml")


def test_missing_asset_is_a_json_404(http: httpx.Client) -> None:
    response = http.get("/static/nope.js")
    assert response.status_code == 404
    assert response.json() == {"error": "Not Found"}


def test_redirect_answers_cross_origin_fetches(http: httpx.Client) -> None:
    """A dashboard on another origin counts clicks with fetch(redirect: "manual"); the
    browser only hands it the redirect if the 302 carries CORS headers."""
    code = http.post("/shorten", json={"url": "https://example.com/x"}).json()["code"]
    cross = http.get(f"/{code}", headers={"origin": "http://elsewhere.test"})
    assert cross.status_code == 302
    assert cross.headers["access-control-allow-origin"] == "*"
    same = http.get(f"/{code}")
    assert same.status_code == 302
    assert "access-control-allow-origin" not in same.headers


def test_page_has_no_inline_script_or_style() -> None:
    html = (STATIC / "index.html").read_text()
    scripts = re.findall(r"<script\b[^>]*>(.*?)</script>", html, flags=re.S)
    assert scripts == [""], "only external scripts (src=...)"
    assert "<style" not in html
    assert not re.search(r"\sstyle=", html)
    assert not re.search(r"\son[a-z]+=", html, flags=re.I)
    assert not re.search(r"(src|href)=\"(https?:)?//", html), "nothing from other origins"


@pytest.mark.parametrize("script", sorted(p.name for p in STATIC.glob("*.js")))
def test_scripts_never_parse_strings_as_html_or_code(script: str) -> None:
    source = (STATIC / script).read_text()
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(",
                 "new Function", "DOMParser", "createContextualFragment"):
        assert sink not in source, f"{script} uses {sink}"
    assert not re.search(r"""import\s.*from\s+["'](https?:)?//""", source)


def test_stylesheet_loads_nothing_from_elsewhere() -> None:
    css = (STATIC / "app.css").read_text()
    assert "@import" not in css
    assert not re.search(r"url\(\s*[\"']?(https?:)?//", css)
    assert "@font-face" not in css, "system fonts only"


def test_redirect_answers_only_the_origins_allowed(tmp_path: Path) -> None:
    live = LiveServer(tmp_path / "origins.db", cors_origins="http://dash.test,http://b.test",
                      open="true")
    try:
        with httpx.Client(base_url=live.base_url, timeout=10) as client:
            code = client.post("/shorten", json={"url": "https://example.com/o"}).json()["code"]
            allowed = client.get(f"/{code}", headers={"origin": "http://dash.test"})
            assert allowed.status_code == 302
            assert allowed.headers["access-control-allow-origin"] == "http://dash.test"
            assert "origin" in allowed.headers["vary"].lower()
            other = client.get(f"/{code}", headers={"origin": "http://evil.test"})
            assert other.status_code == 302
            assert "access-control-allow-origin" not in other.headers
    finally:
        live.stop()
