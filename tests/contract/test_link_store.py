"""LinkStore contract: conditional creation, exact reads."""

from __future__ import annotations

import threading

import pytest

from linkpulse.core.errors import CodeTaken
from linkpulse.core.models import Link
from tests.contract.conftest import Backend


def _link(code: str, url: str = "https://example.com/", expires_at: int | None = None) -> Link:
    return Link(code, url, url, 1_700_000_000, expires_at)


def test_created_link_reads_back_identically(backend: Backend) -> None:
    link = _link("abc1234", "https://例え.jp/パス", expires_at=1_900_000_000)
    backend.links.create_if_absent(link)
    assert backend.links.get("abc1234") == link


def test_unknown_code_reads_as_none(backend: Backend) -> None:
    assert backend.links.get("nothere") is None


def test_taken_code_is_refused_and_not_overwritten(backend: Backend) -> None:
    backend.links.create_if_absent(_link("taken01", "https://first.example/"))
    with pytest.raises(CodeTaken):
        backend.links.create_if_absent(_link("taken01", "https://second.example/"))
    got = backend.links.get("taken01")
    assert got is not None
    assert got.url == "https://first.example/"


def test_codes_are_case_sensitive(backend: Backend) -> None:
    backend.links.create_if_absent(_link("CaseX", "https://upper.example/"))
    backend.links.create_if_absent(_link("casex", "https://lower.example/"))
    upper, lower = backend.links.get("CaseX"), backend.links.get("casex")
    assert upper is not None
    assert upper.url == "https://upper.example/"
    assert lower is not None
    assert lower.url == "https://lower.example/"


def test_concurrent_creators_of_one_code_have_exactly_one_winner(backend: Backend) -> None:
    winners: list[str] = []
    losers: list[str] = []
    barrier = threading.Barrier(8)

    def create(i: int) -> None:
        barrier.wait()
        try:
            backend.links.create_if_absent(_link("race000", f"https://e{i}.example/"))
            winners.append(f"https://e{i}.example/")
        except CodeTaken:
            losers.append(str(i))

    threads = [threading.Thread(target=create, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(winners) == 1
    assert len(losers) == 7
    got = backend.links.get("race000")
    assert got is not None
    assert got.url == winners[0]
