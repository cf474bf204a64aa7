"""Stats ranges: what a request may ask for, and the top-10-plus-rest of countries."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linkpulse.core.errors import InvalidInput
from linkpulse.core.models import Count
from linkpulse.core.ranges import (
    MAX_RANGE_DAYS,
    OTHER,
    RECENT_HOURS,
    day_number,
    stats_query,
    top_with_rest,
)

NOW = 1_780_000_000.0  # 2026-05-28 20:26 UTC
TODAY = date(2026, 5, 28)


def test_no_range_is_all_time_with_the_last_48_hours() -> None:
    q = stats_query(None, None, False, NOW)
    assert not q.ranged
    assert q.last_hour == int(NOW // 3600)
    assert q.last_hour - q.first_hour + 1 == RECENT_HOURS


def test_from_alone_runs_to_today() -> None:
    q = stats_query(date(2026, 5, 1), None, False, NOW)
    assert (q.first_day, q.last_day) == (day_number(date(2026, 5, 1)), day_number(TODAY))
    assert (q.start, q.end) == (date(2026, 5, 1), None)


def test_hours_cover_ranges_up_to_31_days_only() -> None:
    month = stats_query(date(2026, 5, 1), date(2026, 5, 31), False, NOW)
    assert month.last_hour - month.first_hour + 1 == 31 * 24
    longer = stats_query(date(2026, 5, 1), date(2026, 6, 1), False, NOW)
    assert longer.last_hour < longer.first_hour


@pytest.mark.parametrize(("start", "end", "bots"), [
    (None, TODAY, False),
    (None, None, True),
    (date(2026, 5, 2), date(2026, 5, 1), False),
    (date(2025, 1, 1), date(2026, 1, 2), False),  # 367 days
])
def test_refused_ranges(start: date | None, end: date | None, bots: bool) -> None:
    with pytest.raises(InvalidInput):
        stats_query(start, end, bots, NOW)


def test_the_longest_range_is_accepted() -> None:
    q = stats_query(date(2025, 5, 28), date(2026, 5, 28), False, NOW)
    assert q.last_day is not None
    assert q.first_day is not None
    assert q.last_day - q.first_day + 1 == MAX_RANGE_DAYS


@given(st.dictionaries(st.sampled_from(["US", "NL", "DE", "FR", "ZZ", OTHER, "JP", "BR",
                                        "IN", "CN", "GB", "IT", "ES", "SE"]),
                       st.integers(1, 1000)))
def test_top_with_rest_keeps_the_sum_and_lists_at_most_eleven(counts: dict[str, int]) -> None:
    shown = top_with_rest(tuple(Count(k, n) for k, n in counts.items()), 10)
    assert sum(c.count for c in shown) == sum(counts.values())
    assert len(shown) <= 11
    assert [c.key for c in shown].count(OTHER) <= 1
    named = [c.count for c in shown if c.key != OTHER]
    assert named == sorted(named, reverse=True)
