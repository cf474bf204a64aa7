"""API keys, owners and the /api/v1 link management API, on every target."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from tests.scenarios.conftest import Client, Reply, Target
from tests.support import wait_for

JSON = {"content-type": "application/json"}
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:124.0) Gecko/20100101 Firefox/124.0"


class KeyClient:
    """The management API as one key speaks it."""

    def __init__(self, client: Client, key: str) -> None:
        self.client = client
        self.key = key

    def call(self, method: str, path: str, body: Any = None, *, bearer: bool = True) -> Reply:
        auth = {"authorization": f"Bearer {self.key}"} if bearer else {"x-api-key": self.key}
        raw = json.dumps(body).encode() if body is not None else None
        return self.client.request(method, path, body=raw, headers={**JSON, **auth})

    def create(self, url: str = "https://example.com/page", **fields: Any) -> dict[str, Any]:
        reply = self.call("POST", "/api/v1/links", {"url": url, **fields})
        assert reply.status == 201, reply
        return dict(reply.json())

    def listing(self, query: str = "") -> dict[str, Any]:
        reply = self.call("GET", f"/api/v1/links{query}")
        assert reply.status == 200, reply
        return dict(reply.json())


@pytest.fixture
def alice(client: Client, target: Target) -> KeyClient:
    return KeyClient(client, target.key(f"alice-{uuid.uuid4().hex[:8]}"))


@pytest.fixture
def bob(client: Client, target: Target) -> KeyClient:
    return KeyClient(client, target.key(f"bob-{uuid.uuid4().hex[:8]}"))


@pytest.fixture
def admin(client: Client, target: Target) -> KeyClient:
    return KeyClient(client, target.key(f"root-{uuid.uuid4().hex[:8]}", admin=True))


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/api/v1/links"), ("POST", "/api/v1/links"), ("GET", "/api/v1/links/abc1234"),
    ("PATCH", "/api/v1/links/abc1234"), ("DELETE", "/api/v1/links/abc1234"),
    ("GET", "/api/v1/keys"), ("POST", "/api/v1/keys"),
])
def test_management_needs_a_key_even_on_an_open_api(client: Client, method: str,
                                                     path: str) -> None:
    for headers in ({}, {"authorization": "Bearer lp_00000000_" + "x" * 43},
                    {"x-api-key": "not-a-key"}):
        reply = client.request(method, path, body=b"{}", headers={**JSON, **headers})
        assert reply.status == 401, (headers, reply)
        assert "error" in reply.json()


def test_both_header_forms_carry_a_key(alice: KeyClient) -> None:
    assert alice.call("GET", "/api/v1/links", bearer=True).status == 200
    assert alice.call("GET", "/api/v1/links", bearer=False).status == 200


def test_a_key_sees_edits_and_deletes_only_its_own_links(alice: KeyClient, bob: KeyClient,
                                                          admin: KeyClient) -> None:
    code = alice.create(title="alice's")["code"]
    for method, path, body in (("GET", f"/api/v1/links/{code}", None),
                               ("PATCH", f"/api/v1/links/{code}", {"title": "mine now"}),
                               ("DELETE", f"/api/v1/links/{code}", None),
                               ("GET", f"/stats/{code}", None)):
        reply = bob.call(method, path, body)
        assert reply.status == 404, (method, path, reply)  # never confirmed to exist
    assert code not in [lk["code"] for lk in bob.listing()["links"]]
    assert code in [lk["code"] for lk in alice.listing()["links"]]
    assert code in [lk["code"] for lk in admin.listing("?limit=200")["links"]]
    assert alice.call("GET", f"/api/v1/links/{code}").json()["title"] == "alice's"


def test_a_key_without_the_scope_gets_403(client: Client, target: Target) -> None:
    reader = KeyClient(client, target.key(f"reader-{uuid.uuid4().hex[:8]}", scopes=["links:read"]))
    reply = reader.call("POST", "/api/v1/links", {"url": "https://example.com/"})
    assert reply.status == 403
    assert "links:create" in reply.json()["error"]
    assert reader.call("GET", "/api/v1/keys").status == 403
    assert reader.call("GET", "/api/v1/links").status == 200


def test_edit_disable_and_delete_reach_the_short_url(alice: KeyClient) -> None:
    code = alice.create("https://example.com/old")["code"]
    client = alice.client
    assert client.follow(code).headers["location"] == "https://example.com/old"
    reply = alice.call("PATCH", f"/api/v1/links/{code}", {"url": "https://example.com/new"})
    assert reply.status == 200
    assert reply.json()["original_url"] == "https://example.com/new"
    wait_for(lambda: client.follow(code).headers.get("location") == "https://example.com/new",
             timeout=10, message="the edited URL")
    assert alice.call("PATCH", f"/api/v1/links/{code}", {"disabled": True}).status == 200
    wait_for(lambda: client.follow(code).status == 410, timeout=10, message="410 disabled")
    assert alice.call("PATCH", f"/api/v1/links/{code}", {"disabled": False}).status == 200
    wait_for(lambda: client.follow(code).status == 302, timeout=10, message="302 again")
    assert alice.call("DELETE", f"/api/v1/links/{code}").status == 204
    wait_for(lambda: client.follow(code).status == 410, timeout=10, message="410 deleted")
    assert alice.call("GET", f"/api/v1/links/{code}").status == 404
    assert alice.call("DELETE", f"/api/v1/links/{code}").status == 404


def test_a_deleted_alias_is_never_handed_out_again(alice: KeyClient, bob: KeyClient) -> None:
    alias = f"promo-{abs(hash(alice.key)) % 10**8}"
    alice.create(alias=alias)
    assert alice.call("DELETE", f"/api/v1/links/{alias}").status == 204
    again = bob.call("POST", "/api/v1/links", {"url": "https://evil.example/", "alias": alias})
    assert again.status == 409
    assert alice.client.shorten("https://evil.example/", alias=alias).status == 409
    assert alice.client.follow(alias).status == 410


def test_listing_pages_with_a_cursor_that_survives_inserts(alice: KeyClient) -> None:
    made = [alice.create(f"https://example.com/{i}")["code"] for i in range(5)]
    first = alice.listing("?limit=2")
    assert len(first["links"]) == 2
    assert first["next"]
    alice.create("https://example.com/newer")  # lands before the cursor: not repeated
    seen = [lk["code"] for lk in first["links"]]
    cursor = first["next"]
    while cursor:
        page = alice.listing(f"?limit=2&cursor={cursor}")
        seen += [lk["code"] for lk in page["links"]]
        cursor = page["next"]
    assert len(seen) == len(set(seen))
    assert set(made) <= set(seen)


def test_listing_searches_filters_by_tag_and_orders_by_clicks(alice: KeyClient) -> None:
    quiet = alice.create("https://example.com/quiet", title="Spring Sale", tags=["promo"])
    busy = alice.create("https://example.com/busy", tags=["promo", "q3"])
    alice.create("https://example.com/other")
    assert [lk["code"] for lk in alice.listing("?search=spring%20sale")["links"]] == [
        quiet["code"]]
    assert {lk["code"] for lk in alice.listing("?tag=promo")["links"]} == {
        quiet["code"], busy["code"]}
    for agent in (FIREFOX, FIREFOX, "curl/8.5.0"):
        assert alice.client.follow(busy["code"], **{"user-agent": agent}).status == 302
    alice.client.wait_for_clicks(busy["code"], 3)
    ranked = alice.listing("?order=clicks&tag=promo")["links"]
    assert [lk["code"] for lk in ranked] == [busy["code"], quiet["code"]]
    assert ranked[0]["clicks"] == {"total": 3, "human": 2, "bots": 1}
    assert ranked[1]["clicks"] == {"total": 0, "human": 0, "bots": 0}


def test_forward_query_passes_utm_tags_through(alice: KeyClient) -> None:
    code = alice.create("https://example.com/landing?ref=1", forward_query=True)["code"]
    reply = alice.client.request("GET", f"/{code}?utm_source=news&x=%3Cb%3E")
    assert reply.status == 302
    assert reply.headers["location"] == (
        "https://example.com/landing?ref=1&utm_source=news&x=%3Cb%3E")
    plain = alice.create("https://example.com/plain")["code"]
    assert alice.client.request("GET", f"/{plain}?utm_source=x").headers["location"] == (
        "https://example.com/plain")


def test_an_admin_manages_keys_over_http_and_a_revoked_key_is_refused(
        admin: KeyClient, client: Client) -> None:
    name = f"ci-{uuid.uuid4().hex[:8]}"
    made = admin.call("POST", "/api/v1/keys", {"name": name, "scopes": ["links:read"]})
    assert made.status == 201
    secret = made.json()["key"]
    listed = admin.call("GET", "/api/v1/keys").json()["keys"]
    assert any(k["name"] == name and k["scopes"] == ["links:read"] for k in listed)
    assert all("key" not in k and "hash" not in k for k in listed)
    ci = KeyClient(client, secret)
    assert ci.call("GET", "/api/v1/links").status == 200
    assert admin.call("DELETE", f"/api/v1/keys/{name}").status == 204
    assert ci.call("GET", "/api/v1/links").status == 401
    assert admin.call("DELETE", f"/api/v1/keys/{name}").status == 404
    assert admin.call("POST", "/api/v1/keys", {"name": name}).status == 409


@pytest.mark.parametrize(("method", "path", "body"), [
    ("POST", "/api/v1/links", {"url": "https://example.com/", "colour": "red"}),
    ("POST", "/api/v1/links", {"url": "https://example.com/", "tags": "promo"}),
    ("POST", "/api/v1/links", {"url": "https://example.com/", "tags": ["x" * 41]}),
    ("POST", "/api/v1/links", {"url": "https://example.com/", "forward_query": "yes"}),
    ("POST", "/api/v1/keys", {"name": "x", "scopes": ["everything"]}),
    ("POST", "/api/v1/keys", {"name": "bad name!"}),
    ("GET", "/api/v1/links?cursor=bm90IGEgY3Vyc29y", None),
    ("GET", "/api/v1/links?order=random", None),
    ("GET", "/api/v1/links?limit=0", None),
    ("GET", "/api/v1/links?colour=red", None),
])
def test_bad_management_input_is_a_400_and_changes_nothing(
        admin: KeyClient, method: str, path: str, body: Any) -> None:
    def keys() -> list[dict[str, Any]]:
        return [{k: v for k, v in key.items() if k != "last_used_at"}
                for key in admin.call("GET", "/api/v1/keys").json()["keys"]]

    def links() -> list[dict[str, Any]]:  # clicks of earlier scenarios may still arrive
        return [{k: v for k, v in link.items() if k != "clicks"}
                for link in admin.listing("?limit=200")["links"]]

    before = links()
    keys_before = keys()
    reply = admin.call(method, path, body)
    assert reply.status == 400, reply
    assert reply.json()["error"]
    assert links() == before
    assert keys() == keys_before


def test_a_patch_of_an_unknown_or_invalid_field_changes_nothing(alice: KeyClient) -> None:
    code = alice.create(title="kept")["code"]
    for body in ({"owner": "someone"}, {"title": "new", "clicks": 5}, {},
                 {"url": "javascript:alert(1)"}, {"disabled": "no"}):
        reply = alice.call("PATCH", f"/api/v1/links/{code}", body)
        assert reply.status == 400, (body, reply)
    assert alice.call("GET", f"/api/v1/links/{code}").json()["title"] == "kept"
