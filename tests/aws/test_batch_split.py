"""On AWS too, one unrecordable message fails alone: the analytics handler splits a
batch whose write fails, so the event source mapping deletes every good message and only
the bad one comes back, then reaches the dead-letter queue."""

from __future__ import annotations

from typing import Any

from linkpulse.aws_lambda.local import batch_handler
from linkpulse.consumer import Consumer
from linkpulse.core import service
from linkpulse.core.clicks import encode_event, make_event
from linkpulse.core.models import Message
from tests.support import wait_for
from tests.unrecordable import unrecordable


def test_an_unrecordable_message_among_good_ones_is_dead_lettered_alone(
        components: Any) -> None:
    link = service.shorten(components.links, "https://example.com/split")
    good = [encode_event(make_event(link.code, "Mozilla/5.0", "", "192.0.2.1"))
            for _ in range(29)]
    components.queue.send_batch([*good[:13], unrecordable(link.code), *good[13:]])
    consumer = Consumer(components.queue, batch_handler(components), wait_seconds=1,
                        max_messages=10).start()
    try:
        wait_for(lambda: components.analytics.analytics(link.code).total == 29, timeout=30,
                 message="29 good clicks counted")
        [dead] = wait_for(components.queue.dlq_list, timeout=30,
                          message="the bad message dead-lettered")
        assert dead.body == unrecordable(link.code)
    finally:
        consumer.stop()
    assert components.analytics.analytics(link.code).total == 29
    assert components.queue.dlq_depth() == 1


def test_a_visitor_whose_first_click_cannot_be_written_counts_with_the_next(
        components: Any) -> None:
    """GIVEN two clicks of one visitor in one batch, the first unrecordable (a crafted
    message whose address cannot be encoded) WHEN the batch is processed THEN the first
    fails alone and the second counts, with the visitor: a click that cannot be written
    does not claim it (the claim is a put before the batch's transaction)."""
    link = service.shorten(components.links, "https://example.com/claims")
    good = make_event(link.code, "Mozilla/5.0", "https://ref.example/", "192.0.2.1",
                      visitor="v" * 16)
    bad = good._replace(click_id="0" * 29 + "bad", ip="\ud800")
    messages = [Message(f"m{i}", encode_event(event), f"r{i}", 1, 0.0)
                for i, event in enumerate((bad, good))]
    result = service.process_batch(components.analytics, messages)
    assert [m.message_id for m in result.failed] == ["m0"]
    stats = components.analytics.analytics(link.code)
    assert (stats.total, stats.unique_visitors) == (1, 1)
