"""A SQLite file's connections belong to the threads that opened them."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import httpx

from linkpulse import bootstrap
from linkpulse.backends.sqlite.analytics import SqliteAnalyticsStore
from linkpulse.core import service
from linkpulse.settings import Settings
from linkpulse.web.app import create_api_app


def test_a_threads_connection_closes_when_the_thread_ends(tmp_path: Path) -> None:
    store = SqliteAnalyticsStore(tmp_path / "lp.db")
    try:
        before = store.db.open_connections()
        for _ in range(20):  # threads that read stats, then end (a pool retiring them)
            t = threading.Thread(target=store.analytics, args=("c0de",))
            t.start()
            t.join()
        assert store.db.open_connections() == before
    finally:
        store.close()


def test_a_servers_request_threads_hold_one_fixed_set_of_connections(tmp_path: Path) -> None:
    """A server's request threads open their connections when it starts: bursts of
    stats requests open no more, and they close with the app."""
    settings = Settings.from_env({}, db=tmp_path / "lp.db", click_flush_ms=0, open=True)
    components = bootstrap.build(settings)
    code = service.shorten(components.links, "https://example.org/x").code
    app = create_api_app(components)  # its lifespan starts and closes the components
    db = components.analytics.db  # type: ignore[attr-defined]  # the SQLite store
    before = db.open_connections()

    async def burst(client: httpx.AsyncClient) -> None:
        answers = await asyncio.gather(*(client.get(f"/stats/{code}") for _ in range(32)))
        assert {a.status_code for a in answers} == {200}

    async def serve() -> list[int]:
        seen = []
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                for _ in range(3):
                    await burst(client)
                    seen.append(db.open_connections())
        return seen

    try:
        seen = asyncio.run(serve())
        assert seen[0] > before
        assert seen == [seen[0]] * len(seen)
    finally:
        components.close()
    assert db.open_connections() == 0


def test_a_connection_opens_while_another_holds_the_write_lock(tmp_path: Path) -> None:
    """GIVEN a writer in the middle of a transaction WHEN another thread opens its
    connection and reads THEN it neither waits for the writer nor fails; and a new
    file still gives its free pages back (incremental auto-vacuum)."""
    store = SqliteAnalyticsStore(tmp_path / "lp.db")
    opened: list[object] = []
    try:
        with store.db.transaction() as conn:
            conn.execute("INSERT INTO labels (kind, text) VALUES (1, 'held')")
            t = threading.Thread(target=lambda: opened.append(
                store.db.connection().execute("PRAGMA auto_vacuum").fetchone()[0]))
            t.start()
            t.join(timeout=5)
            assert not t.is_alive(), "opening a connection waited for the writer"
    finally:
        store.close()
    assert opened == [2]  # 2: incremental


def test_only_connections_that_write_get_the_large_page_cache(tmp_path: Path) -> None:
    """A server's request threads only read: each keeps SQLite's small page cache (its
    pages stay in the OS cache, shared), so memory does not grow with the pages that
    stats requests touch; a thread that writes (the consumer) gets the large one."""
    from linkpulse.backends.sqlite.db import WRITER_CACHE_KIB

    store = SqliteAnalyticsStore(tmp_path / "lp.db")
    sizes: dict[str, int] = {}

    def read() -> None:
        store.analytics("c0de")
        sizes["reader"] = store.db.connection().execute("PRAGMA cache_size").fetchone()[0]

    try:
        t = threading.Thread(target=read)
        t.start()
        t.join()
        with store.db.transaction() as conn:
            sizes["writer"] = conn.execute("PRAGMA cache_size").fetchone()[0]
    finally:
        store.close()
    assert sizes["writer"] == WRITER_CACHE_KIB
    assert abs(sizes["reader"]) < abs(WRITER_CACHE_KIB) // 8
