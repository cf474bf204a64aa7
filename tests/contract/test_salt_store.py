"""The visitor salt store contract, on both backends: one salt per day, shared by every
process, and a replaced day's salt never comes back."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from linkpulse.core.ports import SaltStore
from tests.contract.conftest import two_handles

DAY = 20_424


@pytest.fixture(params=["sqlite", "aws"])
def salts(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    from linkpulse.backends.aws.salts import DynamoSaltStore
    from linkpulse.backends.sqlite.salts import SqliteSaltStore

    yield from two_handles(request, tmp_path, SqliteSaltStore, DynamoSaltStore, "salts")


def test_the_first_salt_of_a_day_is_everyones(salts: tuple[SaltStore, SaltStore]) -> None:
    one, two = salts
    assert one.day_salt(DAY, b"a" * 32) == b"a" * 32
    assert two.day_salt(DAY, b"b" * 32) == b"a" * 32


def test_concurrent_first_clicks_agree_on_one_salt(salts: tuple[SaltStore, SaltStore]
                                                   ) -> None:
    one, two = salts
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda i: (one, two)[i % 2].day_salt(DAY, bytes([i]) * 32),
                            range(16)))
    assert len(set(got)) == 1


def test_a_new_day_replaces_the_salt_and_the_old_day_is_gone(
        salts: tuple[SaltStore, SaltStore]) -> None:
    one, two = salts
    old = one.day_salt(DAY, b"a" * 32)
    new = two.day_salt(DAY + 1, b"b" * 32)
    assert new == b"b" * 32 != old
    assert one.day_salt(DAY, b"c" * 32) is None  # never drawn again for a past day
    assert one.day_salt(DAY + 1, b"d" * 32) == new
