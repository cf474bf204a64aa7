"""The ports: what the use cases need from the outside world, as Protocols.

Every backend (SQLite, AWS) implements these, and one contract suite
(``tests/contract``) proves each implementation behaves the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from linkpulse.core.models import (
    Analytics,
    ApiKey,
    Click,
    ClickEvent,
    ClickPage,
    Link,
    LinkQuery,
    Message,
)

if TYPE_CHECKING:
    from linkpulse.core.ranges import StatsQuery
    from linkpulse.core.ratelimit import Rate

MAX_EVENT_BATCH = 10_000
"""The largest batch a consumer takes at once: an SQS event source mapping's maximum."""


class LinkStore(Protocol):
    def create_if_absent(self, link: Link) -> None:
        """Insert ``link`` only if its code is free; raise ``CodeTaken`` otherwise.

        Must be atomic (a conditional write): two concurrent creators of one code never
        both succeed, and an existing link is never overwritten.
        """

    def get(self, code: str) -> Link | None:
        """The link with this code (a deleted one too: its tombstone), or None."""


class ManagedLinkStore(LinkStore, Protocol):
    """What link management needs beyond creating and reading one link."""

    def update(self, link: Link) -> None:
        """Replace the stored link with this code (it must exist); a tombstone too."""

    def query(self, query: LinkQuery) -> list[Link]:
        """Live (not deleted) links matching ``query``, newest first (created_at, code
        descending), at most ``query.limit``."""

    def codes(self, query: LinkQuery) -> list[str]:
        """Codes of every live link matching ``query``'s filters (cursor and limit
        ignored): for orders the store cannot sort by, like clicks."""


class KeyStore(Protocol):
    def add_key(self, key: ApiKey) -> None:
        """Store a new key; raise ``KeyNameTaken`` if its name is in use."""

    def get_key(self, key_id: str) -> ApiKey | None: ...

    def list_keys(self) -> list[ApiKey]:
        """Every key, revoked ones included, oldest first."""

    def revoke_key(self, name: str, now: int) -> ApiKey | None:
        """Revoke the key named ``name``; None if there is no such live key."""

    def touch_key(self, key_id: str, now: int) -> None:
        """Note that the key was used at ``now``."""


class ClickSender(Protocol):
    """All the redirect needs: hand a click message to the queue."""

    def send(self, body: str) -> None: ...


class ClickBatchSender(ClickSender, Protocol):
    """What a group-commit buffer flushes into: one click or many in one write."""

    def send_batch(self, bodies: Sequence[str]) -> None: ...


class ClickQueue(Protocol):
    """A queue with SQS semantics (see docs/architecture.md and the README's "The embedded
    queue")."""

    def send(self, body: str) -> None: ...

    def send_batch(self, bodies: Sequence[str]) -> None:
        """Send up to any number of bodies; adapters split into backend-sized batches."""

    def receive(
        self, max_messages: int = 10, wait_seconds: float = 0.0,
        visibility_timeout: float | None = None,
    ) -> list[Message]:
        """Up to ``max_messages`` (at most 10) visible messages, waiting up to
        ``wait_seconds`` for the first. Received messages stay invisible for the
        visibility timeout; a message received more than the queue's max receive count
        moves to the dead-letter queue instead of being delivered."""

    def receive_batch(
        self, max_messages: int, wait_seconds: float = 0.0,
        visibility_timeout: float | None = None,
    ) -> list[Message]:
        """Up to ``max_messages`` (up to 10,000, an event source mapping's largest
        batch) visible messages, waiting up to ``wait_seconds`` for the first, with the
        semantics of :meth:`receive`. Adapters take them in backend-sized receives and
        stop early when the queue has no more visible messages."""

    def delete_batch(self, receipts: Sequence[str]) -> int:
        """Delete messages by receipt; stale receipts delete nothing. Returns how many."""

    def change_visibility(self, receipt: str, timeout: float) -> bool: ...

    def approximate_depth(self) -> tuple[int, int]:
        """(visible, in flight) messages on the main queue."""


