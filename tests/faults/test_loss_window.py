"""The hard-crash loss window, measured: ``kill -9`` of a server in the middle of a
burst of redirects loses only the clicks of the last ``LOSS_WINDOW_MS`` before the
kill (README, "The embedded queue and the redirect's write path").

The window is the time between the last redirect answered and the newest click found
in the queue file after the kill: clicks answered in that span were buffered, not yet
written. With the default 20 ms flush interval it is bounded by the interval, the
flush in progress and the scheduling delay of a busy machine.
"""

from __future__ import annotations

import json
import threading
import time

import httpx

from tests.faults.conftest import Embedded
from tests.support import LiveServer, wait_for

FLUSH_MS = 20.0
LOSS_WINDOW_MS = 60.0
"""What the README promises for the default flush interval: 20 ms of cadence, plus the
flush being written and the thread's wake-up delay under load (measured 20-40 ms)."""


def test_kill_9_mid_burst_loses_at_most_the_documented_window(embedded: Embedded) -> None:
    server = LiveServer(embedded.db, extra_args=["--no-worker"], click_flush_ms=FLUSH_MS,
                        open="true")
    code = httpx.post(f"{server.base_url}/shorten",
                      json={"url": "https://example.com/burst"}).json()["code"]
    answered: list[float] = []
    stop = threading.Event()

    def burst() -> None:
        with httpx.Client(base_url=server.base_url, timeout=2) as http:
            while not stop.is_set():
                try:
                    reply = http.get(f"/{code}")
                except httpx.HTTPError:
                    return
                if reply.status_code == 302:
                    answered.append(time.time())

    threads = [threading.Thread(target=burst) for _ in range(4)]
    for t in threads:
        t.start()
    wait_for(lambda: len(answered) >= 3000, timeout=60, message="a burst under way")
    server.kill()
    stop.set()
    for t in threads:
        t.join(10)

    persisted = embedded.queue.receive_batch(len(answered) + 10, visibility_timeout=600)
    newest = max(json.loads(m.body)["ts"] for m in persisted)
    window_ms = (max(answered) - newest) * 1000
    lost = len(answered) - len(persisted)
    print(f"answered {len(answered)}, persisted {len(persisted)}, lost {lost}, "
          f"window {window_ms:.1f} ms")
    assert lost >= 0
    assert window_ms <= LOSS_WINDOW_MS, f"lost the last {window_ms:.1f} ms of clicks"
