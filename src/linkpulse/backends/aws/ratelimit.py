"""Rate-limit state on DynamoDB, shared by every Lambda container and ``serve`` worker:
one item of the links table per client, ``code = "rate#<key>"`` (no short code holds a
``#``), holding its GCRA theoretical arrival time ``tat`` (:mod:`linkpulse.core.ratelimit`).

No read-modify-write race: each step is one conditional ``UpdateItem`` that DynamoDB
applies atomically, so concurrent requests are serialised on the item.

1. An idle or new client (``tat <= now``): ``SET tat = now + interval``.
2. A client within its burst (``now < tat <= now + period - interval``):
   ``SET tat = tat + interval``.
3. Neither: refused. A consistent ``GetItem`` reads the TAT for ``Retry-After``.

Threads of one process take their turn per client (a fixed set of striped locks, so
nothing grows with clients) instead of racing each other to DynamoDB, where a failed
conditional write still costs a write unit. Processes and containers are serialised by
DynamoDB itself. (moto, the emulator the tests use, does not serialise concurrent
conditional writes to one item; the stripes keep its races out of one process.)

Every write also sets ``ttl`` to the moment the item stops mattering (its TAT can be no
later than ``now + period``), and the table's TTL deletes it: stale clients cost nothing.
The items carry no ``url``, so listings and exports, which filter on it, never see them.
"""

from __future__ import annotations

import math
import threading
import zlib
from typing import Any

from linkpulse.backends.aws.clients import DynamoTable, error_code, translated
from linkpulse.core.ratelimit import Rate, gcra

PREFIX = "rate#"
ATTEMPTS = 4
"""Rounds of the three steps (a TTL deletion between two of them starts a new round)."""
_NAMES = {"#tat": "tat", "#ttl": "ttl"}  # TTL is a DynamoDB reserved word
_STRIPES = tuple(threading.Lock() for _ in range(64))


def _n(value: float) -> dict[str, str]:
    return {"N": repr(float(value))}


class DynamoRateStore(DynamoTable):
    def acquire(self, key: str, rate: Rate, now: float) -> float:
        with _STRIPES[zlib.crc32(key.encode()) % len(_STRIPES)]:
            return self._acquire(key, rate, now)

    def _acquire(self, key: str, rate: Rate, now: float) -> float:
        item_key = {"code": {"S": PREFIX + key}}
        expires = {":ttl": {"N": str(math.ceil(now + rate.period) + 1)}}
        for _ in range(ATTEMPTS):
            if self._update(item_key, "SET #tat = :fresh, #ttl = :ttl",
                            "attribute_not_exists(#tat) OR #tat <= :now",
                            {":fresh": _n(now + rate.interval), ":now": _n(now), **expires}):
                return 0.0
            # 1e-9: the same slack as gcra(), for float arithmetic at the burst's edge
            if self._update(item_key, "SET #tat = #tat + :interval, #ttl = :ttl",
                            "#tat > :now AND #tat <= :last",
                            {":interval": _n(rate.interval), ":now": _n(now),
                             ":last": _n(now + rate.period - rate.interval + 1e-9),
                             **expires}):
                return 0.0
            tat = self._tat(item_key)
            if tat is not None and tat > now:
                _, retry_after = gcra(tat, now, rate)
                if retry_after > 0:
                    return retry_after
        return rate.interval  # the item kept changing under us: a busy client, refused

    def _update(self, item_key: dict[str, Any], expression: str, condition: str,
                values: dict[str, Any]) -> bool:
        from botocore.exceptions import ClientError

        with translated("counting a rate limit"):
            try:
                self.client.update_item(
                    TableName=self.table, Key=item_key, UpdateExpression=expression,
                    ConditionExpression=condition, ExpressionAttributeNames=_NAMES,
                    ExpressionAttributeValues=values)
            except ClientError as exc:
                if error_code(exc) == "ConditionalCheckFailedException":
                    return False
                raise
        return True

    def _tat(self, item_key: dict[str, Any]) -> float | None:
        with translated("reading a rate limit"):
            item = self.client.get_item(TableName=self.table, Key=item_key,
                                        ConsistentRead=True,
                                        ProjectionExpression="#tat",
                                        ExpressionAttributeNames={"#tat": "tat"}).get("Item")
        return float(item["tat"]["N"]) if item and "tat" in item else None
