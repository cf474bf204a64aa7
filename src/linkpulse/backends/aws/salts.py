"""The visitor salt on DynamoDB: one item of the links table, overwritten each day.

Its key, ``!visitor-salt``, can never be a short code. A process reads it once per day
(a strongly consistent ``GetItem``); the first process of a new day replaces it with a
conditional ``PutItem`` (only over an older day's salt), so concurrent first clicks of a
day agree on one salt and the previous one is gone."""

from __future__ import annotations

from linkpulse.backends.aws.clients import DynamoTable, error_code, translated

KEY = {"code": {"S": "!visitor-salt"}}


class DynamoSaltStore(DynamoTable):
    def _stored(self) -> tuple[int, bytes] | None:
        with translated("reading the visitor salt"):
            item = self.client.get_item(TableName=self.table, Key=KEY,
                                        ConsistentRead=True).get("Item")
        return (int(item["day"]["N"]), bytes(item["salt"]["B"])) if item else None

    def day_salt(self, day: int, fresh: bytes) -> bytes | None:
        from botocore.exceptions import ClientError

        stored = self._stored()
        if stored is None or stored[0] < day:
            with translated("storing the visitor salt"):
                try:
                    self.client.put_item(
                        TableName=self.table,
                        Item={**KEY, "day": {"N": str(day)}, "salt": {"B": fresh}},
                        ConditionExpression="attribute_not_exists(code) OR #d < :d",
                        ExpressionAttributeNames={"#d": "day"},
                        ExpressionAttributeValues={":d": {"N": str(day)}})
                    return fresh
                except ClientError as exc:
                    if error_code(exc) != "ConditionalCheckFailedException":
                        raise
            stored = self._stored()  # another process stored this day's (or a later) salt
        return stored[1] if stored is not None and stored[0] == day else None
