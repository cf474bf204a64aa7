"""Exact click analytics in DynamoDB, counted exactly once per click.

One table (``clicks``) holds four kinds of items:

- raw clicks, ``pk = C#<code>``, ``sk = <click id>`` (ids sort by time, so "most recent
  first" is a reversed Query, and a range of days is a range of ids), with the click's
  anonymised address and country, expiring through the ``ttl`` attribute. They are the
  deduplication keys: a click is counted in the same transaction that puts its row, on
  the condition that the row is not there yet.
- one compact counter item per link and slot of ``SLOT_HOURS`` hours, ``pk = A#<code>``,
  ``sk = s#<YYYY-MM-DD>#<HH>``: the total in ``n``, bots in ``bots``, new visitors of the
  day in ``v``, and one number attribute per key of every dimension: ``b:<browser>``,
  ``o:<os>``, ``d:<device>``, ``u:<hash of the user agent>``, ``r:<hash of the referer>``,
  ``c:<country>`` (``ZZ`` unknown), ``h:<HH>`` (the UTC hour). Bot clicks count under the
  same names prefixed with ``~`` (``~u:...``, ``~v``), so a range can leave them out. A
  batch bumps each slot item it touches once, with one ``ADD`` of every attribute it
  changes. Past ``SLOT_CAP`` keys of one dimension in a slot, new keys count under
  ``<dimension>:other``: no item grows with keys a client chooses.
- visitor markers, ``pk = V#<code>#<day>#<visitor hash>``, ``sk = v``, ``c = <click
  id>``: put on the condition that they are absent, before the transaction, by the
  click that first brings the visitor; that click (the marker's ``c``) is the visitor's
  owner, and only the owner's transaction adds 1 to the slot's ``v``. They expire
  ``VISITOR_DAYS`` after their day.
- names, ``pk = K#<hash>``, ``sk = k``: the user agent or referer behind a hash, written
  once (idempotently, before the counters that use it) so counter items stay small.

Stats read a link's slot items (one Query; of a range's days only) and rank user agents
and referers there: the set is bounded by the keys the link has seen, and only the names
of the top ones are fetched. The link listing's totals sum ``n`` and ``bots`` over the
same items (a projection; DynamoDB still bills the bytes of the whole items read).

``record`` first claims the batch's new visitors (a conditional ``PutItem`` each, outside
any transaction: 1 write unit, not 2; a marker already there answers with its owner),
then writes the batch in one ``TransactWriteItems`` per chunk of at most 100 actions (a
put per click, an update per slot item). If DynamoDB cancels it because some conditions
failed, it learns from each: a click whose row is there was already recorded (a
redelivery) and is dropped with everything it carried; a slot item that is not
what this process thought it was (``SlotState``) comes back whole in the cancellation
(``ReturnValuesOnConditionCheckFailure``) and the update is made again from it. Each
click counts once, with its country and visitor (docs/aws.md gives the argument).
"""

from __future__ import annotations

import base64
import hashlib
import random
import time
from collections import Counter as Tally
from collections import defaultdict
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from linkpulse.backends.aws.analytics_reads import (
    BOT,
    Sums,
    add_up,
    number,
    ranked,
    series,
    small,
)
from linkpulse.backends.aws.clients import THROTTLED, LazyClient, error_code, translated
from linkpulse.core.clickexport import day_id
from linkpulse.core.errors import InvalidInput
from linkpulse.core.models import Analytics, Click, ClickEvent, ClickPage, Count
from linkpulse.core.ranges import ALL_TIME, OTHER, UNKNOWN_COUNTRY, StatsQuery, day_text

SLOT_HOURS = 6
"""Hours of clicks one counter item holds: small enough that a popular link's item stays
a few KB (DynamoDB bills a write per KB of the whole item), large enough that a batch
rarely splits a link over two."""
DAYS_SHOWN = 366
MAX_ACTIONS = 100
"""DynamoDB's limit on actions in one transaction."""
MAX_TERMS = 150
"""Attributes one update may bump (keeps the update expression well under 4 KB)."""
CONFLICT_ATTEMPTS = 8
STALE_ATTEMPTS = 16
"""Times one chunk may find a slot item changed by another writer before giving up (the
batch is then redelivered)."""
RETRYABLE_REASONS = frozenset({"TransactionConflict", "ThrottlingError",
                               "ProvisionedThroughputExceeded", "RequestLimitExceeded"})
