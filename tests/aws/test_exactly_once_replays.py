"""Exactly-once on the AWS shape, with the faults replayed through the emulator's real
SQS queue and the analytics Lambda handler, step by step as the event source mapping
would take them: redelivery, a crash between two writes of one batch, partial batch
failure and DLQ redrive. Each replay ends with the counts a user reads (stats and the
link listing's totals) equal to the clicks sent, once.

Visibility timeouts are made to run out with ``ChangeMessageVisibility`` to 0 rather than
waited for; the queue's redrive policy (3 receives here) is the emulator's own."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from linkpulse.aws_lambda.local import batch_handler
from linkpulse.core.clicks import encode_event, make_event
from linkpulse.core.models import Message

T0 = 1_780_000_000.0


class Crash(BaseException):
    """The process dies: nothing after this point of the invocation happens."""


@pytest.fixture
def esm(components: Any) -> Any:
    """The event source mapping's part: the handler as it invokes it."""
    return batch_handler(components)


def _send(components: Any, spread: dict[str, int]) -> None:
    bodies = [encode_event(make_event(code, f"agent-{i % 7}", f"https://r{i % 3}.example/",
                                      "192.0.2.1", now=T0 + i))
              for code, n in spread.items() for i in range(n)]
    components.queue.send_batch(bodies)


def _receive_all(components: Any, expected: int) -> list[Message]:
    """Every visible message, in as many receives as it takes (a window's batch)."""
    got: list[Message] = []
    for _ in range(expected + 10):
        more = components.queue.receive_batch(expected - len(got), visibility_timeout=60)
        got += more
        if len(got) >= expected or not more:
            break
    return got


def _expire(components: Any, messages: list[Message]) -> None:
    """The visibility timeout of ``messages`` runs out: they come back."""
    for m in messages:
        assert components.queue.change_visibility(m.receipt, 0)


def _deliver(components: Any, esm: Any, messages: list[Message]) -> Any:
    """Invoke the handler and delete what it did not report as failed."""
    result = esm(messages)
    components.queue.delete_batch([m.receipt for m in result.succeeded])
    return result


def _assert_counted(components: Any, spread: dict[str, int]) -> None:
    analytics = components.analytics
    for code, n in spread.items():
        stats = analytics.analytics(code, top=10)
        assert stats.total == n, code
        assert sum(c.count for c in stats.user_agents) == n
        assert sum(d.count for d in stats.days) == n
    assert analytics.totals(list(spread)) == {code: (n, 0) for code, n in spread.items()}


@contextmanager
def _hooked(components: Any, event: str, handler: Any) -> Iterator[None]:
    """``handler`` on the analytics store's client for ``event`` (a fault injected
    through botocore's own event hooks; the calls still go over HTTP to the emulator)."""
    events = components.analytics.client.meta.events
    events.register(event, handler, unique_id="replay")
    try:
        yield
    finally:
        events.unregister(event, unique_id="replay")


def _after_commit(hook: Any) -> Any:
    """An ``after-call`` handler that runs ``hook`` once a transaction has committed."""
    def after(http_response: Any, **_: Any) -> None:
        if http_response.status_code == 200:
            hook()
    return after


def test_a_redelivered_batch_counts_nothing_twice(components: Any, esm: Any) -> None:
    """GIVEN a batch recorded whose deletes were lost WHEN it is delivered again THEN
    nothing is counted twice and the queue ends empty."""
    spread = {"re00001": 12, "re00002": 5, "re00003": 1}
    _send(components, spread)
    first = _receive_all(components, 18)
    assert esm(first).recorded == 18  # ... and the deletes never happen
    _expire(components, first)
    again = _receive_all(components, 18)
    assert {m.message_id for m in again} == {m.message_id for m in first}
    assert _deliver(components, esm, again).recorded == 0
    _assert_counted(components, spread)
    assert components.queue.approximate_depth() == (0, 0)


