"""The embedded server bounds what one client can hold: header size and read times."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import httpx

from tests.support import LiveServer, wait_for


def _connect(server: LiveServer) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=10)


def _closed(sock: socket.socket) -> bool:
    try:
        return sock.recv(65_536) == b""
    except ConnectionResetError:
        return True


def test_a_200_kb_header_is_refused(tmp_path: Path) -> None:
    server = LiveServer(tmp_path / "lp.db", run_worker="false")
    try:
        with _connect(server) as sock:
            try:
                sock.sendall(b"GET /abcdefg HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 200_000
                             + b"\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                return  # closed before it was all sent: refused too
            answer = sock.recv(65_536)
        assert answer == b"" or answer.startswith(b"HTTP/1.1 431")
    finally:
        server.stop()


def test_a_trickling_client_is_cut_off_after_the_header_timeout(tmp_path: Path) -> None:
    server = LiveServer(tmp_path / "lp.db", run_worker="false", header_timeout="1")
    try:
        with _connect(server) as sock:
            started = time.monotonic()
            head = iter(b"GET /abcdefg HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 1000)

            def cut_off() -> bool:  # one byte every 50 ms, as long as the server reads
                try:
                    sock.sendall(bytes([next(head)]))
                except (BrokenPipeError, ConnectionResetError):
                    return True
                return False

            wait_for(cut_off, timeout=10, interval=0.05, message="the trickler cut off")
            assert time.monotonic() - started < 5
        # the server still answers everyone else
        assert httpx.get(f"{server.base_url}/healthz", timeout=5).status_code == 200
    finally:
        server.stop()


def test_an_idle_kept_alive_connection_is_closed(tmp_path: Path) -> None:
    server = LiveServer(tmp_path / "lp.db", run_worker="false", header_timeout="1")
    try:
        with _connect(server) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            assert sock.recv(65_536).startswith(b"HTTP/1.1 200")
            started = time.monotonic()
            assert _closed(sock)
            assert time.monotonic() - started < 5
    finally:
        server.stop()


def test_a_trickling_body_gets_a_408(tmp_path: Path) -> None:
    server = LiveServer(tmp_path / "lp.db", run_worker="false", body_timeout="1", open="true")
    try:
        with _connect(server) as sock:
            sock.sendall(b"POST /shorten HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         b"Content-Type: application/json\r\n"
                         b"Content-Length: 100\r\n\r\n{\"url\":")
            started = time.monotonic()
            answer = sock.recv(65_536)
            assert time.monotonic() - started < 5
        assert answer.startswith(b"HTTP/1.1 408")
        assert b'"error"' in answer
    finally:
        server.stop()
