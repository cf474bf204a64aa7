"""AnalyticsStore contract, issue 10: countries, daily unique visitors, ranges, hours and
the raw clicks of a link, exactly once like every other figure."""

from __future__ import annotations

from datetime import date, timedelta

from linkpulse.core.clicks import make_event
from linkpulse.core.models import Click
from linkpulse.core.ranges import StatsQuery, stats_query
from linkpulse.core.service import enrich
from tests.contract.conftest import Backend
from tests.contract.test_analytics import CHROME, DAY, GOOGLEBOT, IPHONE, T0

T0_DAY = date(2026, 5, 28)  # the UTC day of T0 (T0 is 20:26 UTC)


def click(code: str = "c0de", ua: str = CHROME, at: float = T0, country: str = "",
          visitor: str = "") -> Click:
    return enrich(make_event(code, ua, "", "203.0.113.9", now=at, country=country,
                             visitor=visitor))


def days(first: date, last: date, exclude_bots: bool = False) -> StatsQuery:
    return stats_query(first, last, exclude_bots, now=T0 + 30 * DAY)


def test_countries_are_counted_per_click(backend: Backend) -> None:
    backend.analytics.record([click(country="US"), click(country="NL"), click(country="US"),
                              click(country="")])
    countries = backend.analytics.analytics("c0de").countries
    assert [(c.key, c.count) for c in countries] == [("US", 2), ("NL", 1), ("ZZ", 1)]


def test_twelve_clicks_of_three_visitors_are_three_unique_visitors(backend: Backend) -> None:
    backend.analytics.record([click(at=T0 + i, visitor=f"{i % 3:016x}") for i in range(12)])
    a = backend.analytics.analytics("c0de")
    assert (a.total, a.unique_visitors) == (12, 3)
    assert [(c.key, c.count) for c in a.day_visitors] == [("2026-05-28", 3)]


def test_a_redelivered_click_adds_no_visitor(backend: Backend) -> None:
    batch = [click(at=T0 + i, visitor=f"{i:016x}") for i in range(4)]
    backend.analytics.record(batch)
    backend.analytics.record(batch[1:])
    backend.analytics.record([*batch, click(at=T0 + 9, visitor=f"{0:016x}")])
    a = backend.analytics.analytics("c0de")
    assert (a.total, a.unique_visitors) == (5, 4)


def test_a_visitor_counts_again_on_another_day(backend: Backend) -> None:
    backend.analytics.record([click(at=T0, visitor="a" * 16), click(at=T0 + DAY, visitor="a" * 16)])
    a = backend.analytics.analytics("c0de")
    assert a.unique_visitors == 2
    assert [c.count for c in a.day_visitors] == [1, 1]


def test_a_range_counts_only_its_days(backend: Backend) -> None:
    backend.analytics.record([
        click(at=T0 - DAY, country="NL", visitor="1" * 16),
        click(at=T0, country="US", visitor="2" * 16),
        click(at=T0 + 60, ua=IPHONE, country="US", visitor="3" * 16),
        click(at=T0 + 2 * DAY, country="FR", visitor="4" * 16),
    ])
    a = backend.analytics.analytics("c0de", query=days(T0_DAY, T0_DAY + timedelta(days=1)))
    assert (a.total, a.bots, a.unique_visitors) == (2, 0, 2)
    assert [(c.key, c.count) for c in a.countries] == [("US", 2)]
    assert [(c.key, c.count) for c in a.days] == [("2026-05-28", 2)]
    assert {c.key: c.count for c in a.user_agents} == {CHROME: 1, IPHONE: 1}
    assert {c.key: c.count for c in a.devices} == {"desktop": 1, "mobile": 1}
    assert [(c.key, c.count) for c in a.hours] == [("2026-05-28T20", 2)]
    assert len(a.recent) == 2


def test_a_range_before_any_click_is_empty(backend: Backend) -> None:
    backend.analytics.record([click(at=T0, visitor="1" * 16)])
    a = backend.analytics.analytics("c0de", query=days(date(2026, 1, 1), date(2026, 1, 31)))
    assert (a.total, a.unique_visitors, a.countries, a.hours, a.recent) == (0, 0, (), (), ())


def test_excluding_bots_leaves_every_bot_figure_out(backend: Backend) -> None:
    backend.analytics.record([click(at=T0, country="US", visitor="1" * 16),
                              click(at=T0 + 1, ua=GOOGLEBOT, country="US", visitor="2" * 16)])
    a = backend.analytics.analytics("c0de", query=days(T0_DAY, T0_DAY, exclude_bots=True))
    assert (a.total, a.bots, a.unique_visitors) == (1, 0, 1)
    assert [(c.key, c.count) for c in a.countries] == [("US", 1)]
    assert [c.key for c in a.user_agents] == [CHROME]
    assert sum(c.count for c in a.hours) == 1


def test_hours_add_up_to_the_days_total(backend: Backend) -> None:
    backend.analytics.record([click(at=T0 + i * 1800) for i in range(10)])
    a = backend.analytics.analytics("c0de", query=days(T0_DAY, T0_DAY + timedelta(days=1)))
    assert sum(c.count for c in a.hours) == a.total == 10
    assert [c.key for c in a.hours] == sorted(c.key for c in a.hours)


def test_the_raw_clicks_of_a_link_are_read_in_id_order(backend: Backend) -> None:
    mine = [click(at=T0 + i, country="NL") for i in range(5)]
    backend.analytics.record([*mine, click("other", at=T0 + 2)])
    ids = sorted(c.event.click_id for c in mine)
    got = backend.analytics.clicks("c0de", "", "g", 3)
    assert [e.click_id for e in got] == ids[:3]
    assert {e.country for e in got} == {"NL"}
    assert got[0].ip == "203.0.113.0"
    rest = backend.analytics.clicks("c0de", ids[2] + "0", "g", 10)
    assert [e.click_id for e in rest] == ids[3:]