class DeadLetters(Protocol):
    def dlq_list(self, limit: int = 100) -> list[Message]: ...

    def dlq_redrive(self) -> int:
        """Move every dead letter back to the main queue, receive count reset."""

    def dlq_depth(self) -> int: ...


class AnalyticsStore(Protocol):
    def record(self, clicks: Sequence[Click]) -> int:
        """Count each click exactly once, whatever the number of deliveries.

        Stores the raw click row and bumps every all-time aggregate of its link in one
        atomic step per batch, keyed by click id: a click already recorded changes
        nothing. Returns how many clicks were new. Raises on failure, leaving nothing
        half-recorded, so the whole batch can be retried.
        """

    def analytics(self, code: str, top: int = 5, recent: int = 10,
                  query: StatsQuery | None = None) -> Analytics:
        """Aggregates of ``code``, read without scanning click rows: all-time, or of the
        days (and bots) ``query`` asks for; hours as ``query`` says."""

    def clicks(self, code: str, first_id: str, last_id: str, limit: int
               ) -> list[ClickEvent]:
        """Up to ``limit`` raw clicks of ``code`` kept by the retention, oldest first,
        with ids ``first_id <= click_id < last_id`` (no visitor hash)."""

    def totals(self, codes: Sequence[str]) -> dict[str, tuple[int, int]]:
        """``{code: (total clicks, bot clicks)}`` of the codes that have clicks, read
        from the counters: the click summary of a page of links."""

class ClickFeed(Protocol):
    """Recorded clicks read back in click id (time) order: the live click stream."""

    def clicks_after(self, code: str | None, after: str, limit: int) -> ClickPage:
        """Up to ``limit`` recorded clicks of ``code`` (None: of every link, if the
        store can; else ``InvalidInput``) with ids above ``after``, oldest first; with
        ``after`` empty, the latest ``limit``. A read scans a bounded number of clicks:
        fewer than ``limit`` does not mean there are no more (go on from ``cursor``)."""


class ClickTail(ClickFeed, Protocol):
    """A feed that reads every link's clicks in one id range (SQLite): what one poller
    per process needs to follow all of them."""

    def click_ids_after(self, after: str, limit: int) -> list[str]:
        """Up to ``limit`` ids of recorded clicks above ``after``, ascending (cheap: the
        poller reads a window of ids again each time, and fetches only the new ones)."""

    def clicks_by_id(self, ids: Sequence[str]) -> list[Click]:
        """The recorded clicks with these ids."""


class Blocklist(Protocol):
    """The operator's blocked domains, with a version stamp that changes on every edit
    (cheap to read: the redirect path polls it about once a second)."""

    def version(self) -> object: ...

    def domains(self) -> frozenset[str]: ...

    def add(self, domain: str) -> bool:
        """Block ``domain`` (normalised); False if it was already blocked."""

    def remove(self, domain: str) -> bool:
        """Unblock ``domain``; False if it was not blocked."""


class RateStore(Protocol):
    def acquire(self, key: str, rate: Rate, now: float) -> float:
        """Atomically apply one request of ``key`` (GCRA, ``core.ratelimit.gcra``), shared
        by every process using the store; 0 if allowed, else seconds to wait."""


class SaltStore(Protocol):
    """The one current visitor salt of a deployment, shared by every process."""

    def day_salt(self, day: int, fresh: bytes) -> bytes | None:
        """The salt of UTC day number ``day``: the stored one if it is that day's,
        else ``fresh`` stored in place of an older day's salt (which is gone from then
        on); None if a later day's salt is already stored (this day's is discarded)."""


class CountryLookup(Protocol):
    def country(self, ip: str) -> str:
        """ISO 3166-1 alpha-2 code of the full address ``ip``, or "" if unknown."""