"""Cancellation reasons after which the same transaction may succeed."""
NAMED = {"u": "user_agent", "r": "referer"}
"""Prefixes of the dimensions stored by hash, and the click field they name."""
CAPPED = frozenset("bodurc")
"""Prefixes of the dimensions whose keys a client chooses (directly or not)."""
SLOT_CAP = 100
"""Keys of one capped dimension (humans and bots apart) a slot item counts on their own;
later ones count under ``other``. At the cap, an item of user agents and referers is
about 2.5 KB."""
TOTALS_THREADS = 8
"""Queries ``totals`` runs at once (a listing page asks for 50 links)."""
KNOWN_NAMES = 100_000
"""Hashes whose name this process has written (then skipped), before it forgets them."""
KNOWN_SLOT_KEYS = 200_000
"""Attribute names of slot items this process remembers, all slots together (~20 MB at
most; the slots used longest ago are forgotten first). A forgotten slot costs one
cancelled transaction the next time a batch adds keys to it."""
KNOWN_VISITORS = 100_000
"""Visitor markers this process knows are there (it does not put them again)."""
CLAIM_THREADS = 8
"""Visitor markers put at once."""
VISITOR_DAYS = 18
"""Days a visitor marker is kept after its day: as long as a click can wait on the queue
and among the dead letters (4 + 14 days), so a late click still meets its day's
visitors (the SQLite store keeps its visitor hashes as long)."""

SlotKey = tuple[str, str]
"""(code, slot sort key) of one counter item."""
VisitorKey = tuple[str, str, str]
"""(code, day, visitor hash) of one visitor marker."""


def slot_of(click: Click) -> SlotKey:
    hour = datetime.fromtimestamp(click.event.timestamp, UTC).hour
    return click.event.code, f"s#{click.day}#{hour - hour % SLOT_HOURS:02d}"


def name_hash(prefix: str, value: str) -> str:
    digest = hashlib.blake2b(f"{prefix}{value}".encode(), digest_size=6).digest()
    return base64.urlsafe_b64encode(digest).decode()


def country_code(country: str) -> str:
    """The click's country if it is an ISO code, else ``ZZ`` (unknown)."""
    ok = len(country) == 2 and country.isascii() and country.isupper()
    return country if ok else UNKNOWN_COUNTRY


def terms(click: Click) -> list[str]:
    """The counter attributes one click bumps, besides ``n`` (and its visitor's ``v``)."""
    e = click.event
    p = BOT if click.is_bot else ""
    hour = int(e.timestamp // 3600 % 24)
    out = [f"{p}b:{click.browser}", f"{p}o:{click.os}", f"{p}d:{click.device}",
           f"{p}u:{name_hash('u', e.user_agent)}", f"{p}r:{name_hash('r', e.referer)}",
           f"{p}c:{country_code(e.country)}", f"{p}h:{hour:02d}"]
    if click.is_bot:
        out.append("bots")
    return out


def capped_prefix(attr: str) -> str | None:
    """``u:`` (or ``~u:``...) of a key of a capped dimension other than ``other``."""
    name = attr[1:] if attr.startswith(BOT) else attr
    if len(name) > 2 and name[1] == ":" and name[0] in CAPPED and name[2:] != OTHER:
        return attr[:len(attr) - len(name) + 2]
    return None


def _writable(click: Click) -> bool:
    """Whether DynamoDB's client can encode every text of the click's row. One that
    cannot (a lone surrogate in a crafted message) fails every transaction it is in and
    ends in the DLQ: it must not claim its visitor, or the visitor's other clicks would
    count without it."""
    e = click.event
    try:
        "".join((e.click_id, e.code, e.user_agent, e.referer, e.ip, e.country,
                 click.browser, click.os, click.device)).encode()
    except UnicodeEncodeError:
        return False
    return True


def visitor_of(click: Click) -> VisitorKey | None:
    e = click.event
    return (e.code, click.day, e.visitor[:64]) if e.visitor else None


@dataclass
class SlotState:
    """What this process knows of a slot item: if its ``n`` is still ``n``, its
    attributes are exactly ``keys`` (every write adds to ``n``); else at least those
    (attributes are never removed)."""

    n: int = 0
    keys: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, item: dict[str, Any] | None) -> SlotState:
        item = item or {}
        return cls(number(item, "n"), set(item) - {"pk", "sk"})


