"""The redirect path under faults and load: nothing lost, nothing overwritten, no 5xx."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from tests.faults.conftest import Embedded
from tests.support import LiveServer, wait_for


def _code(server: LiveServer, url: str = "https://example.com/") -> str:
    reply = httpx.post(f"{server.base_url}/shorten", json={"url": url})
    assert reply.status_code == 201
    return str(reply.json()["code"])


def test_graceful_shutdown_loses_no_buffered_click(embedded: Embedded) -> None:
    # A long flush interval keeps every click in memory until shutdown.
    server = LiveServer(embedded.db, extra_args=["--no-worker"], click_flush_ms=10_000,
                        open="true")
    code = _code(server)
    with httpx.Client(base_url=server.base_url) as http:
        for _ in range(40):
            assert http.get(f"/{code}").status_code == 302
    assert embedded.queue.approximate_depth() == (0, 0)  # all still buffered in the server
    assert server.stop() == 0
    assert embedded.queue.approximate_depth() == (40, 0)


def test_flushed_clicks_survive_a_killed_server(embedded: Embedded) -> None:
    server = LiveServer(embedded.db, extra_args=["--no-worker"], open="true")
    code = _code(server)
    with httpx.Client(base_url=server.base_url) as http:
        for _ in range(25):
            assert http.get(f"/{code}").status_code == 302
    wait_for(lambda: embedded.queue.approximate_depth() == (25, 0), timeout=10,
             message="clicks flushed to the queue file")
    server.kill()
    worker = embedded.worker()
    wait_for(lambda: embedded.total(code) == 25, timeout=30, message="25 clicks counted")
    assert worker.stop() == 0


def test_redirects_do_not_wait_for_a_stopped_consumer(embedded: Embedded) -> None:
    server = LiveServer(embedded.db, extra_args=["--no-worker"], open="true")
    code = _code(server, "https://example.com/no-consumer")
    with httpx.Client(base_url=server.base_url) as http:
        replies = [http.get(f"/{code}") for _ in range(200)]
    assert {r.status_code for r in replies} == {302}
    wait_for(lambda: embedded.queue.approximate_depth()[0] == 200, timeout=10)
    assert embedded.total(code) == 0
    server.stop()


def test_thousands_of_concurrent_creations_in_a_tiny_code_space(tmp_path: Path) -> None:
    """62 one-character codes, 2000 creations from 64 connections on 2 processes."""
    server = LiveServer(tmp_path / "tiny.db", extra_args=["--workers", "2", "--no-worker"],
                        code_length=1, open="true")
    n = 2000

    async def create_all() -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=64)
        async with httpx.AsyncClient(base_url=server.base_url, limits=limits,
                                     timeout=60) as http:
            sem = asyncio.Semaphore(64)

            async def create(i: int) -> httpx.Response:
                async with sem:
                    return await http.post("/shorten", json={"url": f"https://e.example/{i}"})

            return await asyncio.gather(*(create(i) for i in range(n)))

    replies = asyncio.run(create_all())
    statuses = {r.status_code for r in replies}
    assert statuses == {201}, statuses
    codes = {r.json()["code"]: r.json()["original_url"] for r in replies}
    assert len(codes) == n  # no code handed out twice
    assert min(len(c) for c in codes) == 1  # the tiny space was really used
    with httpx.Client(base_url=server.base_url) as http:
        for code, url in codes.items():  # and no link overwrote another
            assert http.head(f"/{code}").headers["location"] == url
    server.stop()
