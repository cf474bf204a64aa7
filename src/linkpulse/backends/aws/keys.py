"""API keys in DynamoDB, in the links table (no code can contain ``#``):

- ``key#<id>``: one item per key (its hash, scopes, dates), read on every authenticated
  request with one strongly consistent ``GetItem``, so a revocation holds at once;
- ``keys#``: the directory, a map of name -> id, for listing keys and for unique names
  (a new key and its name are written in one transaction).
"""

from __future__ import annotations

from typing import Any

from linkpulse.backends.aws.clients import DynamoTable, error_code, translated
from linkpulse.core.errors import KeyNameTaken
from linkpulse.core.models import ApiKey

DIRECTORY = "keys#"


def _item(key: ApiKey) -> dict[str, Any]:
    item: dict[str, Any] = {"code": {"S": f"key#{key.id}"}, "name": {"S": key.name},
                            "hash": {"S": key.hash}, "scopes": {"SS": sorted(key.scopes)},
                            "created_at": {"N": str(key.created_at)}}
    for field in ("expires_at", "revoked_at", "last_used_at"):
        value = getattr(key, field)
        if value is not None:
            item[field] = {"N": str(value)}
    return item


def _key(item: dict[str, Any]) -> ApiKey:
    def number(field: str) -> int | None:
        return int(item[field]["N"]) if field in item else None

    return ApiKey(item["code"]["S"].removeprefix("key#"), item["name"]["S"], item["hash"]["S"],
                  frozenset(item["scopes"]["SS"]), int(item["created_at"]["N"]),
                  number("expires_at"), number("revoked_at"), number("last_used_at"))


class DynamoKeyStore(DynamoTable):
    def add_key(self, key: ApiKey) -> None:
        from botocore.exceptions import ClientError

        with translated(f"creating key {key.name!r}"):
            self._create_directory()
            try:
                self.client.transact_write_items(TransactItems=[
                    {"Update": {
                        "TableName": self.table, "Key": {"code": {"S": DIRECTORY}},
                        "UpdateExpression": "SET #names.#name = :id",
                        "ConditionExpression": "attribute_not_exists(#names.#name)",
                        "ExpressionAttributeNames": {"#names": "names", "#name": key.name},
                        "ExpressionAttributeValues": {":id": {"S": key.id}}}},
                    {"Put": {"TableName": self.table, "Item": _item(key),
                             "ConditionExpression": "attribute_not_exists(code)"}},
                ])
            except ClientError as exc:
                if error_code(exc) != "TransactionCanceledException":
                    raise
                raise KeyNameTaken(f"an API key named {key.name!r} exists already") from exc

    def _create_directory(self) -> None:
        from botocore.exceptions import ClientError

        try:
            self.client.put_item(TableName=self.table,
                                 Item={"code": {"S": DIRECTORY}, "names": {"M": {}}},
                                 ConditionExpression="attribute_not_exists(code)")
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise

    def _directory(self) -> dict[str, str]:
        item = self.client.get_item(TableName=self.table, Key={"code": {"S": DIRECTORY}},
                                    ConsistentRead=True).get("Item")
        names = (item or {}).get("names", {}).get("M", {})
        return {name: v["S"] for name, v in names.items()}

    def get_key(self, key_id: str) -> ApiKey | None:
        with translated("reading an API key"):
            item = self.client.get_item(TableName=self.table,
                                        Key={"code": {"S": f"key#{key_id}"}},
                                        ConsistentRead=True).get("Item")
        return None if item is None else _key(item)

    def list_keys(self) -> list[ApiKey]:
        with translated("listing API keys"):
            ids = list(self._directory().values())
            items: list[dict[str, Any]] = []
            for start in range(0, len(ids), 100):
                request = {self.table: {"Keys": [{"code": {"S": f"key#{i}"}}
                                                 for i in ids[start:start + 100]],
                                        "ConsistentRead": True}}
                while request:
                    answer = self.client.batch_get_item(RequestItems=request)
                    items += answer["Responses"].get(self.table, [])
                    request = answer.get("UnprocessedKeys") or {}
        return sorted((_key(i) for i in items), key=lambda k: (k.created_at, k.name))

    def revoke_key(self, name: str, now: int) -> ApiKey | None:
        from botocore.exceptions import ClientError

        with translated(f"revoking key {name!r}"):
            key_id = self._directory().get(name)
            if key_id is None:
                return None
            try:
                item = self.client.update_item(
                    TableName=self.table, Key={"code": {"S": f"key#{key_id}"}},
                    UpdateExpression="SET revoked_at = :now",
                    ConditionExpression="attribute_exists(code) AND "
                                        "attribute_not_exists(revoked_at)",
                    ExpressionAttributeValues={":now": {"N": str(now)}},
                    ReturnValues="ALL_NEW")["Attributes"]
            except ClientError as exc:
                if error_code(exc) == "ConditionalCheckFailedException":
                    return None
                raise
        return _key(item)

    def touch_key(self, key_id: str, now: int) -> None:
        with translated("noting an API key's use"):
            self.client.update_item(
                TableName=self.table, Key={"code": {"S": f"key#{key_id}"}},
                UpdateExpression="SET last_used_at = :now",
                ConditionExpression="attribute_exists(code)",
                ExpressionAttributeValues={":now": {"N": str(now)}})
