"""Links in DynamoDB: one item per code, created with a conditional ``PutItem``.

A link made with a key carries its ``owner``; the sparse index ``by_owner`` (owner,
created_at) lists a key's links newest first, one ``Query`` page at a time. An admin's
listing of every link is a ``Scan`` sorted here: fine for thousands of links.
"""

from __future__ import annotations

from typing import Any

from linkpulse.backends.aws.clients import DynamoTable, error_code, translated
from linkpulse.core.errors import CodeTaken
from linkpulse.core.models import Link, LinkQuery

OWNER_INDEX = "by_owner"


def link_item(link: Link) -> dict[str, Any]:
    item: dict[str, Any] = {
        "code": {"S": link.code},
        "url": {"S": link.url},
        "location": {"S": link.location},
        "created_at": {"N": str(link.created_at)},
    }
    if link.expires_at is not None and not link.deleted:
        item["expires_at"] = {"N": str(link.expires_at)}
        item["ttl"] = {"N": str(link.expires_at)}  # DynamoDB deletes it some time later
    if link.owner is not None:
        item["owner"] = {"S": link.owner}
    if link.title is not None:
        item["title"] = {"S": link.title}
    if link.tags:
        item["tags"] = {"L": [{"S": t} for t in link.tags]}
    for flag in ("forward_query", "disabled", "deleted"):
        if getattr(link, flag):
            item[flag] = {"BOOL": True}
    # What `search` matches, lower-cased (DynamoDB's contains() is case-sensitive).
    item["search"] = {"S": " ".join((link.code, link.url, link.title or "")).lower()}
    return item


def item_link(item: dict[str, Any]) -> Link:
    expires = item.get("expires_at")
    return Link(
        code=item["code"]["S"],
        url=item["url"]["S"],
        location=item["location"]["S"],
        created_at=int(item["created_at"]["N"]),
        expires_at=int(expires["N"]) if expires else None,
        owner=item["owner"]["S"] if "owner" in item else None,
        title=item["title"]["S"] if "title" in item else None,
        tags=tuple(t["S"] for t in item.get("tags", {}).get("L", [])),
        forward_query="forward_query" in item and item["forward_query"]["BOOL"],
        disabled="disabled" in item and item["disabled"]["BOOL"],
        deleted="deleted" in item and item["deleted"]["BOOL"],
    )


class DynamoLinkStore(DynamoTable):
    """``LinkStore`` on a DynamoDB table with hash key ``code``.

    ``get`` reads eventually consistent first (half the cost, and what almost every
    redirect needs) and retries only a miss with a strongly consistent read, so a link
    read right after its creation is found.
    """

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

    def update(self, link: Link) -> None:
        with translated(f"updating link {link.code!r}"):
            self.client.put_item(TableName=self.table, Item=link_item(link),
                                 ConditionExpression="attribute_exists(code)")

    def query(self, query: LinkQuery) -> list[Link]:
        found = [item_link(i) for i in self._matching(query, query.limit)]
        found.sort(key=lambda link: (link.created_at, link.code), reverse=True)
        if query.after is not None:
            found = [lk for lk in found if (lk.created_at, lk.code) < query.after]
        return found[:query.limit]

    def codes(self, query: LinkQuery) -> list[str]:
        return [item["code"]["S"] for item in self._matching(query, None)]

    def _matching(self, query: LinkQuery, enough: int | None) -> list[dict[str, Any]]:
        """Live links matching the filters: one owner's through the index (newest first;
        with ``enough``, it stops once it has that many and every link created in the
        same second as the last of them), or every link, by a scan."""
        filters = ["attribute_exists(#url)", "attribute_not_exists(#deleted)"]
        values: dict[str, Any] = {}
        names: dict[str, str] = {"#url": "url", "#deleted": "deleted"}
        if query.search:
            filters.append("contains(#search, :search)")
            names["#search"] = "search"
            values[":search"] = {"S": query.search.lower()}
        if query.tag:
            filters.append("contains(#tags, :tag)")
            names["#tags"] = "tags"
            values[":tag"] = {"S": query.tag}
        created = [("#created >= :from", ":from", query.created_from),
                   ("#created <= :to", ":to", query.created_to)]
        for clause, name, value in created:
            if value is not None:
                filters.append(clause)
                names["#created"] = "created_at"
                values[name] = {"N": str(value)}
        params: dict[str, Any] = {"TableName": self.table,
                                  "FilterExpression": " AND ".join(filters)}
        if query.owner is not None:
            names["#owner"] = "owner"
            values[":owner"] = {"S": query.owner}
            condition = "#owner = :owner"
            if query.after is not None:  # the rest of the cursor is applied by query()
                condition += " AND #created <= :after"
                names["#created"] = "created_at"
                values[":after"] = {"N": str(query.after[0])}
            params.update(IndexName=OWNER_INDEX, KeyConditionExpression=condition,
                          ScanIndexForward=False)
        params["ExpressionAttributeNames"] = names
        if values:
            params["ExpressionAttributeValues"] = values
        call = self.client.query if query.owner is not None else self.client.scan
        items: list[dict[str, Any]] = []
        with translated("listing links"):
            while True:
                page = call(**params)
                items += page.get("Items", [])
                last = page.get("LastEvaluatedKey")
                if last is None or (query.owner is not None and enough is not None
                                    and _complete(items, enough)):
                    return items
                params["ExclusiveStartKey"] = last


def _complete(items: list[dict[str, Any]], enough: int) -> bool:
    """Read newest first: are the ``enough`` newest known, ties of the last one included?"""
    if len(items) <= enough:
        return False
    stamps = sorted((int(i["created_at"]["N"]) for i in items), reverse=True)
    return stamps[-1] < stamps[enough - 1]
