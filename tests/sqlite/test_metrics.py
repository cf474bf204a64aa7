"""Prometheus metrics of ``linkpulse serve``: exact across worker processes, behind an
admin key (or on a loopback-only port), labelled by route template only."""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.mmap_dict import MmapedDict
from prometheus_client.parser import text_string_to_metric_families

from linkpulse.backends.buffered import BufferedSender
from linkpulse.backends.sqlite.queue import SqliteQueue
from linkpulse.cli import metrics_directory
from linkpulse.core.metrics import NoMetrics
from linkpulse.settings import Settings
from tests.support import LiveServer, free_port, printed_admin_key, wait_for

pytestmark = pytest.mark.slow


class Served:
    def __init__(self, server: LiveServer, db: Path, key: str, metrics_port: int) -> None:
        self.server = server
        self.db = db
        self.key = key
        self.metrics_port = metrics_port
        self.auth = {"Authorization": f"Bearer {key}"}

    def samples(self) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
        response = httpx.get(f"{self.server.base_url}/metrics", headers=self.auth, timeout=10)
        assert response.status_code == 200, response.text
        return parse(response.text)

    def value(self, name: str, **labels: str) -> float:
        return self.samples().get((name, frozenset(labels.items())), 0.0)


def parse(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """``serve --workers 2`` with its click consumer and a metrics port."""
    db = tmp_path_factory.mktemp("metrics") / "lp.db"
    port = free_port()
    server = LiveServer(db, extra_args=["--workers", "2", "--metrics-port", str(port)])
    try:
        yield Served(server, db, printed_admin_key(server), port)
    finally:
        server.stop()


def metrics_files(db: Path) -> Path:
    """Where ``serve`` on ``db`` keeps its processes' metrics."""
    return metrics_directory(Settings(db=db))


def processes_that_redirected(db: Path) -> set[str]:
    """The processes whose own metrics file counts a 302."""
    found = set()
    for path in metrics_files(db).glob("counter_*.db"):
        for key, value, *_ in MmapedDict.read_all_values_from_file(str(path)):
            if '"linkpulse_redirects_total", {"outcome": "302"}' in key and value:
                found.add(path.stem)
    return found


def _link(served: Served, url: str) -> str:
    response = httpx.post(f"{served.server.base_url}/shorten", json={"url": url},
                          headers=served.auth)
    assert response.status_code == 201, response.text
    code: str = response.json()["code"]
    return code


def test_200_redirects_over_two_workers_are_exactly_200_in_metrics(served: Served) -> None:
    """GIVEN serve --workers 2 WHEN 200 redirects arrive on fresh connections (the
    kernel spreads them over both workers) THEN /metrics, answered by either worker,
    reports exactly 200, and 200 clicks recorded once the consumer has drained."""
    code = _link(served, "https://example.org/exact")
    before = served.samples()

    def delta(name: str, **labels: str) -> float:
        key = (name, frozenset(labels.items()))
        return served.samples().get(key, 0.0) - before.get(key, 0.0)

    for _ in range(200):
        response = httpx.get(f"{served.server.base_url}/{code}",
                             headers={"connection": "close"})
        assert response.status_code == 302
    # Each worker publishes its tally every 50 ms: wait for both, then it stays exact.
    wait_for(lambda: delta("linkpulse_redirects_total", outcome="302") == 200,
             message="200 redirects counted")
    wait_for(lambda: delta("linkpulse_http_request_duration_seconds_count", method="GET",
                           route="/{code}", status="302") == 200,
             message="200 redirect latencies")
    wait_for(lambda: delta("linkpulse_clicks_queued_total") == 200, timeout=30,
             message="200 clicks queued")
    wait_for(lambda: delta("linkpulse_clicks_recorded_total") == 200, timeout=60,
             message="200 clicks recorded")
    assert delta("linkpulse_redirects_total", outcome="302") == 200  # every scrape agrees
    assert len(processes_that_redirected(served.db)) == 2  # both workers took a share
    stats = httpx.get(f"{served.server.base_url}/stats/{code}", headers=served.auth).json()
    assert stats["total_clicks"] == 200


def test_not_found_and_created_links_are_counted(served: Served) -> None:
    not_found = served.value("linkpulse_redirects_total", outcome="404")
    created = served.value("linkpulse_links_created_total")
    assert httpx.get(f"{served.server.base_url}/zz99zz9").status_code == 404
    _link(served, "https://example.org/created")
    wait_for(lambda: served.value("linkpulse_redirects_total", outcome="404") == not_found + 1,
             message="one more 404")
    assert served.value("linkpulse_links_created_total") == created + 1


def test_queue_gauges_are_read_at_scrape_time(served: Served) -> None:
    samples = served.samples()
    for gauge in ("linkpulse_queue_visible", "linkpulse_queue_in_flight",
                  "linkpulse_dead_letters", "linkpulse_queue_oldest_age_seconds",
                  "linkpulse_click_buffer_depth"):
        assert (gauge, frozenset()) in samples, gauge


def test_metrics_without_a_key_is_401_and_with_a_non_admin_key_403(served: Served) -> None:
    base = served.server.base_url
    anonymous = httpx.get(f"{base}/metrics")
    assert anonymous.status_code == 401
    assert "error" in anonymous.json()
    made = httpx.post(f"{base}/api/v1/keys", json={"name": "reader"}, headers=served.auth)
    assert made.status_code == 201, made.text
    forbidden = httpx.get(f"{base}/metrics",
                          headers={"Authorization": f"Bearer {made.json()['key']}"})
    assert forbidden.status_code == 403
    assert "error" in forbidden.json()


def test_the_metrics_port_answers_on_loopback_without_a_key(served: Served) -> None:
    response = httpx.get(f"http://127.0.0.1:{served.metrics_port}/metrics", timeout=10)
    assert response.status_code == 200
    assert ("linkpulse_queue_visible", frozenset()) in parse(response.text)


def test_labels_are_route_templates_never_what_the_client_sent(served: Served) -> None:
    """A client cannot grow the label set: unknown codes and paths are one series."""
    base = served.server.base_url
    for probe in ("noSuch1", "noSuch2"):
        httpx.get(f"{base}/api/v1/links/{probe}", headers=served.auth)
        httpx.get(f"{base}/{probe}")
    text = httpx.get(f"{base}/metrics", headers=served.auth).text
    assert "noSuch" not in text
    assert 'route="/api/v1/links/{code}"' in text


def test_the_multiprocess_directory_is_private_and_off_the_data_disk(served: Served) -> None:
    directory = metrics_files(served.db)
    mode = stat.S_IMODE(directory.stat().st_mode)
    assert mode == 0o700, oct(mode)
    assert directory.stat().st_uid == os.getuid()
    assert not directory.is_relative_to(served.db.parent)


class Recorded(NoMetrics):
    def __init__(self) -> None:
        self.dead = 0
        self.depths: list[int] = []
        self.dropped = 0

    def clicks_dead_lettered(self, count: int) -> None:
        self.dead += count

    def buffer_depth(self, depth: int) -> None:
        self.depths.append(depth)

    def clicks_dropped(self, count: int) -> None:
        self.dropped += count


def test_a_message_moved_to_the_dead_letter_queue_is_counted(tmp_path: Path) -> None:
    recorded = Recorded()
    queue = SqliteQueue(tmp_path / "q.db", visibility_timeout=0.01, max_receive_count=1,
                        on_dead_letter=recorded.clicks_dead_lettered)
    queue.send_batch(["a", "b"])
    assert len(queue.receive(10)) == 2  # not deleted: they come back after 10 ms
    wait_for(lambda: queue.receive(10, wait_seconds=0.1) == [] and queue.dlq_depth() == 2,
             message="both dead-lettered")
    assert recorded.dead == 2
    queue.close()


class Flaky:
    """A queue backend that is down until ``up`` is set."""

    def __init__(self) -> None:
        self.up = False
        self.sent: list[str] = []

    def send(self, body: str) -> None:
        self.send_batch([body])

    def send_batch(self, bodies: Any) -> None:
        if not self.up:
            raise OSError("down")
        self.sent += bodies


def test_the_buffer_reports_its_depth_and_what_a_full_buffer_dropped() -> None:
    recorded = Recorded()
    backend = Flaky()
    buffer = BufferedSender(backend, interval=0.005, max_buffered=3, metrics=recorded)
    for body in "abcde":
        buffer.send(body)
    buffer.start()
    wait_for(lambda: recorded.dropped == 2 and 3 in recorded.depths,
             message="depth 3 and 2 dropped")
    backend.up = True
    buffer.close()
    assert backend.sent == ["c", "d", "e"]


def test_the_tally_publishes_every_event_once_whichever_thread_counted_it() -> None:
    from linkpulse.tally import Tally

    published: list[tuple[dict[Any, int], dict[Any, tuple[float, list[int]]]]] = []
    tally = Tally((0.1, 1.0, float("inf")), lambda c, t: published.append((c, t)),
                  interval=0.001).start()

    def work() -> None:
        for i in range(5_000):
            tally.count("302")
            tally.time(("GET /{code}", 0.05 if i % 2 else 0.5))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    tally.stop()
    assert sum(c.get("302", 0) for c, _ in published) == 20_000
    buckets = [sum(t["GET /{code}"][1][i] for _, t in published if t) for i in range(3)]
    assert buckets == [10_000, 10_000, 0]
