"""GCRA rate limits: a burst of N, then one request per period/N, never 2N at a window's
edge; the SQLite store shares the state between processes and forgets stale clients."""

from __future__ import annotations

from pathlib import Path

import pytest

from linkpulse.backends.sqlite.ratelimit import PURGE_EVERY, SqliteRateStore
from linkpulse.core.errors import InvalidInput, RateLimited
from linkpulse.core.ratelimit import Rate, RateLimiter, gcra, parse_rate
from linkpulse.settings import Settings, SettingsError


@pytest.mark.parametrize(("text", "rate"), [
    ("10/minute", Rate(10, 60.0)), ("1/second", Rate(1, 1.0)), (" 500 / hour ", Rate(500, 3600.0)),
    ("off", None), ("", None),
])
def test_rates_parse(text: str, rate: Rate | None) -> None:
    assert parse_rate(text) == rate


@pytest.mark.parametrize("text", ["10", "10/day", "-1/minute", "0/minute", "ten/minute"])
def test_bad_rates_are_refused_loudly(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_rate(text)
    with pytest.raises(SettingsError, match="CREATE_RATE_LIMIT"):
        Settings(create_rate_limit=text)


def _allowed(times: list[float], rate: Rate) -> int:
    tat = None
    allowed = 0
    for now in times:
        new, retry = gcra(tat, now, rate)
        if retry == 0:
            tat, allowed = new, allowed + 1
    return allowed


def test_a_burst_gets_exactly_the_limit() -> None:
    assert _allowed([1000.0] * 30, Rate(10, 60.0)) == 10


def test_no_window_edge_lets_twice_the_limit_through() -> None:
    """10 at 59.9 s and 30 more at 60.1 s: a fixed per-minute window would allow 20."""
    times = [59.9] * 10 + [60.1] * 30
    assert _allowed(times, Rate(10, 60.0)) == 10


def test_the_limit_refills_one_request_per_interval() -> None:
    rate = Rate(10, 60.0)
    assert _allowed([0.0] * 10 + [6.0], rate) == 11
    assert _allowed([0.0] * 10 + [5.9], rate) == 10


def test_retry_after_says_when_the_next_request_is_allowed(tmp_path: Path) -> None:
    limiter = RateLimiter(SqliteRateStore(tmp_path / "r.db"), Rate(2, 60.0), "create")
    limiter.check("198.51.100.1", 0.0)
    limiter.check("198.51.100.1", 0.0)
    with pytest.raises(RateLimited) as refused:
        limiter.check("198.51.100.1", 1.0)
    assert refused.value.retry_after == 29
    limiter.check("198.51.100.2", 1.0)  # another client has its own allowance
    limiter.check(None, 1.0)  # no client (the CLI): no limit
    limiter.check("198.51.100.1", 30.0)


def test_stale_clients_are_forgotten(tmp_path: Path) -> None:
    store = SqliteRateStore(tmp_path / "r.db")
    rate = Rate(5, 1.0)
    for i in range(PURGE_EVERY * 3):
        store.acquire(f"create:10.0.{i // 256}.{i % 256}", rate, now=float(i))
    assert store.count() < PURGE_EVERY + 2


def test_every_route_that_changes_something_is_rate_limited() -> None:
    """One flag per route in the route table: creation and management calls (links and
    keys) count, reads and redirects do not."""
    from linkpulse.routes import routes

    writes = {r.key for r in routes() if r.method in ("POST", "PATCH", "DELETE", "PUT")}
    assert {r.key for r in routes() if r.limited} == writes
    assert {"POST /shorten", "PATCH /api/v1/links/{code}", "DELETE /api/v1/keys/{name}"} <= writes
    assert all(429 in r.errors for r in routes() if r.limited)  # and OpenAPI says so


def test_management_calls_are_limited_per_key_then_per_ip(tmp_path: Path) -> None:
    """GIVEN 2 writes an hour WHEN a key makes a third (whatever the route) THEN 429 with
    Retry-After, while reads go on and another key, or an anonymous caller, still writes."""
    from linkpulse.api import HttpApi
    from linkpulse.core.keys import new_key
    from linkpulse.routes import Request, routes
    from tests.unit.fakes import FakeAnalytics, FakeKeyStore, FakeLinkStore, FakeSender

    keys = FakeKeyStore()
    limiter = RateLimiter(SqliteRateStore(tmp_path / "r.db"), Rate(2, 3600.0), "create")
    api = HttpApi(FakeLinkStore(), FakeAnalytics(), FakeSender(), keys, open_api=True,
                  create_limit=limiter)  # type: ignore[arg-type]
    table = {r.key: r for r in routes()}

    def call(key: str, secret: str | None, ip: str = "198.51.100.1") -> int:
        route = table[key]
        params = {p: "nosuch" for p in route.params}
        headers = {"authorization": f"Bearer {secret}"} if secret else {}
        return api.handle(route, Request(route.method, params, headers=headers, body=b"{}",
                                         client_ip=ip)).status

    admin = new_key("admin", admin=True)
    other = new_key("other", admin=True)
    keys.add_key(admin[1])
    keys.add_key(other[1])
    assert call("DELETE /api/v1/links/{code}", admin[0]) != 429
    assert call("POST /api/v1/keys", admin[0]) != 429
    assert call("PATCH /api/v1/links/{code}", admin[0]) == 429
    assert call("DELETE /api/v1/keys/{name}", admin[0]) == 429
    assert call("GET /api/v1/keys", admin[0]) == 200  # reads are not counted
    assert call("DELETE /api/v1/keys/{name}", other[0]) == 404  # its own budget
    assert call("POST /shorten", None) == 400  # anonymous: the IP's budget (bad body)
    assert call("POST /shorten", None) == 400
    assert call("POST /shorten", None) == 429
    assert call("POST /shorten", None, ip="198.51.100.2") == 400


def test_the_store_never_sees_a_raw_address(tmp_path: Path) -> None:
    store = SqliteRateStore(tmp_path / "r.db")
    RateLimiter(store, Rate(2, 60.0), "create").check("198.51.100.7", 0.0)
    [(key,)] = store.db.connection().execute("SELECT key FROM rate_limits").fetchall()
    assert "198.51.100" not in key
    assert key.startswith("create:")
