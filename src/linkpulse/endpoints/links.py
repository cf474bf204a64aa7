"""``/api/v1/links``: create, list, read, edit and delete links (a key sees its own)."""

from __future__ import annotations

import time
from typing import Any

from linkpulse.api import HttpApi, Response, json_response
from linkpulse.core import manage, qr
from linkpulse.core.keys import Principal
from linkpulse.core.models import Link
from linkpulse.routes import Request, route

CREATE_FIELDS = frozenset({"url", "alias", "expires_at", "title", "tags", "forward_query"})
LIST_QUERY = ("search", "tag", "created_from", "created_to", "order", "cursor", "limit")


def link_payload(api: HttpApi, link: Link, base_url: str,
                 totals: tuple[int, int] | None = None) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "code": link.code,
        "short_url": f"{api.base(base_url)}/{link.code}",
        "original_url": link.url,
        "title": link.title,
        "tags": list(link.tags),
        "created_at": link.created_at,
        "expires_at": link.expires_at,
        "disabled": link.disabled,
        "forward_query": link.forward_query,
        "owner": link.owner,
    }
    if totals is not None:
        total, bots = totals
        payload["clicks"] = {"total": total, "human": total - bots, "bots": bots}
    return payload


@route("POST", "/api/v1/links", scope="links:create", function="manage", status=201,
       request="LinkCreate", response="LinkOut", limited=True,
       errors=(400, 401, 403, 409, 413, 503))
def create_link(api: HttpApi, request: Request, who: Principal) -> Response:
    """Create a link: the body of `POST /shorten` plus `title`, `tags`, `forward_query`."""
    link = api.create(request.body, who, CREATE_FIELDS, request.base_url)
    return json_response(201, link_payload(api, link, request.base_url))


@route("GET", "/api/v1/links", scope="links:read", function="manage",
       response="LinkPage", query=LIST_QUERY, errors=(400, 401, 403, 503))
def list_links(api: HttpApi, request: Request, who: Principal) -> Response:
    """List your links (an admin key: every link), newest first, with click totals.

    `search` matches code, URL or title; `tag` and `created_from`/`created_to` (epoch
    seconds) filter; `order` is `created`, `clicks` or `human_clicks`; pass `next` back
    as `cursor` for the following page (stable while links are added)."""
    page = manage.list_links(api.links, api.analytics, who, request.query)
    return json_response(200, {
        "links": [link_payload(api, link, request.base_url, totals)
                  for link, totals in page.links],
        "next": page.next,
    })


@route("GET", "/api/v1/links/{code}", scope="links:read", function="manage",
       response="LinkOut", errors=(401, 403, 404, 503))
def get_link(api: HttpApi, request: Request, who: Principal) -> Response:
    """One of your links, with its click totals."""
    link = manage.visible(api.links, who, request.path_params["code"])
    totals = api.analytics.totals([link.code]).get(link.code, (0, 0))
    return json_response(200, link_payload(api, link, request.base_url, totals))


@route("PATCH", "/api/v1/links/{code}", scope="links:write", function="manage",
       limited=True, request="LinkPatch", response="LinkOut", errors=(400, 401, 403, 404, 413, 503))
def update_link(api: HttpApi, request: Request, who: Principal) -> Response:
    """Change a link's `url`, `title`, `tags`, `expires_at`, `disabled` or `forward_query`.

    Every worker serves the change within a second."""
    link = manage.update(api.links, who, request.path_params["code"], api.body(request),
                         int(time.time()))
    return json_response(200, link_payload(api, link, request.base_url))


@route("DELETE", "/api/v1/links/{code}", scope="links:write", function="manage",
       limited=True, status=204, errors=(401, 403, 404, 503))
def delete_link(api: HttpApi, request: Request, who: Principal) -> Response:
    """Delete a link: its short URL answers 410 and its code is never handed out again."""
    manage.delete(api.links, who, request.path_params["code"])
    return Response(204)


@route("GET", "/api/v1/links/{code}/qr", scope="links:read", function="manage",
       query=qr.QUERY, response="QrCode", errors=(400, 401, 403, 404, 503))
def link_qr(api: HttpApi, request: Request, who: Principal) -> Response:
    """A QR code of one of your links' short URL, as SVG (default) or PNG.

    `format` is `svg` or `png`; `size` is pixels per module (1-40, 8); `margin` the quiet
    zone in modules (0-16, 4); `ecc` the least error correction, `L`, `M`, `Q` or `H` (M).
    The code always encodes the short URL, black on white."""
    opts = qr.options(request.query)
    link = manage.visible(api.links, who, request.path_params["code"])
    image = qr.render(f"{api.base(request.base_url)}/{link.code}", opts)
    return Response(200, image, {"content-type": opts.media_type,
                                 "cache-control": "private, max-age=3600",
                                 "x-content-type-options": "nosniff"})
