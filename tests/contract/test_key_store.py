"""KeyStore contract: keys stored as records, names unique, revocation durable."""

from __future__ import annotations

import pytest

from linkpulse.core.errors import KeyNameTaken
from linkpulse.core.keys import new_key
from tests.contract.conftest import Backend


def test_a_key_reads_back_by_id_without_its_secret(backend: Backend) -> None:
    secret, record = new_key("ci", ["links:read"], expires_at=2_000_000_000)
    backend.keys.add_key(record)
    assert backend.keys.get_key(record.id) == record
    assert secret not in repr(backend.keys.list_keys())


def test_names_are_unique_and_a_clash_changes_nothing(backend: Backend) -> None:
    _, first = new_key("ci")
    backend.keys.add_key(first)
    _, second = new_key("ci", admin=True)
    with pytest.raises(KeyNameTaken):
        backend.keys.add_key(second)
    assert backend.keys.get_key(second.id) is None
    assert [k.id for k in backend.keys.list_keys()] == [first.id]


def test_revoking_marks_the_key_once(backend: Backend) -> None:
    _, record = new_key("temp")
    backend.keys.add_key(record)
    revoked = backend.keys.revoke_key("temp", 1_800_000_000)
    assert revoked is not None
    assert revoked.revoked_at == 1_800_000_000
    assert not backend.keys.get_key(record.id).usable(1_800_000_001)  # type: ignore[union-attr]
    assert backend.keys.revoke_key("temp", 1_800_000_005) is None
    assert backend.keys.revoke_key("nobody", 1_800_000_005) is None


def test_touch_records_the_last_use(backend: Backend) -> None:
    _, record = new_key("used")
    backend.keys.add_key(record)
    backend.keys.touch_key(record.id, 1_800_000_123)
    assert backend.keys.get_key(record.id).last_used_at == 1_800_000_123  # type: ignore[union-attr]


def test_list_is_oldest_first(backend: Backend) -> None:
    made = []
    for i, name in enumerate(("a", "b", "c")):
        _, record = new_key(name, now=1_700_000_000 + i)
        backend.keys.add_key(record)
        made.append(record.name)
    assert [k.name for k in backend.keys.list_keys()] == made
