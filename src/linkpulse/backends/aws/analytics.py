"""Exact, all-time click analytics in DynamoDB, counted exactly once per click.

One table (``clicks``) holds three kinds of items:

- raw clicks, ``pk = C#<code>``, ``sk = <click id>`` (ids sort by time, so "most recent
  first" is a reversed Query), expiring through the ``ttl`` attribute. They are the
  deduplication keys: a click is counted in the same transaction that puts its row, on
  the condition that the row is not there yet.
- one compact counter item per link and slot of ``SLOT_HOURS`` hours, ``pk = A#<code>``,
  ``sk = s#<YYYY-MM-DD>#<HH>``: the total in ``n``, bots in ``bots``, and one top-level
  number attribute per key of every dimension: ``b:<browser>``, ``o:<os>``,
  ``d:<device>``, ``u:<hash of the user agent>``, ``r:<hash of the referer>``. A batch
  bumps each slot item it touches once, with one ``ADD`` of every attribute it changes.
  A new dimension (country, hour...) is one more prefix, not one more item.
- names, ``pk = K#<hash>``, ``sk = k``: the user agent or referer behind a hash, written
  once (idempotently, before the counters that use it) so counter items stay small.

Stats read a link's slot items (one Query, a few KB for most links) and rank user agents
and referers there: the set is bounded by the keys the link has seen, and only the names
of the top ones are fetched. The link listing's totals sum ``n`` and ``bots`` over the
same items (a projection; DynamoDB still bills the bytes of the whole items read).

``record`` writes a batch in one ``TransactWriteItems`` per chunk of at most 100 actions
(a put per click, an update per slot item). If DynamoDB cancels it because some clicks
were already recorded (a redelivery), those clicks are dropped and the rest retried: each
click counts once. The items a click costs: its row, plus its share of one slot item
shared with every other click of that link in the batch (no index rewrites).
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
from datetime import UTC, datetime
from typing import Any

from linkpulse.backends.aws.clients import THROTTLED, LazyClient, error_code, translated
from linkpulse.core.errors import InvalidInput
from linkpulse.core.models import Analytics, Click, ClickEvent, ClickPage, Count
from linkpulse.core.ranges import StatsQuery

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
RETRYABLE_REASONS = frozenset({"TransactionConflict", "ThrottlingError",
                               "ProvisionedThroughputExceeded", "RequestLimitExceeded"})
"""Cancellation reasons after which the same transaction may succeed."""
NAMED = {"u": "user_agent", "r": "referer"}
"""Prefixes of the dimensions stored by hash, and the click field they name."""
TOTALS_THREADS = 8
"""Queries ``totals`` runs at once (a listing page asks for 50 links)."""
KNOWN_NAMES = 100_000
"""Hashes whose name this process has written (then skipped), before it forgets them."""

SlotKey = tuple[str, str]
"""(code, slot sort key) of one counter item."""


def slot_of(click: Click) -> SlotKey:
    hour = datetime.fromtimestamp(click.event.timestamp, UTC).hour
    return click.event.code, f"s#{click.day}#{hour - hour % SLOT_HOURS:02d}"


def name_hash(prefix: str, value: str) -> str:
    digest = hashlib.blake2b(f"{prefix}{value}".encode(), digest_size=6).digest()
    return base64.urlsafe_b64encode(digest).decode()


def terms(click: Click) -> list[str]:
    """The counter attributes one click bumps, besides ``n``."""
    e = click.event
    out = [f"b:{click.browser}", f"o:{click.os}", f"d:{click.device}",
           f"u:{name_hash('u', e.user_agent)}", f"r:{name_hash('r', e.referer)}"]
    if click.is_bot:
        out.append("bots")
    return out


class DynamoAnalyticsStore:
    """``AnalyticsStore`` on the ``clicks`` table (see the module docstring)."""

    def __init__(self, table: str, client: Any = None, *, retention_days: int = 90,
                 endpoint_url: str = "", region: str = "us-east-1") -> None:
        from linkpulse.backends.aws.clients import make_client

        self.table = table
        self.retention_seconds = retention_days * 86_400
        self._client = LazyClient(client, lambda: make_client("dynamodb", endpoint_url, region))
        self._named: dict[str, None] = {}
        self.transactions = 0

    @property
    def client(self) -> Any:
        return self._client.get()

    # --- writing
    def record(self, clicks: Sequence[Click]) -> int:
        unique = list({c.event.click_id: c for c in reversed(clicks)}.values())[::-1]
        self._write_names(unique)
        return sum(self._record_chunk(chunk) for chunk in _chunks(unique))

    def _write_names(self, clicks: Iterable[Click]) -> None:
        """Put the name items of hashes this process has not written yet (idempotent)."""
        new: dict[str, str] = {}
        for click in clicks:
            for prefix, field in NAMED.items():
                value = getattr(click.event, field)
                key = name_hash(prefix, value)
                if key not in self._named:
                    new[key] = value
        items = list(new.items())
        for start in range(0, len(items), 25):
            requests = [{"PutRequest": {"Item": {"pk": {"S": f"K#{key}"}, "sk": {"S": "k"},
                                                 "v": {"S": value}}}}
                        for key, value in items[start:start + 25]]
            with translated("recording names"):
                while requests:
                    unprocessed = self.client.batch_write_item(
                        RequestItems={self.table: requests}).get("UnprocessedItems", {})
                    requests = unprocessed.get(self.table, [])
        for key in new:
            self._named[key] = None
        while len(self._named) > KNOWN_NAMES:
            del self._named[next(iter(self._named))]

    def _record_chunk(self, clicks: list[Click]) -> int:
        from botocore.exceptions import ClientError

        pending = clicks
        conflicts = 0
        while pending:
            actions = self._actions(pending)
            with translated("recording clicks"):
                try:
                    self.client.transact_write_items(TransactItems=actions)
                except ClientError as exc:
                    if error_code(exc) != "TransactionCanceledException":
                        raise
                    codes = [r.get("Code", "None")
                             for r in exc.response.get("CancellationReasons", [])]
                    recorded = {i for i, code in enumerate(codes[:len(pending)])
                                if code == "ConditionalCheckFailed"}
                    if recorded:  # redelivered clicks: drop them, retry the others
                        pending = [c for i, c in enumerate(pending) if i not in recorded]
                        continue
                    retryable = any(c in RETRYABLE_REASONS or c in THROTTLED for c in codes)
                    if not retryable or conflicts >= CONFLICT_ATTEMPTS:
                        raise
                    conflicts += 1
                    time.sleep(min(0.025 * 2 ** conflicts, 1.0) * random.random())
                    continue
            self.transactions += 1
            return len(pending)
        return 0

    def _actions(self, clicks: list[Click]) -> list[dict[str, Any]]:
        puts = [{"Put": {
            "TableName": self.table,
            "Item": self._click_item(click),
            "ConditionExpression": "attribute_not_exists(pk)",
        }} for click in clicks]
        slots: dict[SlotKey, Tally[str]] = defaultdict(Tally)
        for click in clicks:
            tally = slots[slot_of(click)]
            tally["n"] += 1
            tally.update(terms(click))
        return puts + [self._slot_update(key, tally) for key, tally in slots.items()]

    def _click_item(self, click: Click) -> dict[str, Any]:
        e = click.event
        return {
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

    def _slot_update(self, key: SlotKey, tally: Tally[str]) -> dict[str, Any]:
        code, sk = key
        names, values, adds = {}, {}, []
        for i, (attr, count) in enumerate(sorted(tally.items())):
            names[f"#a{i}"], values[f":a{i}"] = attr, {"N": str(count)}
            adds.append(f"#a{i} :a{i}")
        return {"Update": {
            "TableName": self.table,
            "Key": {"pk": {"S": f"A#{code}"}, "sk": {"S": sk}},
            "UpdateExpression": "ADD " + ", ".join(adds),
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }}

    # --- reading
    def analytics(self, code: str, top: int = 5, recent: int = 10,
                  query: StatsQuery | None = None) -> Analytics:
        """All-time figures; countries, visitors, hours and ranges are not stored on
        AWS yet (the new layout, issue 11): their figures are the empty default."""
        if query is not None and query.ranged:
            return Analytics()
        with translated(f"reading analytics of {code!r}"):
            slots = self._query(KeyConditionExpression="pk = :pk AND begins_with(sk, :s)",
                                ExpressionAttributeValues={":pk": {"S": f"A#{code}"},
                                                           ":s": {"S": "s#"}})
            clicks = self._query(
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": {"S": f"C#{code}"}},
                ScanIndexForward=False, Limit=recent, one_page=True,
            ) if recent > 0 else []
            sums: Tally[str] = Tally()
            days: Tally[str] = Tally()
            for item in slots:
                for attr, value in item.items():
                    if attr not in ("pk", "sk"):
                        sums[attr] += int(value["N"])
                days[item["sk"]["S"].split("#")[1]] += _number(item, "n")
            named = {prefix: self._top_named(prefix, sums, top) for prefix in NAMED}

        def small(prefix: str) -> tuple[Count, ...]:
            return _ranked((Count(attr[2:], n) for attr, n in sums.items()
                            if attr.startswith(f"{prefix}:")), top)

        return Analytics(
            total=sums["n"], bots=sums["bots"],
            user_agents=named["u"], referers=named["r"],
            browsers=small("b"), os=small("o"), devices=small("d"),
            days=tuple(Count(day, n) for day, n in sorted(days.items())[-DAYS_SHOWN:]),
            recent=tuple(_click(code, item) for item in clicks),
        )

    def clicks(self, code: str, first_id: str, last_id: str, limit: int
               ) -> list[ClickEvent]:
        """Not exported on AWS yet (the new layout, issue 11): none."""
        return []

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
        return (sum(_number(item, "n") for item in items),
                sum(_number(item, "bots") for item in items))

    def _top_named(self, prefix: str, sums: Tally[str], top: int) -> tuple[Count, ...]:
        """Top ``top`` keys of a hashed dimension by count, ties broken by name (like the
        SQLite store): the names of every key tied with the cut are fetched."""
        counts = sorted(((n, attr[2:]) for attr, n in sums.items()
                         if attr.startswith(f"{prefix}:")), reverse=True)
        if top <= 0 or not counts:
            return ()
        cut = counts[min(top, len(counts)) - 1][0]
        candidates = [(n, h) for n, h in counts if n >= cut]
        names = self._names([h for _, h in candidates])
        return _ranked((Count(names[h], n) for n, h in candidates if h in names), top)

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

    def _query(self, one_page: bool = False, **kwargs: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        while True:
            response = self.client.query(TableName=self.table, **kwargs)
            items += response.get("Items", [])
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
        clicks = [c if c.event.country or "country" not in i else
                  c._replace(event=c.event._replace(country=i["country"]["S"]))
                  for c, i in zip(clicks, items, strict=True)]
        return ClickPage(clicks, clicks[-1].event.click_id if clicks else after)


def _number(item: dict[str, Any], attr: str) -> int:
    """A counter of an item; absent is zero (an emulator may show an item between its
    creation and its ``ADD``; DynamoDB applies an update atomically)."""
    value = item.get(attr)
    return int(value["N"]) if value else 0


def _ranked(counts: Iterable[Count], top: int) -> tuple[Count, ...]:
    """Top ``top`` by count, ties by key (the SQLite store's order)."""
    return tuple(sorted(counts, key=lambda c: (-c.count, c.key))[:max(top, 0)])


def _chunks(clicks: Iterable[Click]) -> Iterable[list[Click]]:
    """Split so each transaction has at most ``MAX_ACTIONS`` actions (one put per click
    plus one update per slot item) and no update bumps more than ``MAX_TERMS`` attributes."""
    chunk: list[Click] = []
    slots: dict[SlotKey, set[str]] = {}
    for click in clicks:
        key, new = slot_of(click), {"n", *terms(click)}
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
    )
    return Click(event, item["browser"]["S"], item["os"]["S"], item["device"]["S"],
                 item["bot"]["BOOL"], item["day"]["S"])
