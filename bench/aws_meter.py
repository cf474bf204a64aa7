"""Count what a boto3 client costs on AWS: DynamoDB read and write units, SQS requests.

``Meter.attach(client)`` registers on the client's own botocore events (``before-call``
and ``after-call``): nothing is patched, the code under test runs unchanged. Every call
is counted under ``meter.role`` (the function, or the event source mapping, making it).

moto answers ``ReturnConsumedCapacity`` with a fixed 0.5 or 1 unit per call whatever the
item, so DynamoDB's units are computed here by its documented rules
(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html
and .../CapacityUnitCalculations.html, "Item sizes and formats"):

- an item's size is the UTF-8 length of its attribute names plus its values: strings
  by UTF-8 length, numbers ~1 byte per two significant digits + 1, binary by length,
  booleans and nulls 1 byte, lists and maps 3 bytes + 1 byte per element + elements;
- a write (PutItem, UpdateItem, DeleteItem, each put of a BatchWriteItem) costs 1 unit
  per KB of the larger of the item before and after it, at least 1; twice that inside
  TransactWriteItems; a write whose condition fails still costs the unit(s) of the item
  as it is; a global secondary index costs its own writes (a put, a delete, or both when
  the item's index key changes);
- a read costs 1 unit per 4 KB, half that eventually consistent: per item for GetItem
  and BatchGetItem (a missing item still costs the minimum), on the summed size of the
  items returned for Query and Scan (at least one unit).

The sizes before and after a write come from a second client that is *not* metered:
``complete`` names the tables every write of which goes through a metered client, so an
item the meter has not seen written does not exist there (no read needed).

SQS bills every request, each 64 KB chunk of a payload as one more
(https://aws.amazon.com/sqs/pricing/).
"""

from __future__ import annotations

import json
import math
import time
from collections import Counter as Tally
from collections.abc import Iterable
from typing import Any

WRITE_UNIT = 1024
READ_UNIT = 4096
SQS_CHUNK = 65_536
ItemKey = tuple[str, tuple[str, ...]]
Item = dict[str, Any]


def number_size(text: str) -> int:
    digits = text.lstrip("-").replace(".", "").lstrip("0").rstrip("0").split("e")[0]
    digits = digits.split("E")[0]
    return 1 + math.ceil(max(len(digits), 1) / 2)


def value_size(value: dict[str, Any]) -> int:
    ((kind, v),) = value.items()
    if kind == "S":
        return len(v.encode())
    if kind == "N":
        return number_size(v)
    if kind == "B":
        return len(v) * 3 // 4 if isinstance(v, str) else len(v)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(s.encode()) for s in v)
    if kind == "NS":
        return sum(number_size(s) for s in v)
    if kind == "BS":
        return sum(len(b) for b in v)
    if kind == "L":
        return 3 + sum(1 + value_size(e) for e in v)
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + value_size(e) for k, e in v.items())
    raise ValueError(f"unknown DynamoDB type {kind}")


def item_size(item: Item | None) -> int:
    """DynamoDB's size of an item (wire format), 0 for none."""
    if not item:
        return 0
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def write_units(*sizes: int) -> int:
    return max(1, math.ceil(max(sizes) / WRITE_UNIT))


def read_units(size: int, consistent: bool) -> float:
    units = max(1, math.ceil(size / READ_UNIT))
    return float(units if consistent else units / 2)


