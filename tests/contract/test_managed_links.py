"""ManagedLinkStore contract: edits, tombstones, filtered and keyset-paginated listing."""

from __future__ import annotations

from dataclasses import replace

import pytest

from linkpulse.core.errors import CodeTaken
from linkpulse.core.models import Link, LinkQuery
from tests.contract.conftest import Backend


def _link(code: str, created: int, owner: str | None = "k1", **fields: object) -> Link:
    url = f"https://example.com/{code}"
    return Link(code, url, url, created, owner=owner, **fields)  # type: ignore[arg-type]


@pytest.fixture
def links(backend: Backend) -> list[Link]:
    made = [
        _link("aaa1", 100, title="Spring Sale", tags=("promo", "q1")),
        _link("bbb2", 200, tags=("promo",)),
        _link("ccc3", 300),
        _link("ddd4", 300),  # same second as ccc3: the code breaks the tie
        _link("eee5", 400, owner="k2"),
        _link("fff6", 500, owner=None),
    ]
    for link in made:
        backend.links.create_if_absent(link)
    return made


def codes(found: list[Link]) -> list[str]:
    return [link.code for link in found]


def test_managed_fields_read_back(backend: Backend, links: list[Link]) -> None:
    assert backend.links.get("aaa1") == links[0]


def test_query_lists_one_owner_newest_first(backend: Backend, links: list[Link]) -> None:
    assert codes(backend.links.query(LinkQuery(owner="k1"))) == ["ddd4", "ccc3", "bbb2",
                                                                  "aaa1"]
    assert codes(backend.links.query(LinkQuery(owner=None))) == [
        "fff6", "eee5", "ddd4", "ccc3", "bbb2", "aaa1"]


def test_keyset_pages_cover_everything_once(backend: Backend, links: list[Link]) -> None:
    seen: list[str] = []
    after = None
    while True:
        page = backend.links.query(LinkQuery(owner="k1", after=after, limit=2))
        if not page:
            break
        seen += codes(page)
        after = (page[-1].created_at, page[-1].code)
    assert seen == ["ddd4", "ccc3", "bbb2", "aaa1"]


def test_filters_search_tag_and_created_range(backend: Backend, links: list[Link]) -> None:
    q = LinkQuery(owner="k1")
    assert codes(backend.links.query(replace(q, search="spring sale"))) == ["aaa1"]
    assert codes(backend.links.query(replace(q, search="BBB"))) == ["bbb2"]
    assert codes(backend.links.query(replace(q, tag="promo"))) == ["bbb2", "aaa1"]
    assert codes(backend.links.query(replace(q, created_from=200, created_to=300))) == [
        "ddd4", "ccc3", "bbb2"]
    assert sorted(backend.links.codes(replace(q, tag="promo"))) == ["aaa1", "bbb2"]


def test_update_replaces_and_a_tombstone_keeps_the_code(backend: Backend,
                                                        links: list[Link]) -> None:
    edited = replace(links[0], title="Summer", disabled=True, forward_query=True)
    backend.links.update(edited)
    assert backend.links.get("aaa1") == edited
    backend.links.update(replace(links[1], url="", location="", deleted=True))
    assert backend.links.get("bbb2").deleted  # type: ignore[union-attr]
    assert "bbb2" not in codes(backend.links.query(LinkQuery(owner="k1")))
    with pytest.raises(CodeTaken):
        backend.links.create_if_absent(_link("bbb2", 900))


def test_totals_summarise_clicks_per_code(backend: Backend) -> None:
    from linkpulse.core.clicks import decode_event, new_click
    from linkpulse.core.service import enrich

    clicks = []
    for agent in ("Mozilla/5.0 (X11; Linux x86_64; rv:124.0) Gecko/20100101 Firefox/124.0",
                  "curl/8.5.0", "curl/8.5.0"):
        _, body = new_click("tot1", agent, "", "192.0.2.1")
        clicks.append(enrich(decode_event(body)))
    backend.analytics.record(clicks)
    assert backend.analytics.totals(["tot1", "none"]) == {"tot1": (3, 2)}
