"""Countries, visitors, hours and the cap on DynamoDB beyond the port contract: what two
consumers (two Lambda containers, each with its own memory) do to the same items, and
what a slot item may hold. Against moto over HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from linkpulse.backends.aws.analytics import (
    KNOWN_SLOT_KEYS,
    SLOT_CAP,
    DynamoAnalyticsStore,
    SlotState,
)
from linkpulse.core import service
from linkpulse.core.clicks import make_event
from linkpulse.core.models import Click
from linkpulse.core.ranges import OTHER

T0 = 1_780_000_000.0  # 2026-05-28 20:26 UTC
DAY = 86_400


def click(code: str, i: int, *, at: float = T0, visitor: str = "", country: str = "",
          ua: str = "") -> Click:
    return service.enrich(make_event(code, ua or f"agent-{i}", f"https://ref{i}.example/",
                                     "192.0.2.1", now=at + i, country=country,
                                     visitor=visitor))


def second_consumer(components: Any) -> DynamoAnalyticsStore:
    """Another process on the same table: it knows nothing the first one learned."""
    return DynamoAnalyticsStore(components.settings.clicks_table, components.analytics.client)


def slot_items(store: DynamoAnalyticsStore, code: str) -> list[dict[str, Any]]:
    return store.client.query(  # type: ignore[no-any-return]
        TableName=store.table, KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"A#{code}"}})["Items"]


def test_a_storm_of_agents_from_two_consumers_keeps_the_slot_item_bounded(
        components: Any) -> None:
    """GIVEN 2 x SLOT_CAP + 50 distinct agents and referers in one slot, in batches of 10
    alternating between two consumers WHEN counted THEN the item holds at most SLOT_CAP
    keys of each plus ``other``, and every click is in the figures once."""
    one, two = components.analytics, second_consumer(components)
    clicks = [click("storm01", i) for i in range(2 * SLOT_CAP + 50)]
    for n, start in enumerate(range(0, len(clicks), 10)):
        (one if n % 2 else two).record(clicks[start:start + 10])
    [item] = slot_items(one, "storm01")
    for prefix in ("u:", "r:"):
        keys = [k for k in item if k.startswith(prefix)]
        assert len(keys) == SLOT_CAP + 1
        assert sum(int(item[k]["N"]) for k in keys) == len(clicks)
    result = one.analytics("storm01", top=3)
    assert result.total == len(clicks)
    assert result.user_agents[0].key == OTHER
    assert result.user_agents[0].count == len(clicks) - SLOT_CAP
    assert one.cancelled + two.cancelled > 0  # each found the item changed by the other


def test_a_visitor_counts_once_a_day_whichever_consumer_sees_it(components: Any) -> None:
    one, two = components.analytics, second_consumer(components)
    first = click("visit01", 0, visitor="a" * 16)
    assert one.record([first]) == 1
    assert two.record([click("visit01", 1, visitor="a" * 16)]) == 1  # same visitor, same day
    assert two.record([first]) == 0                                    # a redelivery
    assert two.record([click("visit01", 2, at=T0 + DAY, visitor="a" * 16)]) == 1
    result = one.analytics("visit01")
    assert (result.total, result.unique_visitors) == (3, 2)
    assert [c.count for c in result.day_visitors] == [1, 1]


class Crash(BaseException):
    """The consumer dies: nothing after this point of the invocation happens."""


def test_a_crash_between_the_visitor_marker_and_the_transaction_counts_the_visitor_once(
        components: Any) -> None:
    """GIVEN a consumer that dies after putting a click's visitor marker, before its
    transaction, AND the visitor's second click counted meanwhile by another consumer
    WHEN the first click comes back THEN both clicks count, and the visitor once: the
    marker names its click, which counts the visitor when it is recorded."""
    one, two = components.analytics, second_consumer(components)
    first = click("crash01", 0, visitor="c" * 16)
    events = one.client.meta.events

    def die(**_: Any) -> None:
        raise Crash

    events.register("before-call.dynamodb.TransactWriteItems", die, unique_id="crash")
    try:
        with pytest.raises(Crash):
            one.record([first])
    finally:
        events.unregister("before-call.dynamodb.TransactWriteItems", unique_id="crash")
    assert one.analytics("crash01").total == 0
    assert two.record([click("crash01", 1, visitor="c" * 16)]) == 1  # not the owner
    assert (one.analytics("crash01").total, one.analytics("crash01").unique_visitors) == (1, 0)
    assert second_consumer(components).record([first]) == 1          # the owner, redelivered
    assert second_consumer(components).record([first]) == 0          # and once more
    result = one.analytics("crash01")
    assert (result.total, result.unique_visitors) == (2, 1)


def test_a_new_visitor_costs_one_write_outside_the_transaction(components: Any) -> None:
    """The marker is a plain conditional PutItem (1 write unit), not a transaction action
    (2): a batch's transaction holds its click rows and slot updates only."""
    store = components.analytics
    actions: list[int] = []
    puts: list[str] = []

    def seen(params: dict[str, Any], **_: Any) -> None:
        if "TransactItems" in params:
            actions.append(len(params["TransactItems"]))
        elif params.get("Item", {}).get("pk", {}).get("S", "").startswith("V#"):
            puts.append(params["Item"]["c"]["S"])

    events = store.client.meta.events
    events.register("provide-client-params.dynamodb", seen, unique_id="seen")
    try:
        batch = [click("cheap01", i, visitor=f"{i:016d}") for i in range(5)]
        assert store.record(batch) == 5
    finally:
        events.unregister("provide-client-params.dynamodb", unique_id="seen")
    assert actions == [5 + 1]  # 5 click rows + 1 slot update, no markers
    assert sorted(puts) == sorted(c.event.click_id for c in batch)
    assert store.analytics("cheap01").unique_visitors == 5


def test_the_event_poll_and_the_export_carry_the_country(components: Any) -> None:
    store = components.analytics
    store.record([click("where01", 0, country="NL"), click("where01", 1)])
    polled = store.clicks_after("where01", "", 10).clicks
    assert [c.event.country for c in polled] == ["NL", ""]
    assert [e.country for e in store.clicks("where01", "", "g", 10)] == ["NL", ""]


def test_bot_clicks_count_apart_so_a_range_can_leave_them_out(components: Any) -> None:
    store = components.analytics
    googlebot = "Googlebot/2.1 (+http://www.google.com/bot.html)"
    store.record([click("bots001", 0, country="US"),
                  click("bots001", 1, country="US", ua=googlebot, visitor="b" * 16)])
    [item] = slot_items(store, "bots001")
    assert {k for k in item if k.startswith("~")} >= {"~c:US", "~v", "~h:20"}
    assert store.analytics("bots001").countries[0].count == 2


def test_what_a_consumer_remembers_of_slot_items_is_bounded() -> None:
    """Slot states of many links, each at the cap: the names kept stay within the
    budget, the most recently used kept (no table needed: nothing is written)."""
    store = DynamoAnalyticsStore("unused")
    per_slot = 12 * (SLOT_CAP + 1)  # every capped dimension full, humans and bots
    for i in range(3 * KNOWN_SLOT_KEYS // per_slot):
        keys = {f"u:{i}-{k}" for k in range(per_slot)}
        store._keep_slot((f"code{i}", "s#2026-05-28#18"), SlotState(i, keys))
    kept = sum(len(state.keys) for state in store._slots.values())
    assert kept == store._slot_keys <= KNOWN_SLOT_KEYS
    assert (f"code{i}", "s#2026-05-28#18") in store._slots
