"""Fault scenarios on the embedded shape: real processes, real files, real signals."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from linkpulse.backends.sqlite.analytics import SqliteAnalyticsStore
from linkpulse.backends.sqlite.links import SqliteLinkStore
from linkpulse.backends.sqlite.queue import SqliteQueue
from linkpulse.core.clicks import encode_event, make_event
from linkpulse.core.models import Link
from tests.support import Process, linkpulse_env

pytestmark = pytest.mark.slow


@dataclass
class Embedded:
    """The files of one embedded linkpulse, opened from the test process as an observer."""

    db: Path
    links: SqliteLinkStore
    analytics: SqliteAnalyticsStore
    queue: SqliteQueue

    def enqueue_clicks(self, code: str, n: int) -> None:
        self.links.create_if_absent(Link(code, "https://example.com/", "https://example.com/", 0))
        bodies = [encode_event(make_event(code, "Mozilla/5.0", "", "198.51.100.7"))
                  for _ in range(n)]
        self.queue.send_batch(bodies)

    def total(self, code: str) -> int:
        return self.analytics.analytics(code).total

    def worker(self, name: str = "worker", **settings: object) -> Process:
        env = linkpulse_env(self.db, **settings)
        return Process(["worker"], env, self.db.with_name(f"{name}.log"))


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[Embedded]:
    db = tmp_path / "faults.db"
    e = Embedded(db, SqliteLinkStore(db), SqliteAnalyticsStore(db),
                 SqliteQueue(tmp_path / "faults.queue.db"))
    yield e
    for part in (e.links, e.analytics, e.queue):
        part.close()
