"""Probes over HTTP and over linkpulse's SQLite files: freshness, backlog, exactness."""

from __future__ import annotations

import http.client
import itertools
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path

from bench import loadgen, seed
from linkpulse import bootstrap
from linkpulse.backends.sqlite.analytics_schema import DIM_CLASS, DIM_LEGACY


class Http:
    """One keep-alive connection for sequential probes."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)

    def get(self, path: str) -> tuple[int, bytes]:
        try:
            return self._get(path)
        except (http.client.RemoteDisconnected, ConnectionError):
            self.conn.close()  # the server closed an idle keep-alive connection: reconnect
            return self._get(path)

    def _get(self, path: str) -> tuple[int, bytes]:
        self.conn.request("GET", path, headers={"user-agent": "bench-probe/1.0 (Firefox)"})
        response = self.conn.getresponse()
        return response.status, response.read()

    def total_clicks(self, code: str) -> int:
        status, body = self.get(f"/stats/{code}")
        assert status == 200, (status, body)
        return int(json.loads(body)["total_clicks"])

    def close(self) -> None:
        self.conn.close()


def backlog(db: Path) -> int:
    components = bootstrap.build(seed.settings(db), buffered=False)
    try:
        visible, in_flight = components.queue.approximate_depth()
        return visible + in_flight
    finally:
        components.close()


def counted(db: Path) -> int:
    components = bootstrap.build(seed.settings(db), buffered=False)
    try:
        conn = components.analytics.db.connection()  # type: ignore[attr-defined]
        return int(conn.execute(
            "SELECT coalesce(sum(count), 0) FROM (SELECT dim, count FROM counts UNION ALL "
            "SELECT dim, count FROM pending) WHERE dim IN (?, ?)",
            (DIM_CLASS, DIM_LEGACY["total"]),
        ).fetchone()[0])
    finally:
        components.close()


def wait_drained(db: Path, timeout: float) -> float | None:
    """Seconds until the queue is empty (clicks still in a server's buffer land within
    one flush interval, so the queue is checked twice), or None on timeout."""
    started = time.perf_counter()
    empty_since: float | None = None
    while time.perf_counter() - started < timeout:
        if backlog(db) == 0:
            if empty_since is not None and time.perf_counter() - empty_since > 0.2:
                return empty_since - started
            empty_since = empty_since or time.perf_counter()
        else:
            empty_since = None
        time.sleep(0.05)
    return None


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] if ordered else float("nan")


def freshness(http: Http, probe_codes: list[str], probes: int,
              go_on: Callable[[], bool] | None = None) -> list[float]:
    """ms from sending a redirect to its click showing in ``GET /stats``, one probe at a time:
    ``probes`` of them, or as many as fit while ``go_on()`` is true."""
    results: list[float] = []
    for i in itertools.count():
        if (i == probes) if go_on is None else not go_on():
            break
        code = probe_codes[i % len(probe_codes)]
        before = http.total_clicks(code)
        started = time.perf_counter()
        status, _ = http.get(f"/{code}")
        assert status == 302, status
        while http.total_clicks(code) <= before:
            if time.perf_counter() - started > 120:
                raise TimeoutError(f"click on {code} not counted within 120 s")
            time.sleep(0.002)
        results.append((time.perf_counter() - started) * 1000)
    return results


def under_load(base: str, paths: list[str], duration: float, connections: int,
               probe: Callable[[Callable[[], bool]], list[float]], rate: float | None = None,
               ) -> tuple[list[float], loadgen.Load]:
    """Run ``probe`` while the load generator keeps the server busy for ``duration``
    (flat out, or at a steady ``rate``)."""
    loads: list[loadgen.Load] = []
    load_thread = threading.Thread(target=lambda: loads.append(loadgen.run(
        base, paths, connections=connections, duration=duration, rate=rate)), daemon=True)
    load_thread.start()
    time.sleep(min(1.0, duration / 4))
    results = probe(load_thread.is_alive)
    load_thread.join()
    return results, loads[0]

