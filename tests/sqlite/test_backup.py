"""`linkpulse backup` and `linkpulse restore`, run as an operator runs them, against a live
`serve` receiving redirects."""

from __future__ import annotations

import sqlite3
import threading
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from tests.sqlite.test_cli_keys import cli
from tests.support import LiveServer, wait_for

pytestmark = pytest.mark.slow

LINKS = 20


def _integrity(path: Path) -> str:
    with closing(sqlite3.connect(path)) as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


def _answers(server: LiveServer, codes: list[str]) -> dict[str, tuple[str, int]]:
    """Where each code leads and its total clicks, as a client sees them."""
    out = {}
    with httpx.Client(base_url=server.base_url, timeout=5) as http:
        for code in codes:
            location = http.head(f"/{code}").headers["location"]
            out[code] = (location, http.get(f"/stats/{code}").json()["total_clicks"])
    return out


def _drained(server: LiveServer) -> bool:
    depth = httpx.get(f"{server.base_url}/api/queue", timeout=5).json()
    return depth["visible"] == 0 and depth["in_flight"] == 0


def test_backup_under_load_restores_the_same_links_and_counts(tmp_path: Path) -> None:
    """GIVEN a live server answering redirects WHEN it is backed up mid-load and restored
    THEN the backup is intact and the restored store answers every link the same, with
    every click counted before the backup began; a backup at rest restores exact counts."""
    live_db = tmp_path / "live" / "lp.db"
    live_db.parent.mkdir()
    server = LiveServer(live_db, open=True)
    with httpx.Client(base_url=server.base_url, timeout=5) as http:
        codes = [http.post("/shorten", json={"url": f"https://example.com/{i}"}).json()["code"]
                 for i in range(LINKS)]
    answered = [0]
    stop = threading.Event()

    def load() -> None:
        with httpx.Client(base_url=server.base_url, timeout=5) as http:
            i = 0
            while not stop.is_set():
                if http.get(f"/{codes[i % LINKS]}").status_code == 302:
                    answered[0] += 1
                i += 1

    threads = [threading.Thread(target=load) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        wait_for(lambda: answered[0] >= 500, timeout=60, message="redirects under way")
        counted_before = sum(c for _, c in _answers(server, codes).values())
        taken = cli(live_db, "backup", str(tmp_path / "b1.db"))
        assert taken.returncode == 0, taken.stderr
        answered_after = answered[0]
    finally:
        stop.set()
        for t in threads:
            t.join(10)
    assert _integrity(tmp_path / "b1.db") == "ok"
    assert _integrity(tmp_path / "b1.queue.db") == "ok"

    refused = cli(live_db, "restore", str(tmp_path / "b1.db"))
    assert refused.returncode != 0
    assert "running" in refused.stderr

    wait_for(lambda: _drained(server), timeout=60, message="the live queue drained")
    at_rest = _answers(server, codes)
    again = cli(live_db, "backup", str(tmp_path / "b1.db"))
    assert again.returncode != 0
    assert "--force" in again.stderr
    assert cli(live_db, "backup", str(tmp_path / "b2.db")).returncode == 0
    assert server.stop() == 0
    assert "shut down cleanly" in server.log()

    for name in ("b1", "b2"):
        db = tmp_path / name / "lp.db"
        restored = cli(db, "restore", str(tmp_path / f"{name}.db"))
        assert restored.returncode == 0, restored.stderr
        copy = LiveServer(db, open=True)
        try:
            wait_for(lambda copy=copy: _drained(copy), timeout=60,  # type: ignore[misc]
                     message="the restored queue drained")
            answers = _answers(copy, codes)
        finally:
            copy.stop()
        assert {c: loc for c, (loc, _) in answers.items()} == {
            c: loc for c, (loc, _) in at_rest.items()}
        total = sum(n for _, n in answers.values())
        if name == "b1":
            assert counted_before <= total <= answered_after
        else:
            assert answers == at_rest


def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    result = cli(tmp_path / "lp.db", "restore", str(junk))
    assert result.returncode != 0
    assert "not a" in result.stderr
    assert not (tmp_path / "lp.db").exists()
