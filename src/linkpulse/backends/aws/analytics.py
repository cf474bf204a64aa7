"""Exact, all-time click analytics in DynamoDB, counted exactly once per click.

One table (``clicks``) holds two kinds of rows:

- raw clicks, ``pk = C#<code>``, ``sk = <click id>`` (ids sort by time, so "most recent
  first" is a reversed Query), expiring through the ``ttl`` attribute;
- aggregates, ``pk = A#<code>``, ``sk = <dim>#<key>``, count ``n``. User agents and
  referers (unbounded) also carry ``gpk = <code>#<dim>`` so the GSI ``top`` (``gpk``,
  ``n``) answers "top 5 user agents" with one Query; days are read in ``sk`` order.
- the summary row ``sk = total#``: the total in ``n``, bots in ``bots``, and the
  dimensions with few keys (browser, OS, device) as one attribute per key
  (``browser#Chrome``...), so a click bumps one summary item for all of them.

``record`` writes a batch in one ``TransactWriteItems`` per (at most 100-action) chunk:
a conditional put (``attribute_not_exists``) for each click plus one ``ADD`` per
distinct aggregate item of the chunk (summary, user agent, referer, day). If DynamoDB
cancels it because some clicks were already recorded (a redelivery), those clicks are
dropped and the rest retried: each click counts once, and a batch costs one write per
click plus one per distinct aggregate item, at most 5 items per click instead of the 8
counters (total, bots, user agent, referer, browser, OS, device, day) it bumps.
"""

from __future__ import annotations

import hashlib
import math
import random
import time
from collections import Counter as Tally
from collections.abc import Iterable, Sequence
from typing import Any

from linkpulse.backends.aws.clients import THROTTLED, LazyClient, error_code, translated
from linkpulse.core.models import Analytics, Click, ClickEvent, Count

TOP_DIMENSIONS = ("ua", "ref")
"""Unbounded dimensions: one item per key, ranked by the GSI ``top``."""
SUMMARY_DIMENSIONS = ("browser", "os", "device")
"""Dimensions with few keys: attributes of the summary item."""
DAYS_SHOWN = 366
MAX_ACTIONS = 100
"""DynamoDB's limit on actions in one transaction."""
MAX_SORT_KEY_BYTES = 1024
CONFLICT_ATTEMPTS = 8
RETRYABLE_REASONS = frozenset({"TransactionConflict", "ThrottlingError",
                               "ProvisionedThroughputExceeded", "RequestLimitExceeded"})
"""Cancellation reasons after which the same transaction may succeed."""
TOTAL_SK = "total#"

CounterKey = tuple[str, str, str]
"""(code, dimension, key) of one aggregate item; the summary is (code, "total", "")."""


def counter_keys(click: Click) -> list[CounterKey]:
    """The aggregate items one click bumps."""
    e = click.event
    return [
        (e.code, "total", ""),
        (e.code, "ua", e.user_agent),
        (e.code, "ref", e.referer),
        (e.code, "day", click.day),
    ]


def aggregate_sk(dim: str, key: str) -> str:
    sk = f"{dim}#{key}"
    if len(sk.encode()) > MAX_SORT_KEY_BYTES:  # the key is kept whole in attribute "k"
        sk = f"{dim}#~{hashlib.sha256(key.encode()).hexdigest()}"
    return sk


