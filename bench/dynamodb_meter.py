"""Write request units of DynamoDB calls, by DynamoDB's billing rules, on any endpoint.

moto reports no consumed capacity for transactions, so the meter works the units out the
way DynamoDB bills them: a write costs one unit per started KB of the item, the larger
of its size before and after the write (at least one unit); a transactional write
costs twice that. Sizes come from reading each written item before and after the call
with a second client (strongly consistent ``GetItem``), item sizes by DynamoDB's rules
(names and values in UTF-8, numbers 1 byte per 2 significant digits + 1).

A transaction DynamoDB cancels (a failed condition) is counted apart, at the units its
items would have cost: what the service bills for it is not written down precisely,
so the table shows it instead of folding it in.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

KB = 1024
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}


def value_size(value: dict[str, Any]) -> int:
    """Bytes of one attribute value (``{"S": ...}``, ``{"N": ...}``...)."""
    [(kind, v)] = value.items()
    if kind == "S":
        return len(v.encode())
    if kind == "N":
        digits = v.lstrip("-").replace(".", "").strip("0") or "0"
        return math.ceil(len(digits) / 2) + 1
    if kind == "B":
        return len(v)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind in ("SS", "NS", "BS"):
        return sum(value_size({kind[0]: x}) for x in v)
    if kind == "L":
        return 3 + sum(1 + value_size(x) for x in v)
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + value_size(x) for k, x in v.items())
    raise ValueError(f"unknown attribute type {kind}")


def item_size(item: dict[str, Any] | None) -> int:
    if not item:
        return 0
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


class WriteMeter:
    """Counts the write units of the calls a DynamoDB client makes, per ``role``."""

    def __init__(self, reader: Any, keys: dict[str, tuple[str, ...]]) -> None:
        self.reader = reader
        """A client of the same endpoint that is not metered (reads sizes)."""
        self.keys = keys
        """Key attribute names of each table."""
        self.role = ""
        self.wru: defaultdict[str, float] = defaultdict(float)
        self.cancelled: defaultdict[str, float] = defaultdict(float)
        self.calls: defaultdict[str, int] = defaultdict(int)
        self._pending: list[tuple[str, dict[str, Any], int, int]] = []

    def attach(self, client: Any) -> None:
        client.meta.events.register("provide-client-params.dynamodb.*", self._before)
        client.meta.events.register("after-call.dynamodb.*", self._after)

    def _targets(self, operation: str, params: dict[str, Any]
                 ) -> Iterator[tuple[str, dict[str, Any], int]]:
        """(table, key, multiplier) of every item a write touches."""
        def key_of(table: str, item: dict[str, Any]) -> dict[str, Any]:
            return {k: item[k] for k in self.keys[table]}

        if operation == "TransactWriteItems":
            for action in params["TransactItems"]:
                [(kind, body)] = action.items()
                item = body["Item"] if kind == "Put" else body["Key"]
                yield body["TableName"], key_of(body["TableName"], item), 2
        elif operation == "BatchWriteItem":
            for table, requests in params["RequestItems"].items():
                for request in requests:
                    [(kind, body)] = request.items()
                    item = body["Item"] if kind == "PutRequest" else body["Key"]
                    yield table, key_of(table, item), 1
        else:
            table = params["TableName"]
            yield table, key_of(table, params.get("Item") or params["Key"]), 1

    def _sizes(self, targets: list[tuple[str, dict[str, Any], int]]) -> list[int]:
        """Sizes of the items at ``targets`` now (0: absent), read 100 at a time."""
        def ident(table: str, key: dict[str, Any]) -> str:
            return table + json.dumps(key, sort_keys=True)

        found: dict[str, int] = {}
        for start in range(0, len(targets), 100):
            wanted: dict[str, list[dict[str, Any]]] = defaultdict(list)
            for table, key, _ in targets[start:start + 100]:
                wanted[table].append(key)
            request = {t: {"Keys": keys, "ConsistentRead": True} for t, keys in wanted.items()}
            while request:
                got = self.reader.batch_get_item(RequestItems=request)
                for table, items in got.get("Responses", {}).items():
                    for item in items:
                        key = {k: item[k] for k in self.keys[table]}
                        found[ident(table, key)] = item_size(item)
                request = got.get("UnprocessedKeys") or {}
        return [found.get(ident(t, k), 0) for t, k, _ in targets]

    def _before(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name not in WRITES:
            return
        targets = list(self._targets(model.name, params))
        self._pending = [(t, k, times, size) for (t, k, times), size
                         in zip(targets, self._sizes(targets), strict=True)]

    def _after(self, http_response: Any, parsed: dict[str, Any], model: Any,
               **_: Any) -> None:
        if model.name not in WRITES:
            return
        pending, self._pending = self._pending, []
        failed = "Error" in parsed and parsed["Error"].get("Code")
        afters = ([before for *_, before in pending] if failed
                  else self._sizes([(t, k, times) for t, k, times, _ in pending]))
        units = 0
        for (_, _, times, before), after in zip(pending, afters, strict=True):
            units += times * max(1, math.ceil(max(before, after) / KB))
        self.calls[self.role] += 1
        (self.cancelled if failed else self.wru)[self.role] += units