@dataclass
class _Plan:
    """One transaction: its actions, what each one is for, and each slot's update."""

    actions: list[dict[str, Any]]
    roles: list[tuple[str, Any]]
    slots: dict[SlotKey, Tally[str]]
    visitors: list[VisitorKey]
    names: dict[str, str]


class DynamoAnalyticsStore:
    """``AnalyticsStore`` on the ``clicks`` table (see the module docstring)."""

    def __init__(self, table: str, client: Any = None, *, retention_days: int = 90,
                 endpoint_url: str = "", region: str = "us-east-1") -> None:
        from linkpulse.backends.aws.clients import make_client

        self.table = table
        self.retention_seconds = retention_days * 86_400
        self._client = LazyClient(client, lambda: make_client("dynamodb", endpoint_url, region))
        self._named: dict[str, None] = {}
        self._slots: dict[SlotKey, SlotState] = {}
        self._slot_keys = 0
        """Attribute names held in ``_slots``."""
        self._visitors: dict[VisitorKey, None] = {}
        self.transactions = 0
        self.cancelled = 0
        """Transactions DynamoDB cancelled (redeliveries, slot items changed by another
        writer): each is retried."""

    @property
    def client(self) -> Any:
        return self._client.get()

    # --- writing
    def record(self, clicks: Sequence[Click]) -> int:
        unique = list({c.event.click_id: c for c in reversed(clicks)}.values())[::-1]
        return sum(self._record_chunk(chunk) for chunk in _chunks(unique))

    def _write_names(self, names: dict[str, str]) -> None:
        """Put the name items of hashes this process has not written yet (idempotent)."""
        items = [(key, value) for key, value in names.items() if key not in self._named]
        for start in range(0, len(items), 25):
            requests = [{"PutRequest": {"Item": {"pk": {"S": f"K#{key}"}, "sk": {"S": "k"},
                                                 "v": {"S": value}}}}
                        for key, value in items[start:start + 25]]
            with translated("recording names"):
                while requests:
                    unprocessed = self.client.batch_write_item(
                        RequestItems={self.table: requests}).get("UnprocessedItems", {})
                    requests = unprocessed.get(self.table, [])
        _remember(self._named, (key for key, _ in items), KNOWN_NAMES)

    def _claim_visitors(self, clicks: list[Click]) -> dict[VisitorKey, str]:
        """The owner (a click id) of each visitor these clicks bring that this process
        does not know as counted: the click that put its marker first, now or before."""
        firsts: dict[VisitorKey, str] = {}
        for click in clicks:
            visitor = visitor_of(click)
            if visitor is not None and visitor not in self._visitors and _writable(click):
                firsts.setdefault(visitor, click.event.click_id)
        if not firsts:
            return {}
        with translated("recording visitors"), \
                ThreadPoolExecutor(min(CLAIM_THREADS, len(firsts))) as pool:
            owners = dict(zip(firsts, pool.map(self._claim, firsts.items()), strict=True))
        _remember(self._visitors, (v for v, owner in owners.items() if owner != firsts[v]),
                  KNOWN_VISITORS)  # another click owns it: counted with that click
        return owners

    def _claim(self, claim: tuple[VisitorKey, str]) -> str:
        from botocore.exceptions import ClientError

        visitor, click_id = claim
        try:
            self.client.put_item(TableName=self.table,
                                 Item=self._visitor_item(visitor, click_id),
                                 ConditionExpression="attribute_not_exists(pk)",
                                 ReturnValuesOnConditionCheckFailure="ALL_OLD")
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise
            response: dict[str, Any] = dict(exc.response)
            owner = (response.get("Item") or {}).get("c", {}).get("S")
            return owner if isinstance(owner, str) else ""  # a marker with no owner: counted
        return click_id

    def _record_chunk(self, clicks: list[Click]) -> int:
        from botocore.exceptions import ClientError

        owners = self._claim_visitors(clicks)
        pending = clicks
        conflicts = stale = 0
        while pending:
            plan = self._plan(pending, owners)
            self._write_names(plan.names)
            with translated("recording clicks"):
                try:
                    self.client.transact_write_items(TransactItems=plan.actions)
                except ClientError as exc:
                    if error_code(exc) != "TransactionCanceledException":
                        raise
                    self.cancelled += 1
                    reasons = exc.response.get("CancellationReasons", [])
                    learned = self._learn(plan, reasons)
                    if learned is not None:
                        recorded, slots = learned
                        stale += slots
                        if stale > STALE_ATTEMPTS:
                            raise
                        pending = [c for c in pending if c.event.click_id not in recorded]
                        continue
                    codes = [r.get("Code", "None") for r in reasons]
                    retryable = any(c in RETRYABLE_REASONS or c in THROTTLED for c in codes)
                    if not retryable or conflicts >= CONFLICT_ATTEMPTS:
                        raise
                    conflicts += 1
                    time.sleep(min(0.025 * 2 ** conflicts, 1.0) * random.random())
                    continue
            self.transactions += 1
            self._committed(plan)
            return len(pending)
        return 0

    def _learn(self, plan: _Plan, reasons: Sequence[Any]
               ) -> tuple[set[str], int] | None:
        """What the failed conditions of a cancelled transaction tell: the ids of clicks
        already recorded, and how many slot items were refreshed; None if no condition
        failed (a conflict or throttling: the same transaction may be retried)."""
        recorded: set[str] = set()
        slots = 0
        failed = False
        for (role, ref), reason in zip(plan.roles, reasons, strict=False):
            if reason.get("Code") != "ConditionalCheckFailed":
                continue
            failed = True
            if role == "click":  # a redelivery: counted with everything it brought
                recorded.add(ref)
            else:  # written by another process since: start from what it is now
                self._keep_slot(ref, SlotState.of(reason.get("Item")))
                slots += 1
        return (recorded, slots) if failed else None

    def _committed(self, plan: _Plan) -> None:
        for key, tally in plan.slots.items():
            old = self._slots.get(key) or SlotState()
            self._keep_slot(key, SlotState(old.n + tally["n"], old.keys | set(tally)))
        _remember(self._visitors, plan.visitors, KNOWN_VISITORS)

    def _keep_slot(self, key: SlotKey, state: SlotState) -> None:
        """Remember ``state`` as the newest, forgetting the oldest past the budget."""
        old = self._slots.pop(key, None)
        self._slot_keys += len(state.keys) - (len(old.keys) if old else 0)
        self._slots[key] = state
        while self._slot_keys > KNOWN_SLOT_KEYS and len(self._slots) > 1:
            self._slot_keys -= len(self._slots.pop(next(iter(self._slots))).keys)

    def _plan(self, clicks: list[Click], owners: dict[VisitorKey, str]) -> _Plan:
        actions = [{"Put": {
            "TableName": self.table,
            "Item": self._click_item(click),
            "ConditionExpression": "attribute_not_exists(pk)",
        }} for click in clicks]
        roles: list[tuple[str, Any]] = [("click", c.event.click_id) for c in clicks]
        tallies: dict[SlotKey, Tally[str]] = defaultdict(Tally)
        fresh: dict[VisitorKey, None] = {}
        names: dict[str, str] = {}
        for click in clicks:
            tally = tallies[slot_of(click)]
            tally["n"] += 1
            tally.update(terms(click))
            visitor = visitor_of(click)
            if visitor is not None and owners.get(visitor) == click.event.click_id:
                fresh[visitor] = None  # this click owns its visitor: counted with it
                tally[f"{BOT}v" if click.is_bot else "v"] += 1
            for prefix, name in NAMED.items():
                value = getattr(click.event, name)
                names[name_hash(prefix, value)] = value
        slots: dict[SlotKey, Tally[str]] = {}
        for key, tally in tallies.items():
            state = self._slots.get(key) or SlotState()
            slots[key], grows = _fold(tally, state)
            actions.append(self._slot_update(key, slots[key], state.n if grows else None))
            roles.append(("slot", key))
        kept = {attr.partition(":")[2] for tally in slots.values() for attr in tally
                if attr.lstrip(BOT)[:1] in NAMED}
        return _Plan(actions, roles, slots, list(fresh),
                     {h: v for h, v in names.items() if h in kept})

    def _click_item(self, click: Click) -> dict[str, Any]:
        e = click.event
        item = {
            "pk": {"S": f"C#{e.code}"},
            "sk": {"S": e.click_id},
            "ts": {"N": repr(e.timestamp)},
            "ua": {"S": e.user_agent},
            "ref": {"S": e.referer},
            "ip": {"S": e.ip},
            "browser": {"S": click.browser},
            "os": {"S": click.os},
            "device": {"S": click.device},
            "bot": {"BOOL": click.is_bot},
            "day": {"S": click.day},
            "ttl": {"N": str(int(e.timestamp) + self.retention_seconds)},
        }
        if country_code(e.country) != UNKNOWN_COUNTRY:
            item["country"] = {"S": e.country}
        return item

    @staticmethod
    def _visitor_item(visitor: VisitorKey, owner: str) -> dict[str, Any]:
        code, day, digest = visitor
        ends = datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=UTC).timestamp() + 86_400
        return {"pk": {"S": f"V#{code}#{day}#{digest}"}, "sk": {"S": "v"},
                "ttl": {"N": str(int(ends) + VISITOR_DAYS * 86_400)}, "c": {"S": owner}}

    def _slot_update(self, key: SlotKey, tally: Tally[str], version: int | None
                     ) -> dict[str, Any]:
        """The ``ADD`` of a slot's counts; on the condition that its ``n`` is still
        ``version`` if the update adds keys of a capped dimension (so the cap holds)."""
        code, sk = key
        names: dict[str, str] = {}
        values: dict[str, Any] = {}
        adds = []
        for i, (attr, count) in enumerate(sorted(tally.items())):
            names[f"#a{i}"], values[f":a{i}"] = attr, {"N": str(count)}
            adds.append(f"#a{i} :a{i}")
        update: dict[str, Any] = {
            "TableName": self.table,
            "Key": {"pk": {"S": f"A#{code}"}, "sk": {"S": sk}},
            "UpdateExpression": "ADD " + ", ".join(adds),
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
        if version is not None:
            names["#n"] = "n"
            if version:
                update["ConditionExpression"] = "#n = :version"
                values[":version"] = {"N": str(version)}
            else:
                update["ConditionExpression"] = "attribute_not_exists(#n)"
            update["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        return {"Update": update}

    # --- reading
    def analytics(self, code: str, top: int = 5, recent: int = 10,
                  query: StatsQuery | None = None) -> Analytics:
        """All-time figures, or those of ``query``'s days (bots left out if it says
        so), added up from the slot items of those days; hours as ``query`` says."""
        q = query or ALL_TIME
        with translated(f"reading analytics of {code!r}"):
            key = {":pk": {"S": f"A#{code}"}}
            if q.first_day is not None and q.last_day is not None:
                items = self._query(
                    KeyConditionExpression="pk = :pk AND sk BETWEEN :a AND :b",
                    ExpressionAttributeValues={
                        **key, ":a": {"S": f"s#{day_text(q.first_day)}#00"},
                        ":b": {"S": f"s#{day_text(q.last_day)}#{24 - SLOT_HOURS:02d}"}})
            else:
                items = self._query(KeyConditionExpression="pk = :pk AND begins_with(sk, :s)",
                                    ExpressionAttributeValues={**key, ":s": {"S": "s#"}})
            sums = add_up(items, q)
            clicks = self._recent(code, recent, q) if recent > 0 else []
            named = {prefix: self._top_named(prefix, sums, top) for prefix in NAMED}
        days = series(sums.days, None if q.ranged else DAYS_SHOWN)
        shown = days[0].key if days else ""
        return Analytics(
            total=sums.total, bots=sums.bots,
            user_agents=named["u"], referers=named["r"],
            browsers=small(sums, "b", top), os=small(sums, "o", top),
            devices=small(sums, "d", top),
            days=days,
            recent=tuple(_click(code, item) for item in clicks),
            countries=small(sums, "c"),
            unique_visitors=sum(sums.day_visitors.values()),
            day_visitors=tuple(c for c in series(sums.day_visitors) if c.key >= shown),
            hours=series(sums.hours),
        )

    def _recent(self, code: str, n: int, q: StatsQuery) -> list[dict[str, Any]]:
        """The ``n`` latest click rows of ``code`` on ``q``'s days (bots left out if it
        says so), most recent first."""
        condition = "pk = :pk"
        values: dict[str, Any] = {":pk": {"S": f"C#{code}"}}
        if q.first_day is not None and q.last_day is not None:
            condition += " AND sk BETWEEN :a AND :b"
            values.update({":a": {"S": day_id(q.first_day)},
                           ":b": {"S": day_id(q.last_day + 1)}})
        extra: dict[str, Any] = {}
        if q.exclude_bots:
            extra = {"FilterExpression": "bot = :human"}
            values[":human"] = {"BOOL": False}
        return self._query(KeyConditionExpression=condition, ExpressionAttributeValues=values,
                           ScanIndexForward=False, Limit=n, at_most=n, **extra)

    def clicks(self, code: str, first_id: str, last_id: str, limit: int
               ) -> list[ClickEvent]:
        """One Query of ``code``'s click rows in the id range (rows expire with the
        retention)."""
        values: dict[str, Any] = {":pk": {"S": f"C#{code}"}, ":b": {"S": last_id}}
        condition = "pk = :pk AND sk < :b"
        if first_id:
            condition = "pk = :pk AND sk BETWEEN :a AND :b"
            values[":a"] = {"S": first_id}
        with translated(f"reading clicks of {code!r}"):
            items = self._query(KeyConditionExpression=condition,
                                ExpressionAttributeValues=values, Limit=limit + 1,
                                at_most=limit + 1)
        return [_click(code, item).event for item in items
                if item["sk"]["S"] != last_id][:limit]

    def totals(self, codes: Sequence[str]) -> dict[str, tuple[int, int]]:
        """``n`` and ``bots`` of each code's slot items: one Query per code, a few at a
        time. No per-link total item is kept: it would cost every batch 2 more write
        units per link it touches, on every click, to spare a read that only the link
        listing makes (docs/aws.md weighs the two with measured units)."""
        unique = list(dict.fromkeys(codes))
        if not unique:
            return {}
        with translated("reading click totals"), \
                ThreadPoolExecutor(min(TOTALS_THREADS, len(unique))) as pool:
            sums = list(pool.map(self._total, unique))
        return {code: total for code, total in zip(unique, sums, strict=True) if total[0]}

    def _total(self, code: str) -> tuple[int, int]:
        items = self._query(KeyConditionExpression="pk = :pk AND begins_with(sk, :s)",
                            ProjectionExpression="n, bots",
                            ExpressionAttributeValues={":pk": {"S": f"A#{code}"},
                                                       ":s": {"S": "s#"}})
        return (sum(number(item, "n") for item in items),
                sum(number(item, "bots") for item in items))

    def _top_named(self, prefix: str, sums: Sums, top: int) -> tuple[Count, ...]:
        """Top ``top`` keys of a hashed dimension by count, ties broken by name (like the
        SQLite store): the names of every key tied with the cut are fetched; folded
        keys are ``other``."""
        counts = sorted(((n, h) for h, n in sums.of(prefix)), reverse=True)
        if top <= 0 or not counts:
            return ()
        cut = counts[min(top, len(counts)) - 1][0]
        candidates = [(n, h) for n, h in counts if n >= cut]
        names = self._names([h for _, h in candidates if h != OTHER])
        names[OTHER] = OTHER
        return ranked((Count(names[h], n) for n, h in candidates if h in names), top)

    def _names(self, hashes: list[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for start in range(0, len(hashes), 100):
            keys = [{"pk": {"S": f"K#{h}"}, "sk": {"S": "k"}} for h in hashes[start:start + 100]]
            while keys:
                response = self.client.batch_get_item(RequestItems={self.table: {"Keys": keys}})
                for item in response.get("Responses", {}).get(self.table, []):
                    out[item["pk"]["S"][2:]] = item["v"]["S"]
                keys = response.get("UnprocessedKeys", {}).get(self.table, {}).get("Keys", [])
        return out

    def _query(self, one_page: bool = False, at_most: int | None = None,
               **kwargs: Any) -> list[dict[str, Any]]:
        """Every item of a Query (or its first page, or its first ``at_most``)."""
        items: list[dict[str, Any]] = []
        while True:
            response = self.client.query(TableName=self.table, **kwargs)
            items += response.get("Items", [])
            if at_most is not None and len(items) >= at_most:
                return items[:at_most]
            if one_page or "LastEvaluatedKey" not in response:
                return items
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def clicks_after(self, code: str | None, after: str, limit: int) -> ClickPage:
        """Raw clicks of ``code`` above the click id ``after`` (empty: the latest
        ``limit``), oldest first: one Query of ``C#<code>`` (the live click stream's poll)."""
        if code is None:
            raise InvalidInput("'code' is required: on this deployment events are a poll of "
                               "one link's clicks")
        key = {":pk": {"S": f"C#{code}"}}
        with translated(f"reading clicks of {code!r}"):
            if after:
                items = self._query(True, KeyConditionExpression="pk = :pk AND sk > :after",
                                    ExpressionAttributeValues={**key, ":after": {"S": after}},
                                    Limit=limit)
            else:
                items = self._query(True, KeyConditionExpression="pk = :pk", Limit=limit,
                                    ExpressionAttributeValues=key, ScanIndexForward=False)
                items.reverse()
        clicks = [_click(code, i) for i in items]
        return ClickPage(clicks, clicks[-1].event.click_id if clicks else after)


def _remember(known: dict[Any, None], keys: Iterable[Any], size: int) -> None:
    """Add ``keys`` to a bounded set kept in insertion order (the oldest forgotten)."""
    for key in keys:
        known[key] = None
    while len(known) > size:
        del known[next(iter(known))]


def _fold(tally: Tally[str], state: SlotState) -> tuple[Tally[str], bool]:
    """The counts to add to a slot item, keys past the cap folded into ``other``, and
    whether they add keys of a capped dimension (the update must then be conditional:
    only an exact ``state`` tells how many keys the item has)."""
    out: Tally[str] = Tally()
    new: dict[str, list[str]] = defaultdict(list)
    for attr, count in tally.items():
        prefix = capped_prefix(attr)
        if prefix is None or attr in state.keys:
            out[attr] += count
        else:
            new[prefix].append(attr)
    grows = False
    for prefix, attrs in new.items():
        room = SLOT_CAP - sum(1 for k in state.keys if capped_prefix(k) == prefix)
        for attr in sorted(attrs):
            if room > 0:
                out[attr] += tally[attr]
                room -= 1
                grows = True
            else:
                out[f"{prefix}{OTHER}"] += tally[attr]
    return out, grows


def _chunks(clicks: Iterable[Click]) -> Iterable[list[Click]]:
    """Split so each transaction has at most ``MAX_ACTIONS`` actions (one put per click,
    plus one update per slot item) and no update bumps more than ``MAX_TERMS``
    attributes. Visitor markers are put before the transaction, not in it."""
    chunk: list[Click] = []
    slots: dict[SlotKey, set[str]] = {}
    for click in clicks:
        key, new = slot_of(click), {"n", "v", *terms(click)}
        grown = len(slots.get(key, set()) | new)
        actions = len(chunk) + 1 + len(slots) + (key not in slots)
        if chunk and (actions > MAX_ACTIONS or grown > MAX_TERMS):
            yield chunk
            chunk, slots = [], {}
        chunk.append(click)
        slots.setdefault(key, set()).update(new)
    if chunk:
        yield chunk


def _click(code: str, item: dict[str, Any]) -> Click:
    event = ClickEvent(
        click_id=item["sk"]["S"], code=code, timestamp=float(item["ts"]["N"]),
        user_agent=item["ua"]["S"], referer=item["ref"]["S"], ip=item["ip"]["S"],
        country=item.get("country", {}).get("S", ""),
    )
    return Click(event, item["browser"]["S"], item["os"]["S"], item["device"]["S"],
                 item["bot"]["BOOL"], item["day"]["S"])
