"""The rate-limit store contract, on both backends: GCRA applied atomically and shared by
every process, so N concurrent requests of one client are allowed exactly ``rate.count``
times, whichever handle they arrive on."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from linkpulse.core.ports import RateStore
from linkpulse.core.ratelimit import Rate, gcra
from tests.contract.conftest import two_handles

T0 = 1_800_000_000.0
TEN_A_MINUTE = Rate(10, 60.0)


@pytest.fixture(params=["sqlite", "aws"])
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    from linkpulse.backends.aws.ratelimit import DynamoRateStore
    from linkpulse.backends.sqlite.ratelimit import SqliteRateStore

    yield from two_handles(request, tmp_path, SqliteRateStore, DynamoRateStore, "rate_store")


def test_a_burst_of_n_then_one_per_interval(stores: tuple[RateStore, RateStore]) -> None:
    one, two = stores
    handles = [one, two] * 5
    assert [h.acquire("create:a", TEN_A_MINUTE, T0) for h in handles] == [0.0] * 10
    assert one.acquire("create:a", TEN_A_MINUTE, T0 + 1) == pytest.approx(5.0)
    assert two.acquire("create:a", TEN_A_MINUTE, T0 + 5.9) == pytest.approx(0.1)
    assert two.acquire("create:a", TEN_A_MINUTE, T0 + 6) == 0.0  # the first slot came back
    assert one.acquire("create:a", TEN_A_MINUTE, T0 + 6) > 0


def test_it_agrees_with_the_reference_gcra(stores: tuple[RateStore, RateStore]) -> None:
    """Irregular arrivals give exactly the answers of ``core.ratelimit.gcra``."""
    rate = Rate(3, 10.0)
    tat: float | None = None
    for i, offset in enumerate([0, 0, 0.5, 1, 3.4, 3.5, 3.5, 7, 20, 20, 20, 20, 21, 40]):
        now = T0 + offset
        new, expected = gcra(tat, now, rate)
        if expected == 0:
            tat = new
        assert stores[i % 2].acquire("create:b", rate, now) == pytest.approx(expected), offset


def test_clients_do_not_share_an_allowance(stores: tuple[RateStore, RateStore]) -> None:
    one, two = stores
    rate = Rate(1, 60.0)
    assert one.acquire("create:x", rate, T0) == 0.0
    assert two.acquire("create:y", rate, T0) == 0.0
    assert one.acquire("create:x", rate, T0) > 0


def test_an_idle_client_gets_its_whole_burst_back(stores: tuple[RateStore, RateStore]) -> None:
    one, two = stores
    rate = Rate(2, 60.0)
    for now in (T0, T0 + 3600):
        assert one.acquire("create:c", rate, now) == 0.0
        assert two.acquire("create:c", rate, now) == 0.0
        assert one.acquire("create:c", rate, now) > 0


def test_concurrent_requests_get_exactly_n(stores: tuple[RateStore, RateStore]) -> None:
    """30 requests at once over two handles under 10/minute: 10 allowed, none lost to a
    race, every refusal with a wait."""
    one, two = stores
    with ThreadPoolExecutor(8) as pool:
        waits = list(pool.map(lambda i: (one, two)[i % 2].acquire("create:d", TEN_A_MINUTE, T0),
                              range(30)))
    assert waits.count(0.0) == 10
    assert all(w > 0 for w in waits if w != 0.0)
