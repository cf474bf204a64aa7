"""``python bench/moto_fast.py -H HOST -p PORT``: moto's server with cheaper transactions.

moto backs up a ``TransactWriteItems`` by deep-copying the *whole table once per action*
(100 copies of a 20,000-item table per transaction), which makes a long replay
quadratic. This server instead keeps a copy of only the items the transaction touches
and puts them back if it is cancelled: the same all-or-nothing outcome, the same
answers, in time proportional to the transaction. Nothing else changes; the tests keep
using moto unmodified (tests/aws_support.py).
"""

from __future__ import annotations

import copy
import sys
from typing import Any


def patch() -> None:
    from moto.dynamodb import models
    from moto.dynamodb.models.table import Table

    class _Copy:
        """``copy`` for moto's DynamoDB backend, except that a whole table is not copied."""

        @staticmethod
        def deepcopy(value: Any, memo: Any = None) -> Any:
            return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    models.copy = _Copy  # type: ignore[attr-defined]
    original = models.DynamoDBBackend.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        saved: list[tuple[str, dict[str, Any], dict[str, Any] | None]] = []
        for action in transact_items:
            try:
                _, op = next(iter(action.items()))
                table = self.get_table(op["TableName"])
                if "Key" in op:
                    key = op["Key"]
                else:
                    key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
                    if table.range_key_attr is not None:
                        key[table.range_key_attr] = op["Item"][table.range_key_attr]
                current = self.get_item(op["TableName"], key)
            except Exception:  # the original reports it
                continue
            saved.append((op["TableName"], key,
                          copy.deepcopy(current.to_json()["Attributes"]) if current else None))
        try:
            original(self, transact_items)
        except Exception:
            for table_name, key, attrs in reversed(saved):
                if attrs is None:
                    if self.get_item(table_name, key) is not None:
                        self.delete_item(table_name, key)
                else:
                    self.put_item(table_name, attrs)
            raise

    models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


if __name__ == "__main__":
    patch()
    from moto.server import main

    main(sys.argv[1:])
