"""Link management use cases: read, list, edit and delete links a caller owns."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from linkpulse.core import codes
from linkpulse.core.errors import InvalidInput, LinkNotFound
from linkpulse.core.keys import Principal
from linkpulse.core.models import Link, LinkQuery
from linkpulse.core.ports import AnalyticsStore, ManagedLinkStore
from linkpulse.core.service import validate_expiry
from linkpulse.core.urls import validate_url

MAX_TITLE = 200
MAX_TAGS = 20
_TAG = re.compile(r"[\w:.\- ]{1,40}")
MAX_PAGE = 200
ORDERS = ("created", "clicks", "human_clicks")
EDITABLE = frozenset({"url", "title", "tags", "expires_at", "disabled", "forward_query"})


def validate_title(title: object) -> str | None:
    if title is None:
        return None
    if not isinstance(title, str) or len(title) > MAX_TITLE:
        raise InvalidInput(f"'title' must be a string of at most {MAX_TITLE} characters")
    return title


def validate_tags(tags: object) -> tuple[str, ...]:
    if tags is None:
        return ()
    if (not isinstance(tags, list) or len(tags) > MAX_TAGS
            or not all(isinstance(t, str) and _TAG.fullmatch(t) for t in tags)):
        raise InvalidInput(f"'tags' must be a list of at most {MAX_TAGS} strings of 1-40 "
                           "letters, digits, spaces or _ : . -")
    return tuple(dict.fromkeys(tags))  # unique, in the given order


def validate_flag(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(f"'{name}' must be true or false")
    return value


def visible(store: ManagedLinkStore, who: Principal, code: str) -> Link:
    """The caller's live link ``code``; another key's link is "not found", never
    confirmed to exist."""
    link = store.get(code) if codes.could_exist(code) else None
    if link is None or link.deleted or not who.sees(link.owner):
        raise LinkNotFound(code)
    return link


def update(store: ManagedLinkStore, who: Principal, code: str, changes: Mapping[str, Any],
           now: int) -> Link:
    """Apply a PATCH: only the fields in ``changes``, each validated, or nothing."""
    unknown = set(changes) - EDITABLE
    if unknown:
        raise InvalidInput(f"field(s) cannot be changed: {', '.join(sorted(unknown))}; "
                           f"editable: {', '.join(sorted(EDITABLE))}")
    if not changes:
        raise InvalidInput("nothing to change")
    link = visible(store, who, code)
    fields: dict[str, Any] = {}
    if "url" in changes:
        fields["url"], fields["location"] = validate_url(changes["url"])
    if "title" in changes:
        fields["title"] = validate_title(changes["title"])
    if "tags" in changes:
        fields["tags"] = validate_tags(changes["tags"])
    if "expires_at" in changes:
        fields["expires_at"] = validate_expiry(changes["expires_at"], now)
    for flag in ("disabled", "forward_query"):
        if flag in changes:
            fields[flag] = validate_flag(flag, changes[flag])
    updated = replace(link, **fields)
    store.update(updated)
    return updated


def delete(store: ManagedLinkStore, who: Principal, code: str) -> None:
    """Leave a tombstone: the code answers 410 and is never handed out again."""
    link = visible(store, who, code)
    store.update(replace(link, url="", location="", title=None, tags=(), deleted=True))


@dataclass(frozen=True, slots=True)
class Page:
    links: list[tuple[Link, tuple[int, int]]]
    """Each link with its (total clicks, bot clicks)."""
    next: str | None


def list_links(store: ManagedLinkStore, analytics: AnalyticsStore, who: Principal,
               params: Mapping[str, str]) -> Page:
    """``GET /api/v1/links``: filter, order and paginate the caller's links."""
    order = params.get("order", "created")
    if order not in ORDERS:
        raise InvalidInput(f"'order' must be one of: {', '.join(ORDERS)}")
    limit = _int(params.get("limit", "50"), "limit", 1, MAX_PAGE)
    cursor = _decode_cursor(params["cursor"], order) if params.get("cursor") else None
    search = params.get("search") or params.get("q") or None
    if search is not None and len(search) > 200:
        raise InvalidInput("'search' is longer than 200 characters")
    tag = params.get("tag") or None
    if tag is not None:
        validate_tags([tag])
    query = LinkQuery(owner=who.owner_filter, search=search, tag=tag,
                      created_from=_opt_int(params.get("created_from"), "created_from"),
                      created_to=_opt_int(params.get("created_to"), "created_to"),
                      limit=limit + 1)
    if order == "created":
        after = (int(cursor[0]), str(cursor[1])) if cursor else None
        found = store.query(replace(query, after=after))
        page = found[:limit]
        totals = analytics.totals([link.code for link in page])
        nxt = (_encode_cursor(order, page[-1].created_at, page[-1].code)
               if len(found) > limit else None)
        return Page([(link, totals.get(link.code, (0, 0))) for link in page], nxt)
    # Orders by clicks read the totals of every matching link: fine for thousands of
    # links per key; the created order stays O(page) at any size.
    all_codes = store.codes(query)
    totals = analytics.totals(all_codes)
    human = order == "human_clicks"

    def score(code: str) -> int:
        total, bots = totals.get(code, (0, 0))
        return total - bots if human else total

    ranked = sorted(((score(c), c) for c in all_codes), key=lambda sc: (-sc[0], sc[1]))
    if cursor is not None:
        mark = (-int(cursor[0]), str(cursor[1]))
        ranked = [sc for sc in ranked if (-sc[0], sc[1]) > mark]
    chosen = ranked[:limit]
    links = [store.get(code) for _, code in chosen]
    nxt = (_encode_cursor(order, chosen[-1][0], chosen[-1][1])
           if len(ranked) > limit else None)
    return Page([(link, totals.get(link.code, (0, 0))) for link in links if link is not None],
                nxt)


def _encode_cursor(order: str, number: int, code: str) -> str:
    raw = json.dumps([order, number, code], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str, order: str) -> tuple[int, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        kind, number, code = json.loads(raw)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidInput("'cursor' is not a cursor this API returned") from exc
    if kind != order or not isinstance(number, int) or not isinstance(code, str):
        raise InvalidInput("'cursor' does not belong to this listing (order changed?)")
    return number, code


def _int(raw: str, name: str, low: int, high: int) -> int:
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise InvalidInput(f"'{name}' must be an integer from {low} to {high}")
    return int(raw)


def _opt_int(raw: str | None, name: str) -> int | None:
    return None if raw is None else _int(raw, name, 0, 10**11)
