"""A full disk: creation answers 503 with Retry-After (never a 500), redirects of known
links keep answering 302, and their clicks, buffered meanwhile, are all counted once
there is space again.

The disk is a small tmpfs, which needs root (CI runs as root): elsewhere the test is
skipped, in CI a mount that fails is an error.
"""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.support import LiveServer, wait_for

pytestmark = pytest.mark.slow


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m,mode=0700", "tmpfs",
                              str(disk)], capture_output=True, text=True, check=False)
    if mounted.returncode != 0:
        message = f"cannot mount a tmpfs: {mounted.stderr.strip()}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def fill(disk: Path) -> Path:
    """Write a file until the disk is full; return it (delete it to free the space)."""
    filler = disk / "filler"
    with filler.open("wb", buffering=0) as f:
        for size in (65_536, 512):  # big writes, then the last crumbs
            _write_until_full(f.write, b"\0" * size)
    return filler


def _write_until_full(write: Callable[[bytes], object], chunk: bytes) -> None:
    while True:
        try:
            write(chunk)
        except OSError as exc:
            if exc.errno != errno.ENOSPC:
                raise
            return


@pytest.fixture
def server(small_disk: Path) -> Iterator[LiveServer]:
    live = LiveServer(small_disk / "lp.db", visibility_timeout=2, open="true")
    try:
        yield live
    finally:
        live.kill()  # after a failed assertion; a passing test has stopped it already


def test_full_disk_gives_503_keeps_redirecting_and_loses_no_click(small_disk: Path,
                                                                  server: LiveServer) -> None:
    http = httpx.Client(base_url=server.base_url, timeout=10)
    created = http.post("/shorten", json={"url": "https://example.com/full-disk"})
    assert created.status_code == 201
    code = created.json()["code"]
    assert http.get(f"/{code}").status_code == 302
    wait_for(lambda: http.get(f"/stats/{code}").json()["total_clicks"] == 1, timeout=20,
             message="the first click counted")

    filler = fill(small_disk)
    statuses = []
    for i in range(30):
        reply = http.post("/shorten", json={"url": f"https://example.com/while-full/{i}"})
        statuses.append(reply.status_code)
        if reply.status_code == 503:
            assert reply.headers["retry-after"].isdigit()
            assert "error" in reply.json()
    assert set(statuses) <= {201, 503}, statuses
    assert 503 in statuses, "the disk was never full for a write"
    redirects = [http.get(f"/{code}") for _ in range(200)]
    assert {r.status_code for r in redirects} == {302}
    assert {r.headers["location"] for r in redirects} == {"https://example.com/full-disk"}
    assert http.get(f"/stats/{code}").status_code == 200  # reads still work

    filler.unlink()
    wait_for(lambda: http.get(f"/stats/{code}").json()["total_clicks"] == 201, timeout=60,
             interval=0.2, message="every click buffered during the full disk counted")
    assert http.post("/shorten", json={"url": "https://example.com/after"}).status_code == 201
    http.close()
    assert server.stop() == 0
    log = server.log()
    assert "unexpected error" not in log, log  # what a 500 logs