def test_a_crash_between_two_writes_of_a_batch_counts_each_click_once(
        components: Any, esm: Any) -> None:
    """GIVEN a batch that takes two transactions (60 links: 120 actions > 100) WHEN the
    function dies right after the first commits THEN the redelivered batch counts the
    rest, and each click once."""
    spread = {f"cr{i:05d}": 1 + i % 2 for i in range(60)}
    _send(components, spread)
    batch = _receive_all(components, 90)
    assert len(batch) == 90
    committed: list[int] = []

    def die_after_the_first() -> None:
        committed.append(1)
        raise Crash

    with _hooked(components, "after-call.dynamodb.TransactWriteItems",
                 _after_commit(die_after_the_first)), pytest.raises(Crash):
        esm(batch)
    assert committed == [1]
    counted = sum(components.analytics.totals(list(spread)).get(c, (0, 0))[0] for c in spread)
    assert 0 < counted < 90  # the first transaction is in, the second never ran
    _expire(components, batch)
    result = _deliver(components, esm, _receive_all(components, 90))
    assert result.recorded == 90 - counted
    _assert_counted(components, spread)


def test_partial_batch_failure_dead_letters_only_the_bad_message(
        components: Any, esm: Any) -> None:
    """GIVEN a poison message among good clicks WHEN the batch is handled THEN only it
    is reported failed, the good clicks are deleted, and after 3 receives it is in the
    dead-letter queue while the counts stay exact."""
    spread = {"pb00001": 8, "pb00002": 3}
    _send(components, spread)
    components.queue.send("not a click")
    batch = _receive_all(components, 12)
    result = _deliver(components, esm, batch)
    assert [m.body for m in result.failed] == ["not a click"]
    assert result.recorded == 11
    for _ in range(2):  # receives 2 and 3 of the poison message
        _expire(components, list(result.failed))
        result = _deliver(components, esm, _receive_all(components, 1))
        assert [m.body for m in result.failed] == ["not a click"]
    _expire(components, list(result.failed))
    assert _receive_all(components, 1) == []  # the 4th receive moved it
    [dead] = components.queue.dlq_list()
    assert dead.body == "not a click"
    _assert_counted(components, spread)


def test_dlq_redrive_counts_the_missing_clicks_once_and_the_counted_ones_never_again(
        components: Any, esm: Any) -> None:
    """GIVEN clicks dead-lettered in two ways -- counted but never deleted, and never
    counted because DynamoDB refused every write -- WHEN the DLQ is redriven and
    delivered THEN the missing clicks count once and the others not again."""
    counted, refused = {"dl00001": 6}, {"dl00002": 4}
    _send(components, counted)
    batch = _receive_all(components, 6)
    assert esm(batch).recorded == 6
    for _ in range(2):  # the deletes keep getting lost until the 3rd receive
        _expire(components, batch)
        batch = _receive_all(components, 6)
        assert esm(batch).recorded == 0
    _expire(components, batch)

    _send(components, refused)
    with _hooked(components, "before-call.dynamodb.TransactWriteItems", _throttled):
        for _ in range(3):
            batch = _receive_all(components, 4)
            result = _deliver(components, esm, batch)
            assert result.recorded == 0
            assert len(result.failed) == 4
            _expire(components, batch)
    assert _receive_all(components, 10) == []  # all ten moved to the DLQ
    assert components.queue.dlq_depth() == 10

    assert components.queue.dlq_redrive() == 10
    result = _deliver(components, esm, _receive_all(components, 10))
    assert result.recorded == 4
    assert not result.failed
    _assert_counted(components, {**counted, **refused})
    assert components.queue.approximate_depth() == (0, 0)
    assert components.queue.dlq_depth() == 0


def _throttled(**_: Any) -> Any:
    """DynamoDB throttles every write: the call fails before it reaches the table."""
    from botocore.exceptions import ClientError

    raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "outage"}},
                      "TransactWriteItems")
