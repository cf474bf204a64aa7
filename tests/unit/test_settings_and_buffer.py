"""Settings are explicit and loud; the click buffer loses nothing it was given."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import pytest

from linkpulse.backends.buffered import BufferedSender
from linkpulse.settings import Settings, SettingsError
from tests.support import wait_for


def test_settings_come_from_environment_then_overrides() -> None:
    s = Settings.from_env({"LINKPULSE_PORT": "9000", "LINKPULSE_DB": "/data/x.db",
                           "LINKPULSE_RUN_WORKER": "false"}, port=9100)
    assert s.port == 9100
    assert s.db == Path("/data/x.db")
    assert s.queue_path == Path("/data/x.queue.db")
    assert s.run_worker is False


@pytest.mark.parametrize(("env", "message"), [
    ({"LINKPULSE_PORT": "eighty"}, "LINKPULSE_PORT"),
    ({"LINKPULSE_PORT": "0"}, "LINKPULSE_PORT"),
    ({"LINKPULSE_MAX_RECEIVE_COUNT": "0"}, "MAX_RECEIVE_COUNT"),
    ({"LINKPULSE_BACKEND": "postgres"}, "BACKEND"),
    ({"LINKPULSE_RUN_WORKER": "maybe"}, "RUN_WORKER"),
    ({"LINKPULSE_CLICK_RETENTION_DAYS": "3"}, "counted twice"),
])
def test_bad_settings_fail_loudly(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env)


def test_settings_round_trip_through_the_environment() -> None:
    s = Settings(port=1234, run_worker=False, code_length=9, db=Path("a/b.db"))
    assert Settings.from_env(s.to_env()) == s


class RecordingQueue:
    def __init__(self, failures: int = 0) -> None:
        self.batches: list[list[str]] = []
        self.failures = failures
        self.lock = threading.Lock()

    def send_batch(self, bodies: Sequence[str]) -> None:
        with self.lock:
            if self.failures:
                self.failures -= 1
                raise OSError("queue down")
            self.batches.append(list(bodies))

    @property
    def sent(self) -> list[str]:
        return [b for batch in self.batches for b in batch]


def test_buffer_flushes_in_batches_in_order() -> None:
    queue = RecordingQueue()
    sender = BufferedSender(queue, interval=0.01).start()  # type: ignore[arg-type]
    for i in range(500):
        sender.send(str(i))
    wait_for(lambda: len(queue.sent) == 500, timeout=5)
    assert queue.sent == [str(i) for i in range(500)]
    assert len(queue.batches) < 500  # grouped, not one write per click
    sender.close()


def test_buffer_keeps_clicks_while_the_queue_is_down_and_delivers_later() -> None:
    queue = RecordingQueue(failures=3)
    sender = BufferedSender(queue, interval=0.01).start()  # type: ignore[arg-type]
    for i in range(20):
        sender.send(str(i))
    wait_for(lambda: len(queue.sent) == 20, timeout=10)
    assert queue.sent == [str(i) for i in range(20)]
    sender.close()


def test_close_flushes_what_is_buffered() -> None:
    queue = RecordingQueue()
    sender = BufferedSender(queue, interval=60).start()  # type: ignore[arg-type]
    for i in range(7):
        sender.send(str(i))
    sender.close()
    assert queue.sent == [str(i) for i in range(7)]
