"""AnalyticsStore contract: exact, idempotent, all-time aggregates and truly recent clicks."""

from __future__ import annotations

from linkpulse.core.clicks import make_event
from linkpulse.core.models import Click
from linkpulse.core.service import enrich
from tests.contract.conftest import Backend

CHROME = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/120.0.0.0 Safari/537.36")
IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1")
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
DAY = 86_400.0
T0 = 1_780_000_000.0  # 2026-05-28


def click(code: str = "c0de", ua: str = CHROME, ref: str = "", at: float = T0) -> Click:
    return enrich(make_event(code, ua, ref, "203.0.113.9", now=at))


def test_each_click_counts_once(backend: Backend) -> None:
    assert backend.analytics.record([click(at=T0 + i) for i in range(7)]) == 7
    assert backend.analytics.analytics("c0de").total == 7


def test_redelivered_click_counts_once(backend: Backend) -> None:
    batch = [click(at=T0 + i) for i in range(5)]
    backend.analytics.record(batch)
    assert backend.analytics.record(batch) == 0
    assert backend.analytics.record([*batch[2:], click(at=T0 + 99)]) == 1
    a = backend.analytics.analytics("c0de")
    assert a.total == 6
    assert sum(c.count for c in a.days) == 6
    assert sum(c.count for c in a.browsers) == 6


def test_duplicate_inside_one_batch_counts_once(backend: Backend) -> None:
    one = click()
    assert backend.analytics.record([one, one, one]) == 1
    assert backend.analytics.analytics("c0de").total == 1


def test_links_are_counted_apart(backend: Backend) -> None:
    backend.analytics.record([click("aaa"), click("aaa"), click("bbb")])
    assert backend.analytics.analytics("aaa").total == 2
    assert backend.analytics.analytics("bbb").total == 1


def test_unknown_code_has_empty_analytics(backend: Backend) -> None:
    a = backend.analytics.analytics("nobody")
    assert (a.total, a.bots, a.user_agents, a.recent) == (0, 0, (), ())


def test_top_lists_are_top_five_by_count_descending(backend: Backend) -> None:
    clicks = [click(ref=f"https://r{i}.example/", at=T0 + i * 10 + j)
              for i in range(7) for j in range(i + 1)]  # r0 once ... r6 seven times
    for start in range(0, len(clicks), 10):
        backend.analytics.record(clicks[start:start + 10])
    a = backend.analytics.analytics("c0de")
    assert [(c.key, c.count) for c in a.referers] == [
        (f"https://r{i}.example/", i + 1) for i in (6, 5, 4, 3, 2)
    ]
    assert a.total == 28


def test_browser_os_device_and_bots_are_classified(backend: Backend) -> None:
    backend.analytics.record([click(ua=CHROME), click(ua=IPHONE), click(ua=IPHONE),
                              click(ua=GOOGLEBOT)])
    a = backend.analytics.analytics("c0de")
    assert a.total == 4
    assert a.bots == 1
    assert {c.key: c.count for c in a.devices} == {"mobile": 2, "desktop": 1, "bot": 1}
    assert {c.key: c.count for c in a.browsers}["Mobile Safari"] == 2
    assert {c.key: c.count for c in a.os}["iOS"] == 2
    assert {c.key: c.count for c in a.user_agents}[IPHONE] == 2


def test_clicks_by_day_are_oldest_first(backend: Backend) -> None:
    backend.analytics.record([click(at=T0 + 2 * DAY), click(at=T0), click(at=T0 + 2 * DAY + 5)])
    days = backend.analytics.analytics("c0de").days
    assert [(d.key, d.count) for d in days] == [("2026-05-28", 1), ("2026-05-30", 2)]


def test_recent_clicks_are_the_most_recent_first(backend: Backend) -> None:
    # recorded out of order, across batches: recent means click time, not arrival
    late = [click(at=T0 + 1000 + i) for i in range(12)]
    early = [click(at=T0 + i) for i in range(12)]
    backend.analytics.record(late[:6])
    backend.analytics.record(early[:10])
    backend.analytics.record(late[6:] + early[10:])
    recent = backend.analytics.analytics("c0de", recent=10).recent
    assert [c.event.click_id for c in recent] == [c.event.click_id for c in reversed(late)][:10]
    assert recent[0].event.ip == "203.0.113.0"
    assert recent[0].browser == "Chrome"
