"""Links in DynamoDB: one item per code, created with a conditional ``PutItem``."""

from __future__ import annotations

from typing import Any

from linkpulse.backends.aws.clients import LazyClient, error_code, translated
from linkpulse.core.errors import CodeTaken
from linkpulse.core.models import Link


def link_item(link: Link) -> dict[str, Any]:
    item: dict[str, Any] = {
        "code": {"S": link.code},
        "url": {"S": link.url},
        "location": {"S": link.location},
        "created_at": {"N": str(link.created_at)},
    }
    if link.expires_at is not None:
        item["expires_at"] = {"N": str(link.expires_at)}
        item["ttl"] = {"N": str(link.expires_at)}  # DynamoDB deletes it some time later
    return item


def item_link(item: dict[str, Any]) -> Link:
    expires = item.get("expires_at")
    return Link(
        code=item["code"]["S"],
        url=item["url"]["S"],
        location=item["location"]["S"],
        created_at=int(item["created_at"]["N"]),
        expires_at=int(expires["N"]) if expires else None,
    )


class DynamoLinkStore:
    """``LinkStore`` on a DynamoDB table with hash key ``code``.

    ``get`` reads eventually consistent first (half the cost, and what almost every
    redirect needs) and retries only a miss with a strongly consistent read, so a link
    read right after its creation is found.
    """

    def __init__(self, table: str, client: Any = None, *, endpoint_url: str = "",
                 region: str = "us-east-1") -> None:
        from linkpulse.backends.aws.clients import make_client

        self.table = table
        self._client = LazyClient(client, lambda: make_client("dynamodb", endpoint_url, region))

    @property
    def client(self) -> Any:
        return self._client.get()

    def create_if_absent(self, link: Link) -> None:
        from botocore.exceptions import ClientError

        with translated(f"creating link {link.code!r}"):
            try:
                self.client.put_item(
                    TableName=self.table, Item=link_item(link),
                    ConditionExpression="attribute_not_exists(code)",
                )
            except ClientError as exc:
                if error_code(exc) == "ConditionalCheckFailedException":
                    raise CodeTaken(link.code) from exc
                raise

    def get(self, code: str) -> Link | None:
        with translated(f"reading link {code!r}"):
            for consistent in (False, True):
                item = self.client.get_item(
                    TableName=self.table, Key={"code": {"S": code}}, ConsistentRead=consistent,
                ).get("Item")
                if item is not None:
                    return item_link(item)
        return None