class DynamoAnalyticsStore:
    """``AnalyticsStore`` on the ``clicks`` table (see the module docstring)."""

    def __init__(self, table: str, client: Any = None, *, retention_days: int = 90,
                 endpoint_url: str = "", region: str = "us-east-1") -> None:
        from linkpulse.backends.aws.clients import make_client

        self.table = table
        self.retention_seconds = retention_days * 86_400
        self._client = LazyClient(client, lambda: make_client("dynamodb", endpoint_url, region))
        self.write_units = 0.0
        """Write capacity consumed by ``record`` so far, as DynamoDB reports it (or as
        its pricing rule computes it when the endpoint reports none, like moto)."""
        self.transactions = 0

    @property
    def client(self) -> Any:
        return self._client.get()

    # --- writing
    def record(self, clicks: Sequence[Click]) -> int:
        unique = list({c.event.click_id: c for c in reversed(clicks)}.values())[::-1]
        return sum(self._record_chunk(chunk) for chunk in _chunks(unique))

    def _record_chunk(self, clicks: list[Click]) -> int:
        from botocore.exceptions import ClientError

        pending = clicks
        conflicts = 0
        while pending:
            actions = self._actions(pending)
            with translated("recording clicks"):
                try:
                    response = self.client.transact_write_items(
                        TransactItems=actions, ReturnConsumedCapacity="TOTAL")
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
            self.write_units += _units(response, actions)
            return len(pending)
        return 0

    def _actions(self, clicks: list[Click]) -> list[dict[str, Any]]:
        puts = [{"Put": {
            "TableName": self.table,
            "Item": self._click_item(click),
            "ConditionExpression": "attribute_not_exists(pk)",
        }} for click in clicks]
        tally: Tally[CounterKey] = Tally()
        summary: dict[str, Tally[str]] = {}
        for click in clicks:
            tally.update(counter_keys(click))
            attrs = summary.setdefault(click.event.code, Tally())
            attrs.update(f"{dim}#{getattr(click, dim)}" for dim in SUMMARY_DIMENSIONS)
            attrs["bots"] += click.is_bot
        updates = [self._counter_update(key, n, summary[key[0]]) for key, n in tally.items()]
        return puts + updates

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

    def _counter_update(self, key: CounterKey, n: int, summary: Tally[str]) -> dict[str, Any]:
        code, dim, value = key
        values: dict[str, Any] = {":n": {"N": str(n)}}
        names = {"#n": "n"}
        if dim == "total":
            adds = ["#n :n"]
            for i, (attr, count) in enumerate(sorted(summary.items())):
                names[f"#a{i}"], values[f":a{i}"] = attr, {"N": str(count)}
                adds.append(f"#a{i} :a{i}")
            expression = "ADD " + ", ".join(adds)
        else:
            expression = "ADD #n :n SET k = :k"
            values[":k"] = {"S": value}
            if dim in TOP_DIMENSIONS:
                expression += ", gpk = :g"
                values[":g"] = {"S": f"{code}#{dim}"}
        return {"Update": {
            "TableName": self.table,
            "Key": {"pk": {"S": f"A#{code}"},
                    "sk": {"S": TOTAL_SK if dim == "total" else aggregate_sk(dim, value)}},
            "UpdateExpression": expression,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }}

    # --- reading
    def analytics(self, code: str, top: int = 5, recent: int = 10) -> Analytics:
        with translated(f"reading analytics of {code!r}"):
            totals = self._query(KeyConditionExpression="pk = :pk AND sk = :sk",
                                 ExpressionAttributeValues={":pk": {"S": f"A#{code}"},
                                                            ":sk": {"S": TOTAL_SK}})
            tops = {dim: self._top(f"{code}#{dim}", top) for dim in TOP_DIMENSIONS}
            days = self._query(
                KeyConditionExpression="pk = :pk AND begins_with(sk, :day)",
                ExpressionAttributeValues={":pk": {"S": f"A#{code}"}, ":day": {"S": "day#"}},
                ScanIndexForward=False, Limit=DAYS_SHOWN,
            )
            clicks = self._query(
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": {"S": f"C#{code}"}},
                ScanIndexForward=False, Limit=recent,
            ) if recent > 0 else []
        total = totals[0] if totals else {}
        small = {dim: _ranked((Count(name.partition("#")[2], int(v["N"]))
                               for name, v in total.items() if name.startswith(f"{dim}#")),
                              top)
                 for dim in SUMMARY_DIMENSIONS}
        return Analytics(
            total=int(total.get("n", {"N": "0"})["N"]),
            bots=int(total.get("bots", {"N": "0"})["N"]),
            user_agents=tops["ua"],
            referers=tops["ref"],
            browsers=small["browser"],
            os=small["os"],
            devices=small["device"],
            days=tuple(_count(item) for item in reversed(days)),
            recent=tuple(_click(code, item) for item in clicks),
        )

    def totals(self, codes: Sequence[str]) -> dict[str, tuple[int, int]]:
        """The summary items of ``codes``, 100 per ``BatchGetItem``."""
        out: dict[str, tuple[int, int]] = {}
        with translated("reading click totals"):
            for start in range(0, len(codes), 100):
                keys = [{"pk": {"S": f"A#{c}"}, "sk": {"S": TOTAL_SK}}
                        for c in dict.fromkeys(codes[start:start + 100])]
                request: dict[str, Any] = {self.table: {"Keys": keys}}
                while request:
                    answer = self.client.batch_get_item(RequestItems=request)
                    for item in answer["Responses"].get(self.table, []):
                        out[item["pk"]["S"][2:]] = (int(item.get("n", {"N": "0"})["N"]),
                                                    int(item.get("bots", {"N": "0"})["N"]))
                    request = answer.get("UnprocessedKeys") or {}
        return out

    def _top(self, gpk: str, top: int) -> tuple[Count, ...]:
        """Top ``top`` keys by count, ties broken by key (like the SQLite store).

        The GSI orders by ``n`` only; when the page is full, the keys tied with its last
        count are read too, so the cut at ``top`` is by (count desc, key)."""
        if top <= 0:
            return ()
        index = {"IndexName": "top", "ExpressionAttributeValues": {":g": {"S": gpk}}}
        items = self._query(KeyConditionExpression="gpk = :g", ScanIndexForward=False,
                            Limit=top, **index)
        if len(items) == top:
            last = items[-1]["n"]
            items = [i for i in items if i["n"] != last] + self._query(
                KeyConditionExpression="gpk = :g AND #n = :n", Limit=1000,
                ExpressionAttributeNames={"#n": "n"}, IndexName="top",
                ExpressionAttributeValues={":g": {"S": gpk}, ":n": last})
        return _ranked((_count(i) for i in items), top)

    def _query(self, **kwargs: Any) -> list[dict[str, Any]]:
        return list(self.client.query(TableName=self.table, **kwargs).get("Items", []))


