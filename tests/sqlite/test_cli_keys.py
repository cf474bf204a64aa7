"""`linkpulse keys` and `linkpulse links`, run as a user runs them, on a SQLite store."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from linkpulse import bootstrap
from linkpulse.core.keys import Authenticator
from linkpulse.settings import Settings
from tests.support import linkpulse_env


def cli(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "linkpulse.cli", *args, "--db", str(db)],
                          capture_output=True, text=True, env=linkpulse_env(db), timeout=60,
                          check=False)


def test_keys_create_prints_the_key_alone_on_the_last_line(tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    made = cli(db, "keys", "create", "--name", "ci", "--scope", "links:read",
               "--expires", "2099-01-31")
    assert made.returncode == 0, made.stderr
    key = made.stdout.splitlines()[-1]
    assert re.fullmatch(r"lp_[0-9a-f]{8}_[A-Za-z0-9_-]{43}", key)
    components = bootstrap.build(Settings(db=db), buffered=False)
    try:
        assert components.keys is not None
        who = Authenticator(components.keys).authenticate(key)
        assert who.scopes == frozenset({"links:read"})
    finally:
        components.close()
    listed = cli(db, "keys", "list", "--json")
    [row] = json.loads(listed.stdout)
    assert row["name"] == "ci"
    assert row["scopes"] == ["links:read"]
    assert row["expires_at"] == 4073500800  # 2099-01-31T00:00Z
    assert key not in listed.stdout
    assert key.encode() not in db.read_bytes()
    assert cli(db, "keys", "create", "--name", "ci").returncode == 1  # name taken
    assert cli(db, "keys", "revoke", "ci").returncode == 0
    assert json.loads(cli(db, "keys", "list", "--json").stdout)[0]["revoked_at"]
    again = cli(db, "keys", "revoke", "ci")
    assert again.returncode == 1
    assert "no live key" in again.stderr


def test_bad_key_options_are_refused(tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    for args in (("--name", "x", "--scope", "everything"), ("--name", "x", "--expires", "soon"),
                 ("--name", "bad name")):
        result = cli(db, "keys", "create", *args)
        assert result.returncode == 1, args
        assert result.stderr.startswith("error:")
    assert json.loads(cli(db, "keys", "list", "--json").stdout) == []


def test_links_list_show_update_delete(tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    code = json.loads(cli(db, "shorten", "https://example.com/cli").stdout)["code"]
    listed = json.loads(cli(db, "links", "list", "--json").stdout)
    assert [link["code"] for link in listed["links"]] == [code]
    assert code in cli(db, "links", "list").stdout
    updated = cli(db, "links", "update", code, "--title", "From the CLI", "--tag", "a",
                  "--tag", "b", "--disable")
    assert updated.returncode == 0, updated.stderr
    shown = json.loads(cli(db, "links", "show", code).stdout)
    assert (shown["title"], shown["tags"], shown["disabled"]) == ("From the CLI", ["a", "b"],
                                                                  True)
    bad = cli(db, "links", "update", code, "--url", "javascript:alert(1)")
    assert bad.returncode == 1
    assert json.loads(cli(db, "links", "show", code).stdout)["original_url"] == (
        "https://example.com/cli")
    assert cli(db, "links", "delete", code).returncode == 0
    assert cli(db, "links", "show", code).returncode == 1
    assert cli(db, "links", "delete", code).returncode == 1
