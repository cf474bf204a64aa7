"""ClickQueue + DeadLetters contract: the SQS semantics the consumer relies on."""

from __future__ import annotations

import threading
import time

import pytest

from tests.contract.conftest import MAX_RECEIVE_COUNT, Backend
from tests.support import wait_for


def _receive_all(backend: Backend, expected: int, timeout: float = 10.0,
                 visibility: float = 30.0) -> list:
    got: list = []
    deadline = time.monotonic() + timeout
    while len(got) < expected and time.monotonic() < deadline:
        got += backend.queue.receive(10, wait_seconds=0.5, visibility_timeout=visibility)
    return got


def test_sent_message_is_received_once_with_its_body(backend: Backend) -> None:
    backend.queue.send('{"hello": "wörld"}')
    [message] = _receive_all(backend, 1)
    assert message.body == '{"hello": "wörld"}'
    assert message.receive_count == 1
    assert backend.queue.receive(10, wait_seconds=0.2) == []


def test_receive_returns_at_most_ten(backend: Backend) -> None:
    backend.queue.send_batch([f"m{i}" for i in range(25)])
    first = backend.queue.receive(10, wait_seconds=1)
    assert 1 <= len(first) <= 10
    everything = first + _receive_all(backend, 25 - len(first))
    assert sorted(m.body for m in everything) == sorted(f"m{i}" for i in range(25))


def test_more_than_ten_per_receive_is_refused(backend: Backend) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - SQS and the SQLite queue word it differently
        backend.queue.receive(11)


def test_deleted_message_is_never_redelivered(backend: Backend) -> None:
    backend.queue.send("once")
    [message] = _receive_all(backend, 1, visibility=1)
    assert backend.queue.delete_batch([message.receipt]) == 1
    assert backend.queue.receive(10, wait_seconds=2.0, visibility_timeout=1) == []


def test_unacknowledged_message_comes_back_after_visibility_timeout(backend: Backend) -> None:
    backend.queue.send("retry me")
    [first] = _receive_all(backend, 1, visibility=1)
    assert backend.queue.receive(10, wait_seconds=0) == []  # invisible while in flight
    [second] = _receive_all(backend, 1, visibility=30)
    assert second.body == "retry me"
    assert second.receive_count == 2
    assert second.receipt != first.receipt


def test_stale_receipt_cannot_delete_the_new_delivery(backend: Backend) -> None:
    backend.queue.send("contested")
    [first] = _receive_all(backend, 1, visibility=1)
    [second] = _receive_all(backend, 1, visibility=1)
    backend.queue.delete_batch([first.receipt])  # SQS may accept it, but must not delete
    [third] = _receive_all(backend, 1, visibility=30)
    assert third.body == "contested"
    assert third.receive_count == 3
    assert backend.queue.delete_batch([third.receipt]) == 1
    del second


def test_change_visibility_zero_makes_message_visible_again(backend: Backend) -> None:
    backend.queue.send("now")
    [message] = _receive_all(backend, 1, visibility=30)
    assert backend.queue.change_visibility(message.receipt, 0)
    [again] = _receive_all(backend, 1, timeout=5)
    assert again.body == "now"


def test_message_goes_to_dead_letters_after_max_receives(backend: Backend) -> None:
    backend.queue.send("poison")
    for attempt in range(1, MAX_RECEIVE_COUNT + 1):
        [message] = _receive_all(backend, 1, visibility=1)
        assert message.receive_count == attempt
    # the next receive moves it to the DLQ instead of delivering it a 4th time
    assert backend.queue.receive(10, wait_seconds=2.0, visibility_timeout=1) == []
    dead = wait_for(lambda: backend.queue.dlq_list(), timeout=10, message="a dead letter")
    assert [m.body for m in dead] == ["poison"]
    assert backend.queue.dlq_depth() == 1


def test_redrive_returns_dead_letters_to_the_queue(backend: Backend) -> None:
    backend.queue.send("second chance")
    for _ in range(MAX_RECEIVE_COUNT):
        _receive_all(backend, 1, visibility=1)
    wait_for(lambda: backend.queue.receive(10, wait_seconds=0.5, visibility_timeout=1) == []
             and backend.queue.dlq_depth() == 1, timeout=10, message="message dead-lettered")
    assert backend.queue.dlq_redrive() == 1
    [back] = _receive_all(backend, 1)
    assert back.body == "second chance"
    assert backend.queue.dlq_depth() == 0


def test_long_poll_returns_as_soon_as_a_message_arrives(backend: Backend) -> None:
    sender = threading.Timer(0.3, backend.queue.send, args=("late",))
    sender.start()
    started = time.monotonic()
    messages = backend.queue.receive(10, wait_seconds=10)
    sender.join()
    assert [m.body for m in messages] == ["late"]
    assert time.monotonic() - started < 9  # woke on arrival, did not sit out the wait


def test_depth_counts_visible_and_in_flight(backend: Backend) -> None:
    backend.queue.send_batch(["a", "b", "c"])
    wait_for(lambda: backend.queue.approximate_depth() == (3, 0), timeout=10,
             message="3 visible")
    got = _receive_all(backend, 1)
    wait_for(lambda: backend.queue.approximate_depth()[1] == len(got), timeout=10,
             message="in-flight count")


def test_receive_batch_takes_more_than_ten_each_once(backend: Backend) -> None:
    backend.queue.send_batch([f"m{i}" for i in range(25)])
    got: list = []
    deadline = time.monotonic() + 10
    while len(got) < 25 and time.monotonic() < deadline:
        got += backend.queue.receive_batch(100, wait_seconds=0.5, visibility_timeout=30)
    assert sorted(m.body for m in got) == sorted(f"m{i}" for i in range(25))
    assert len({m.receipt for m in got}) == 25
    assert backend.queue.delete_batch([m.receipt for m in got]) == 25
    assert backend.queue.receive_batch(100, wait_seconds=0.2) == []


def test_receive_batch_stops_at_its_maximum(backend: Backend) -> None:
    backend.queue.send_batch([f"m{i}" for i in range(15)])
    wait_for(lambda: sum(backend.queue.approximate_depth()) == 15, timeout=10,
             message="15 messages queued")
    first = backend.queue.receive_batch(12, wait_seconds=1, visibility_timeout=30)
    assert 1 <= len(first) <= 12
    with pytest.raises(ValueError):  # noqa: PT011 - the two adapters word it differently
        backend.queue.receive_batch(10_001)


def test_receive_batch_dead_letters_like_receive(backend: Backend) -> None:
    backend.queue.send("poison")
    for _ in range(MAX_RECEIVE_COUNT):
        wait_for(lambda: backend.queue.receive_batch(50, wait_seconds=0.5,
                                                     visibility_timeout=0.5),
                 timeout=10, message="the message delivered again")
    dead = wait_for(lambda: backend.queue.receive_batch(50, wait_seconds=0.5) == []
                    and backend.queue.dlq_list(), timeout=10, message="a dead letter")
    assert [m.body for m in dead] == ["poison"]
