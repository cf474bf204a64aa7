"""Bounded per-link state: past ``FOLD_CAP`` distinct keys a link and day, user agents,
referers, classes and countries count under "other", and every figure still adds up."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linkpulse.backends.sqlite.analytics import SqliteAnalyticsStore
from linkpulse.backends.sqlite.analytics_schema import DIM_D_UA, DIM_UA, FOLD_CAP
from linkpulse.core.clicks import make_event
from linkpulse.core.models import Click
from linkpulse.core.ranges import OTHER, stats_query
from linkpulse.core.service import enrich

_CODES = itertools.count()
T0 = 1_780_000_000.0  # 2026-05-28 20:26 UTC
DAY = 86_400.0


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteAnalyticsStore]:
    made = SqliteAnalyticsStore(tmp_path / "lp.db")
    yield made
    made.close()


def click(n: int, at: float, code: str = "storm") -> Click:
    return enrich(make_event(code, f"agent/{n}", f"https://r{n}.example/", "192.0.2.1",
                             now=at, country="US"))


def keys(store: SqliteAnalyticsStore, dim: int, code: str = "storm") -> int:
    """Distinct keys of the link's counter ``dim`` (counted or pending)."""
    return int(store.db.connection().execute(
        "SELECT count(*) FROM (SELECT key FROM counts WHERE code = ?1 AND dim = ?2 "
        "UNION SELECT key FROM pending WHERE code = ?1 AND dim = ?2)", (code, dim)).fetchone()[0])


def test_keys_past_the_cap_fold_into_other_and_totals_add_up(
        store: SqliteAnalyticsStore) -> None:
    distinct = FOLD_CAP + 50
    for start in range(0, distinct, 40):
        store.record([click(n, T0 + n) for n in range(start, min(start + 40, distinct))])
    store.merge()
    store.record([click(n, T0 + 1000 + n) for n in range(distinct)])  # all seen before
    a = store.analytics("storm", top=FOLD_CAP + 10)
    assert a.total == 2 * distinct
    assert sum(c.count for c in a.user_agents) == 2 * distinct
    assert sum(c.count for c in a.referers) == 2 * distinct
    assert {c.key: c.count for c in a.user_agents}[OTHER] == 2 * (distinct - FOLD_CAP)
    assert keys(store, DIM_UA) == FOLD_CAP + 1
    assert keys(store, DIM_D_UA) == FOLD_CAP + 1


def test_the_cap_is_per_day(store: SqliteAnalyticsStore) -> None:
    store.record([click(n, T0 + n) for n in range(FOLD_CAP + 1)])
    store.record([click(n, T0 + DAY + n) for n in range(FOLD_CAP + 1, FOLD_CAP + 11)])
    a = store.analytics("storm", top=5, query=stats_query(date(2026, 5, 29), None, False,
                                                          T0 + DAY))
    assert a.total == 10
    assert OTHER not in {c.key for c in a.user_agents}


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(batches=st.lists(st.lists(st.integers(0, 3 * FOLD_CAP), min_size=1, max_size=60),
                        min_size=1, max_size=6),
       merge_after=st.integers(0, 6))
def test_folding_keeps_every_sum(store: SqliteAnalyticsStore, batches: list[list[int]],
                                 merge_after: int) -> None:
    """Whatever keys arrive, in whatever batches: the all-time and per-day figures of a
    link each add up to its clicks, and it keeps at most the cap + 1 keys a day."""
    code = f"p{next(_CODES)}"
    total = 0
    for i, batch in enumerate(batches):
        total += store.record([click(n, T0 + total + j, code) for j, n in enumerate(batch)])
        if i == merge_after:
            store.merge()
    today = stats_query(date(2026, 5, 28), date(2026, 5, 28), False, T0)
    for a in (store.analytics(code, top=4 * FOLD_CAP),
              store.analytics(code, top=4 * FOLD_CAP, query=today)):
        assert a.total == total
        for figure in (a.user_agents, a.referers, a.countries, a.browsers):
            assert sum(c.count for c in figure) == total
    assert keys(store, DIM_D_UA, code) <= FOLD_CAP + 1
