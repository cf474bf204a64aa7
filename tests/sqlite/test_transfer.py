"""`linkpulse export` / `linkpulse import` and `GET /api/v1/export`, as a user runs them."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from linkpulse import bootstrap
from linkpulse.bootstrap import Components
from linkpulse.core import keys
from linkpulse.settings import Settings
from linkpulse.web.app import create_api_app
from tests.sqlite.test_cli_keys import cli

FIXTURES = Path(__file__).parent.parent / "imports"


@contextmanager
def store(db: Path) -> Iterator[Components]:
    components = bootstrap.build(Settings(db=db, create_rate_limit="off"), buffered=False)
    try:
        yield components
    finally:
        components.close()


def redirects(db: Path, codes: list[str]) -> dict[str, tuple[int, str | None]]:
    """What each code answers a visitor: status and Location."""
    with store(db) as c:
        api = c.http_api()
        out = {}
        for code in codes:
            r = api.redirect(code, count=False, user_agent=None, referer=None,
                             client_ip=None)
            out[code] = (r.status, r.headers.get("location"))
        return out


def test_an_export_imported_into_a_fresh_store_redirects_every_code_the_same(
        tmp_path: Path) -> None:
    old = tmp_path / "old.db"
    assert cli(old, "shorten", "https://example.com/plain").returncode == 0
    assert cli(old, "shorten", "https://例え.jp/パス?q=1", "--alias", "idn-link").returncode == 0
    assert cli(old, "shorten", "https://example.com/off", "--alias", "off-link").returncode == 0
    assert cli(old, "links", "update", "off-link", "--disable", "--title", "Off, \"quoted\"",
               "--tag", "a b", "--tag", "c").returncode == 0
    with store(old) as c:
        codes = [link.code for link in c.links.query(__import__(
            "linkpulse.core.models", fromlist=["LinkQuery"]).LinkQuery(limit=50))]
    assert len(codes) == 3
    for fmt in ("csv", "jsonl"):
        exported = tmp_path / f"links.{fmt}"
        done = cli(old, "export", "--format", fmt, "--output", str(exported))
        assert done.returncode == 0, done.stderr
        new = tmp_path / f"new-{fmt}.db"
        imported = cli(new, "import", str(exported))
        assert imported.returncode == 0, imported.stderr
        assert "3 created" in imported.stdout
        assert redirects(new, codes) == redirects(old, codes)
        with store(new) as c:
            off = c.links.get("off-link")
            assert off is not None
            assert (off.title, off.tags, off.disabled) == ('Off, "quoted"', ("a b", "c"), True)


@pytest.mark.parametrize(("name", "fmt", "expected"), [
    ("shlink.csv", "shlink", {"docs-start": "https://example.com/docs/getting-started",
                              "Lx9aQ2": "https://example.org/blog/2024/launch",
                              "pricing": "https://example.net/pricing?plan=team"}),
    ("yourls.csv", "yourls", {"ghp": "https://github.com/example/project",
                              "talk": "https://example.com/talks/2022/scaling.pdf"}),
    ("kutt.json", "kutt", {"kt-release": "https://example.com/releases/v2",
                           "Zq81mP": "https://example.org/form"}),
    ("bitly.json", "bitly", {"3xAmPle": "https://example.com/newsletter/2022-11",
                             "2oLdOne": "https://example.org/archive"}),
])
def test_imports_keep_the_short_codes_of_other_shorteners(
        tmp_path: Path, name: str, fmt: str, expected: dict[str, str]) -> None:
    db = tmp_path / "lp.db"
    result = cli(db, "import", str(FIXTURES / name), "--format", fmt)
    assert result.returncode == 0, result.stderr
    with store(db) as c:
        found = {code: c.links.get(code) for code in expected}
    assert {code: link.url for code, link in found.items() if link} == expected
    if fmt == "shlink":
        assert found["docs-start"].tags == ("docs", "onboarding")  # type: ignore[union-attr]
        assert found["docs-start"].title == "Getting started"  # type: ignore[union-attr]
    if fmt == "yourls":
        assert found["ghp"].created_at == 1615734566  # type: ignore[union-attr]
    if fmt == "bitly":
        assert found["2oLdOne"].disabled  # type: ignore[union-attr]  (archived)


def test_bad_rows_are_reported_by_line_and_the_good_ones_land(tmp_path: Path) -> None:
    db = tmp_path / "lp.db"
    bad = FIXTURES / "shlink_bad.csv"
    dry = cli(db, "import", str(bad), "--format", "shlink", "--dry-run")
    assert dry.returncode == 1
    assert "nothing written" in dry.stdout
    assert redirects(db, ["okone", "oktwo"]) == {"okone": (404, None), "oktwo": (404, None)}

    result = cli(db, "import", str(bad), "--format", "shlink")
    assert result.returncode == 1
    assert result.stdout.strip().endswith(
        "7 rows: 2 created, 0 already there (unchanged), 5 skipped with a problem")
    problems = [line.split(":", 2)[1] for line in result.stderr.splitlines()]
    assert problems == ["3", "4", "5", "6", "8"]  # internal, not a URL, short, fields, taken
    assert "taken by another link" in result.stderr
    assert dry.stderr == result.stderr  # the dry run reported the same problems
    assert redirects(db, ["okone", "oktwo", "internal"]) == {
        "okone": (302, "https://example.com/ok-one"),
        "oktwo": (302, "https://example.com/ok-two"), "internal": (404, None)}


def test_importing_twice_changes_nothing_the_second_time(tmp_path: Path) -> None:
    big = tmp_path / "big.jsonl"
    big.write_text("".join(json.dumps({"code": f"c{i:05d}", "url": f"https://example.com/{i}"})
                           + "\n" for i in range(2_500)))
    db = tmp_path / "lp.db"
    first = cli(db, "import", str(big))
    assert first.returncode == 0, first.stderr
    assert "2500 created" in first.stdout
    assert "importing" in first.stderr  # the progress bar of a big file
    before = (tmp_path / "before.jsonl")
    assert cli(db, "export", "--format", "jsonl", "--output", str(before)).returncode == 0
    second = cli(db, "import", str(big))
    assert second.returncode == 0, second.stderr
    assert "0 created, 2500 already there" in second.stdout
    after = tmp_path / "after.jsonl"
    assert cli(db, "export", "--format", "jsonl", "--output", str(after)).returncode == 0
    assert before.read_text() == after.read_text()


@pytest.mark.parametrize("args", [
    ["import", "missing.csv"],
    ["import", str(FIXTURES / "kutt.json"), "--format", "nope"],
    ["import", str(FIXTURES / "kutt.json"), "--format", "shlink"],
])
def test_unreadable_files_and_wrong_formats_are_refused(tmp_path: Path, args: list[str]
                                                        ) -> None:
    result = cli(tmp_path / "lp.db", *args)
    assert result.returncode != 0
    assert result.stderr.strip()
    assert "Traceback" not in result.stderr


def test_http_export_streams_every_link_to_an_admin_only(tmp_path: Path) -> None:
    asyncio.run(_http_export(tmp_path / "lp.db"))


async def _http_export(db: Path) -> None:
    with store(db) as c:
        assert c.keys is not None
        admin, record = keys.new_key("ops", admin=True)
        c.keys.add_key(record)
        user, record = keys.new_key("user")
        c.keys.add_key(record)
        c.http_api().shorten(b'{"url": "https://example.com/x", "alias": "xx-1"}', "")
        transport = httpx.ASGITransport(app=create_api_app(c, own_lifecycle=False))
        async with httpx.AsyncClient(transport=transport, base_url="http://lp.test") as http:
            assert (await http.get("/api/v1/export")).status_code == 401
            assert (await http.get("/api/v1/export", headers={"x-api-key": user})
                    ).status_code == 403
            bad = await http.get("/api/v1/export?format=xml", headers={"x-api-key": admin})
            assert bad.status_code == 400
            assert "error" in bad.json()
            got = await http.get("/api/v1/export?format=jsonl", headers={"x-api-key": admin})
            assert got.status_code == 200
            assert got.headers["content-type"] == "application/x-ndjson"
            [line] = got.text.splitlines()
            assert json.loads(line)["code"] == "xx-1"
            csv = await http.get("/api/v1/export", headers={"authorization": f"Bearer {admin}"})
            assert csv.text.splitlines()[0].startswith("code,url,title,tags")
