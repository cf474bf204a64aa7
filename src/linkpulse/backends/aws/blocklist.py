"""The operator's domain blocklist on DynamoDB: one item of the links table holding a
string set and a version number.

Its key, ``!blocklist``, can never be a short code (codes are ``[A-Za-z0-9_-]``), so no
redirect reads it by accident. Reading the version is one eventually consistent
``GetItem`` of one small attribute, which the redirect function does about once a
second while it is warm.
"""

from __future__ import annotations

from linkpulse.backends.aws.clients import DynamoTable, translated

KEY = {"code": {"S": "!blocklist"}}


class DynamoBlocklist(DynamoTable):
    def version(self) -> object:
        with translated("reading the blocklist version"):
            item = self.client.get_item(
                TableName=self.table, Key=KEY, ProjectionExpression="#v",
                ExpressionAttributeNames={"#v": "version"},
            ).get("Item")
        return int(item["version"]["N"]) if item and "version" in item else 0

    def domains(self) -> frozenset[str]:
        with translated("reading the blocklist"):
            item = self.client.get_item(TableName=self.table, Key=KEY,
                                        ConsistentRead=True).get("Item")
        return frozenset(item["domains"]["SS"]) if item and "domains" in item else frozenset()

    def add(self, domain: str) -> bool:
        return domain not in self._update("ADD #d :d, #v :one", domain)

    def remove(self, domain: str) -> bool:
        return domain in self._update("DELETE #d :d ADD #v :one", domain)

    def _update(self, expression: str, domain: str) -> frozenset[str]:
        """Apply ``expression``; return the set as it was before."""
        with translated(f"updating the blocklist ({domain})"):
            old = self.client.update_item(
                TableName=self.table, Key=KEY, UpdateExpression=expression,
                ExpressionAttributeNames={"#d": "domains", "#v": "version"},
                ExpressionAttributeValues={":d": {"SS": [domain]}, ":one": {"N": "1"}},
                ReturnValues="ALL_OLD",
            ).get("Attributes", {})
        return frozenset(old.get("domains", {}).get("SS", ()))
