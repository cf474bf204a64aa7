"""Small leaks: data and lock files are private to their owner, a client that hangs up
mid-body is not worth an ERROR, JSON answers carry nosniff."""

from __future__ import annotations

import socket
import stat
from pathlib import Path

import httpx

from tests.support import LiveServer, wait_for


def test_data_and_lock_files_are_created_0600(tmp_path: Path) -> None:
    server = LiveServer(tmp_path / "private.db", open=True)
    code = httpx.post(f"{server.base_url}/shorten",
                      json={"url": "https://example.com/p"}).json()["code"]
    assert httpx.get(f"{server.base_url}/{code}").status_code == 302
    wait_for(lambda: httpx.get(f"{server.base_url}/stats/{code}").json()["total_clicks"] == 1,
             message="the click counted")
    files = [p for p in tmp_path.iterdir() if p.name.startswith("private.")
             and not p.name.endswith(".log")]
    names = {p.name for p in files}
    assert {"private.db", "private.db-wal", "private.db.lock", "private.queue.db",
            "private.queue.db.lock"} <= names, names
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in files}
    assert set(modes.values()) == {0o600}, modes
    assert server.stop() == 0


def test_a_client_hanging_up_mid_body_logs_no_error(tmp_path: Path) -> None:
    server = LiveServer(tmp_path / "hangup.db", open=True)
    for _ in range(5):
        with socket.create_connection(("127.0.0.1", server.port)) as sock:
            sock.sendall(b"POST /shorten HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
                         b'{"url": "ht')
    reply = httpx.post(f"{server.base_url}/shorten", json={"url": "https://example.com/"})
    assert reply.status_code == 201
    assert reply.headers["x-content-type-options"] == "nosniff"
    assert server.stop() == 0
    log = server.log()
    assert "ERROR" not in log, log
    assert "Traceback" not in log, log