class Meter:
    """DynamoDB units and SQS requests of the calls made by the attached clients."""

    def __init__(self, reader: Any, complete: Iterable[str] = ()) -> None:
        self.reader = reader
        self.complete = set(complete)
        self.role = "other"
        self.wru: Tally[str] = Tally()
        self.rru: Tally[str] = Tally()
        self.sqs: Tally[str] = Tally()
        self.wru_by_item: Tally[str] = Tally()
        """Write units by table and kind of item (its key's text up to a ``#``)."""
        self.calls: Tally[tuple[str, str, str]] = Tally()
        """(role, service, operation) -> calls."""
        self.items: dict[ItemKey, Item | None] = {}
        """Items as the metered writes left them (None: absent)."""
        self._schemas: dict[str, tuple[tuple[str, ...], list[tuple[str, ...]]]] = {}
        self.overhead_wall = 0.0
        self.overhead_cpu = 0.0
        """Seconds spent in the meter's own hooks (and its reads): not the caller's time."""

    def attach(self, client: Any) -> Any:
        service = client.meta.service_model.service_id.hyphenize()
        client.meta.events.register(f"before-call.{service}", self._before)
        client.meta.events.register(f"after-call.{service}", self._after)
        return client

    def settle(self) -> None:
        """Nothing is pending between calls (kept for callers that mark a boundary)."""

    # --- events
    def _before(self, model: Any, params: dict[str, Any], context: dict[str, Any],
                **_: Any) -> None:
        wall, cpu = time.perf_counter(), time.thread_time()
        try:
            self._before_call(model, params, context)
        finally:
            self.overhead_wall += time.perf_counter() - wall
            self.overhead_cpu += time.thread_time() - cpu

    def _before_call(self, model: Any, params: dict[str, Any], context: dict[str, Any]
                     ) -> None:
        body = params.get("body") or b"{}"
        request = json.loads(body) if body else {}
        context["meter_request"] = request
        if model.service_model.service_id.hyphenize() == "dynamodb":
            context["meter_before"] = self._prefetch(model.name, request)

    def _after(self, model: Any, http_response: Any, parsed: dict[str, Any],
               context: dict[str, Any], **_: Any) -> None:
        wall, cpu = time.perf_counter(), time.thread_time()
        try:
            self._after_call(model, http_response, parsed, context)
        finally:
            self.overhead_wall += time.perf_counter() - wall
            self.overhead_cpu += time.thread_time() - cpu

    def _after_call(self, model: Any, http_response: Any, parsed: dict[str, Any],
                    context: dict[str, Any]) -> None:
        service = model.service_model.service_id.hyphenize()
        request = context.get("meter_request", {})
        self.calls[(self.role, service, model.name)] += 1
        if service == "sqs":
            self.sqs[self.role] += self._sqs_requests(model.name, request)
        elif service == "dynamodb":
            ok = http_response.status_code < 400
            self._dynamodb(model.name, request, parsed, ok, context.get("meter_before", {}))

    # --- SQS
    @staticmethod
    def _sqs_requests(operation: str, request: dict[str, Any]) -> int:
        if operation == "SendMessage":
            size = len(request.get("MessageBody", "").encode()) + len(
                json.dumps(request.get("MessageAttributes", {})))
            return max(1, math.ceil(size / SQS_CHUNK))
        if operation == "SendMessageBatch":
            size = sum(len(e.get("MessageBody", "").encode()) for e in request.get("Entries", []))
            return max(1, math.ceil(size / SQS_CHUNK))
        return 1

    # --- DynamoDB: keys, schemas, states
    def _schema(self, table: str) -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
        if table not in self._schemas:
            desc = self.reader.describe_table(TableName=table)["Table"]
            keys = tuple(k["AttributeName"] for k in desc["KeySchema"])
            indexes = [tuple(k["AttributeName"] for k in gsi["KeySchema"])
                       for gsi in desc.get("GlobalSecondaryIndexes", [])]
            self._schemas[table] = keys, indexes
        return self._schemas[table]

    def _key(self, table: str, item: Item) -> ItemKey:
        keys, _ = self._schema(table)
        return table, tuple(json.dumps(item[k], sort_keys=True) for k in keys)

    def _key_item(self, table: str, item: Item) -> Item:
        keys, _ = self._schema(table)
        return {k: item[k] for k in keys}

    def _fetch(self, keys: list[tuple[str, Item]]) -> dict[ItemKey, Item | None]:
        """Items as they are now, read (consistently) by the unmetered client."""
        out: dict[ItemKey, Item | None] = {}
        pending = list({self._key(t, k): (t, k) for t, k in keys}.values())
        while pending:
            chunk, pending = pending[:100], pending[100:]
            request: dict[str, Any] = {}
            for table, key in chunk:
                request.setdefault(table, {"Keys": [], "ConsistentRead": True})["Keys"].append(key)
                out[self._key(table, key)] = None
            while request:
                response = self.reader.batch_get_item(RequestItems=request)
                for table, items in response.get("Responses", {}).items():
                    for item in items:
                        out[self._key(table, item)] = item
                request = response.get("UnprocessedKeys") or {}
        return out

    def _writes(self, operation: str, request: dict[str, Any]
                ) -> list[tuple[str, str, Item, Item | None]]:
        """(kind, table, key, item put or None) of each write a request makes."""
        if operation == "PutItem":
            table = request["TableName"]
            return [("Put", table, self._key_item(table, request["Item"]), request["Item"])]
        if operation in ("UpdateItem", "DeleteItem"):
            return [(operation[:-4], request["TableName"], request["Key"], None)]
        if operation == "BatchWriteItem":
            out: list[tuple[str, str, Item, Item | None]] = []
            for table, requests in request.get("RequestItems", {}).items():
                for r in requests:
                    if "PutRequest" in r:
                        item = r["PutRequest"]["Item"]
                        out.append(("Put", table, self._key_item(table, item), item))
                    else:
                        out.append(("Delete", table, r["DeleteRequest"]["Key"], None))
            return out
        if operation == "TransactWriteItems":
            out = []
            for action in request.get("TransactItems", []):
                ((kind, spec),) = action.items()
                table = spec["TableName"]
                if kind == "Put":
                    out.append(("Put", table, self._key_item(table, spec["Item"]), spec["Item"]))
                else:
                    out.append((kind, table, spec["Key"], None))
            return out
        return []

    def _prefetch(self, operation: str, request: dict[str, Any]) -> dict[ItemKey, Item | None]:
        """The items a write request is about to change, as they are before it."""
        before: dict[ItemKey, Item | None] = {}
        missing: list[tuple[str, Item]] = []
        for _, table, key, _ in self._writes(operation, request):
            k = self._key(table, key)
            if k in self.items:
                before[k] = self.items[k]
            elif table in self.complete:
                before[k] = None
            else:
                missing.append((table, key))
        if missing:
            before.update(self._fetch(missing))
        return before

    # --- DynamoDB: units
    def _dynamodb(self, operation: str, request: dict[str, Any], parsed: dict[str, Any],
                  ok: bool, before: dict[ItemKey, Item | None]) -> None:
        if operation in ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem",
                         "TransactWriteItems"):
            self._write(operation, request, parsed, ok, before)
        elif ok and operation in ("GetItem", "BatchGetItem", "Query", "Scan",
                                  "TransactGetItems"):
            self.rru[self.role] += self._read(operation, request, parsed)

    def _write(self, operation: str, request: dict[str, Any], parsed: dict[str, Any],
               ok: bool, before: dict[ItemKey, Item | None]) -> None:
        writes = self._writes(operation, request)
        factor = 2 if operation == "TransactWriteItems" else 1
        if operation == "BatchWriteItem":
            unprocessed = {json.dumps(r, sort_keys=True)
                           for t, rs in parsed.get("UnprocessedItems", {}).items() for r in rs}
            done = [w for w, r in zip(writes, (r for rs in request["RequestItems"].values()
                                               for r in rs), strict=True)
                    if json.dumps(r, sort_keys=True) not in unprocessed]
            writes = done
        if not ok:  # a failed condition (or a cancelled transaction) costs the item as it is
            if parsed.get("Error", {}).get("Code") in ("ConditionalCheckFailedException",
                                                      "TransactionCanceledException"):
                for _, table, key, _ in writes:
                    size = item_size(before.get(self._key(table, key)))
                    self._charge(table, key, factor * write_units(size))
            return
        updated = [(t, k) for kind, t, k, _ in writes if kind == "Update"]
        after_updates = self._fetch(updated) if updated else {}
        for kind, table, key, item in writes:
            k = self._key(table, key)
            old = before.get(k)
            new = item if kind == "Put" else after_updates.get(k) if kind == "Update" else None
            if kind == "ConditionCheck":
                new = old
            self._charge(table, key, factor * write_units(item_size(old), item_size(new))
                         + self._index_units(table, old, new))
            if kind != "ConditionCheck":
                self.items[k] = new

    def _charge(self, table: str, key: Item, units: int) -> None:
        self.wru[self.role] += units
        first = next(iter(key.values()))
        text = first.get("S", "") if isinstance(first, dict) else ""
        kind = text.split("#", 1)[0] if "#" in text else "item"
        self.wru_by_item[f"{table} {kind}"] += units

    def _index_units(self, table: str, old: Item | None, new: Item | None) -> int:
        units = 0
        for index_keys in self._schema(table)[1]:
            had = old is not None and all(a in old for a in index_keys)
            has = new is not None and all(a in new for a in index_keys)
            if had and has and all(old[a] == new[a] for a in index_keys):  # type: ignore[index]
                units += write_units(item_size(old), item_size(new)) if old != new else 0
                continue
            if had:
                units += write_units(item_size(old))
            if has:
                units += write_units(item_size(new))
        return units

    def _full_size(self, table: str, item: Item) -> int:
        """A returned item's size; with a projection, the whole item's if it is known."""
        try:
            full = self.items.get(self._key(table, item))
        except KeyError:
            full = None
        return item_size(full) if full else item_size(item)

    def _read(self, operation: str, request: dict[str, Any], parsed: dict[str, Any]) -> float:
        if operation == "GetItem":
            table = request["TableName"]
            item = parsed.get("Item")
            size = self._full_size(table, item) if item else 0
            return read_units(size, bool(request.get("ConsistentRead")))
        if operation == "BatchGetItem":
            units = 0.0
            for table, spec in request.get("RequestItems", {}).items():
                consistent = bool(spec.get("ConsistentRead"))
                got = parsed.get("Responses", {}).get(table, [])
                left = len(parsed.get("UnprocessedKeys", {}).get(table, {}).get("Keys", []))
                units += sum(read_units(self._full_size(table, i), consistent) for i in got)
                units += (len(spec["Keys"]) - len(got) - left) * read_units(0, consistent)
            return units
        if operation in ("Query", "Scan"):
            table = request["TableName"]
            size = sum(self._full_size(table, i) for i in parsed.get("Items", []))
            return read_units(size, bool(request.get("ConsistentRead")))
        if operation == "TransactGetItems":
            return sum(2 * read_units(item_size(r.get("Item")), True)
                       for r in parsed.get("Responses", []))
        return 0.0

    # --- totals
    def total_wru(self) -> float:
        return float(sum(self.wru.values()))

    def total_rru(self) -> float:
        return float(sum(self.rru.values()))

    def total_sqs(self) -> int:
        return sum(self.sqs.values())
