"""A client that leaves the live click stream costs nothing: its subscription is gone at
once, the worker's poller stops when nobody listens, and no thread or SQLite connection
is left behind, however many streams came and went. (The app in this process, served by
uvicorn over real HTTP, so its hub can be looked at.)"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from linkpulse import bootstrap
from linkpulse.settings import Settings
from linkpulse.web.app import create_api_app
from tests.sse import SseStream
from tests.support import free_port, wait_for


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Any, Any]]:
    components = bootstrap.build(Settings(db=tmp_path / "live.db", open=True))
    app = create_api_app(components)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started, timeout=30, message="uvicorn started")
    yield f"http://127.0.0.1:{port}", app.state.api.live, components
    server.should_exit = True
    thread.join(30)


def test_a_closed_stream_leaves_nothing_behind(served: tuple[str, Any, Any]) -> None:
    base, hub, components = served
    url = f"{base}/api/v1/events"
    warm = [SseStream(url) for _ in range(3)]  # the thread pool and connections streams use
    wait_for(lambda: hub.polling and hub.polls > 0, timeout=10, message="polling")
    for stream in warm:
        stream.close()
    wait_for(lambda: hub.subscribers == 0 and not hub.polling, timeout=10,
             message="the poller stopped after the last stream left")
    threads = threading.active_count()
    connections = components.analytics.db.open_connections()
    for _ in range(20):
        streams = [SseStream(url) for _ in range(3)]
        wait_for(lambda: hub.subscribers == 3, timeout=10, message="three subscribers")
        for stream in streams:
            stream.close()
        wait_for(lambda: hub.subscribers == 0, timeout=5, message="all unsubscribed")
    wait_for(lambda: not hub.polling, timeout=5, message="the poller stopped")
    # No thread or connection per stream (60 came and went): at most the worker's shared
    # thread pool, a connection per thread, grew by a thread.
    assert threading.active_count() - threads < 3
    assert components.analytics.db.open_connections() - connections < 3
