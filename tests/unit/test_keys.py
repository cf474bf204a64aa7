"""API keys: their shape, how a presented key is checked, what a scope allows."""

from __future__ import annotations

import pytest

from linkpulse.core.errors import Forbidden, InvalidInput, Unauthorized
from linkpulse.core.keys import (
    DEFAULT_SCOPES,
    OPEN,
    Authenticator,
    Principal,
    hash_key,
    new_key,
    presented_key,
    require,
)
from tests.unit.fakes import FakeKeyStore

NOW = 1_800_000_000


def _store_with(**options: object) -> tuple[FakeKeyStore, str]:
    store = FakeKeyStore()
    secret, record = new_key("ci", now=NOW - 10, **options)  # type: ignore[arg-type]
    store.add_key(record)
    return store, secret


def test_a_new_key_is_random_prefixed_and_stored_only_as_its_hash() -> None:
    secret, record = new_key("ci", now=NOW)
    other, _ = new_key("ci", now=NOW)
    assert secret.startswith(f"lp_{record.id}_")
    assert len(secret) == len("lp_") + 8 + 1 + 43  # 32 random bytes after the id
    assert secret != other
    assert record.hash == hash_key(secret)
    assert secret not in repr(record)


def test_a_plain_key_gets_every_scope_but_admin() -> None:
    assert new_key("ci")[1].scopes == DEFAULT_SCOPES
    assert "admin" not in DEFAULT_SCOPES
    assert new_key("root", admin=True)[1].admin


@pytest.mark.parametrize(("name", "scopes", "expires"), [
    ("", None, None), ("has space", None, None), ("x" * 65, None, None),
    ("ci", [], None), ("ci", ["links:delete"], None), ("ci", "admin", None),
    ("ci", None, NOW - 1),
])
def test_bad_key_requests_are_refused(name: str, scopes: object, expires: int | None) -> None:
    with pytest.raises(InvalidInput):
        new_key(name, scopes, expires_at=expires, now=NOW)


@pytest.mark.parametrize(("authorization", "x_api_key", "expected"), [
    ("Bearer lp_k", None, "lp_k"), ("bearer  lp_k ", None, "lp_k"), (None, "lp_x", "lp_x"),
    ("Basic dXNlcjpwYXNz", "lp_x", "lp_x"), ("Bearer ", None, None), (None, " ", None),
    (None, None, None),
])
def test_the_key_comes_from_bearer_or_x_api_key(authorization: str | None,
                                                x_api_key: str | None,
                                                expected: str | None) -> None:
    assert presented_key(authorization, x_api_key) == expected


def test_two_different_keys_are_refused_rather_than_one_chosen() -> None:
    with pytest.raises(Unauthorized):
        presented_key("Bearer lp_a", "lp_b")
    assert presented_key("Bearer lp_a", "lp_a") == "lp_a"


def test_a_good_key_authenticates_with_its_scopes_and_notes_its_use() -> None:
    store, secret = _store_with(scopes=["links:read"])
    who = Authenticator(store).authenticate(secret, now=NOW)
    assert who.scopes == frozenset({"links:read"})
    assert store.touched == [(who.key_id, NOW)]


def test_last_use_is_written_at_most_once_a_minute() -> None:
    store, secret = _store_with()
    auth = Authenticator(store)
    for offset in (0, 1, 30, 59, 60, 61):
        auth.authenticate(secret, now=NOW + offset)
    assert [t for _, t in store.touched] == [NOW, NOW + 60]


@pytest.mark.parametrize("mangle", [
    lambda s: s[:-1] + ("A" if s[-1] != "A" else "B"),   # right id, wrong secret
    lambda s: "lp_00000000" + s[11:],                    # unknown id
    lambda s: s[:20],                                    # not the shape of a key
    lambda s: "",
])
def test_a_wrong_key_is_401(mangle: object) -> None:
    store, secret = _store_with()
    with pytest.raises(Unauthorized):
        Authenticator(store).authenticate(mangle(secret), now=NOW)  # type: ignore[operator]


def test_no_key_expired_or_revoked_is_401() -> None:
    store, secret = _store_with(expires_at=NOW + 5)
    auth = Authenticator(store)
    with pytest.raises(Unauthorized):
        auth.authenticate(None, now=NOW)
    auth.authenticate(secret, now=NOW + 4)
    with pytest.raises(Unauthorized, match="expired or revoked"):
        auth.authenticate(secret, now=NOW + 5)
    store2, secret2 = _store_with()
    store2.revoke_key("ci", NOW)
    with pytest.raises(Unauthorized, match="expired or revoked"):
        Authenticator(store2).authenticate(secret2, now=NOW)


def test_scopes_admin_and_ownership() -> None:
    user = Principal("k1", frozenset({"links:read"}))
    admin = Principal("k2", frozenset({"admin"}))
    require(user, "links:read")
    with pytest.raises(Forbidden):
        require(user, "links:write")
    require(admin, "links:write")
    assert user.sees("k1")
    assert not user.sees("k2")
    assert not user.sees(None)
    assert admin.sees("k1")
    assert admin.sees(None)
    assert OPEN.sees("k1")  # an open API's anonymous stats reader, as originally
    assert user.owner_filter == "k1"
    assert admin.owner_filter is None