def _ranked(counts: Iterable[Count], top: int) -> tuple[Count, ...]:
    """Top ``top`` by count, ties by key (the SQLite store's order)."""
    return tuple(sorted(counts, key=lambda c: (-c.count, c.key))[:max(top, 0)])


def _chunks(clicks: Iterable[Click]) -> Iterable[list[Click]]:
    """Split so each transaction has at most ``MAX_ACTIONS`` actions: one put per click
    plus one update per distinct counter."""
    chunk: list[Click] = []
    keys: set[CounterKey] = set()
    for click in clicks:
        new = set(counter_keys(click)) - keys
        if chunk and len(chunk) + 1 + len(keys) + len(new) > MAX_ACTIONS:
            yield chunk
            chunk, keys = [], set()
            new = set(counter_keys(click))
        chunk.append(click)
        keys |= new
    if chunk:
        yield chunk


def _units(response: dict[str, Any], actions: list[dict[str, Any]]) -> float:
    reported = response.get("ConsumedCapacity") or []
    if reported:
        return float(sum(c.get("CapacityUnits", 0.0) for c in reported))
    # DynamoDB's rule: a transactional write costs 2 WCU per item per started KB.
    return float(sum(2 * math.ceil(max(_size(a), 1) / 1024) for a in actions))


def _size(action: dict[str, Any]) -> int:
    body = action.get("Put") or action.get("Update") or {}
    attrs = dict(body.get("Item") or {})
    attrs.update(body.get("Key") or {})
    for name, value in (body.get("ExpressionAttributeValues") or {}).items():
        attrs[name.lstrip(":")] = value
    return sum(len(k.encode()) + sum(len(str(v).encode()) for v in val.values())
               for k, val in attrs.items())


def _count(item: dict[str, Any]) -> Count:
    """An aggregate item as a count. DynamoDB applies an update atomically; an emulator
    may show an item between its creation and its ``ADD``, which reads as zero."""
    key = item["k"]["S"] if "k" in item else item["sk"]["S"].partition("#")[2]
    return Count(key, int(item["n"]["N"]) if "n" in item else 0)


def _click(code: str, item: dict[str, Any]) -> Click:
    event = ClickEvent(
        click_id=item["sk"]["S"], code=code, timestamp=float(item["ts"]["N"]),
        user_agent=item["ua"]["S"], referer=item["ref"]["S"], ip=item["ip"]["S"],
    )
    return Click(event, item["browser"]["S"], item["os"]["S"], item["device"]["S"],
                 item["bot"]["BOOL"], item["day"]["S"])
