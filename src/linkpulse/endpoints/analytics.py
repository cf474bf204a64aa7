"""Stats query parameters, and ``GET /api/v1/links/{code}/clicks``: a link's raw clicks."""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import date

from linkpulse.api import HttpApi, Response
from linkpulse.core import clickexport
from linkpulse.core.errors import InvalidInput
from linkpulse.core.keys import Principal
from linkpulse.core.ranges import StatsQuery, day_number, stats_query
from linkpulse.routes import Request, route

STATS_QUERY = ("from", "to", "exclude_bots")
MEDIA = {"ndjson": "application/x-ndjson", "csv": "text/csv; charset=utf-8"}


def parse_date(query: Mapping[str, str], name: str) -> date | None:
    raw = query.get(name)
    if raw is None:
        return None
    try:
        if len(raw) != 10:
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(f"'{name}' must be a date, YYYY-MM-DD") from None


def parse_stats_query(query: Mapping[str, str]) -> StatsQuery:
    """``from``, ``to`` (UTC dates) and ``exclude_bots`` (true or false) of a stats request."""
    flag = query.get("exclude_bots", "false")
    if flag not in ("true", "false"):
        raise InvalidInput("'exclude_bots' must be true or false")
    return stats_query(parse_date(query, "from"), parse_date(query, "to"), flag == "true",
                       time.time())


@route("GET", "/api/v1/links/{code}/clicks", scope="stats:read", function=None,
       response="ClickExport", query=("from", "to", "cursor", "format"),
       errors=(400, 401, 403, 404, 503))
def export_clicks(api: HttpApi, request: Request, who: Principal) -> Response:
    """The link's raw clicks kept by the retention, anonymised, oldest first.

    NDJSON (`format=ndjson`, the default) or CSV (`format=csv`), at most 10,000 clicks
    a response; `from`/`to` (UTC dates, both included) narrow them, and when more follow
    the `x-next-cursor` header holds the `cursor` of the next page. ASGI edge only."""
    fmt = request.query.get("format", "ndjson")
    if fmt not in MEDIA:
        raise InvalidInput("'format' must be ndjson or csv")
    start, end = parse_date(request.query, "from"), parse_date(request.query, "to")
    if start is not None and end is not None and end < start:
        raise InvalidInput("'from' is after 'to'")
    code = request.path_params["code"]
    page = clickexport.click_page(
        api.links, api.analytics, code, who.sees,
        None if start is None else day_number(start), None if end is None else day_number(end),
        request.query.get("cursor"))
    lines = (clickexport.to_csv if fmt == "csv" else clickexport.to_ndjson)(page.clicks)
    headers = {"content-type": MEDIA[fmt], "x-content-type-options": "nosniff",
               "content-disposition": f'attachment; filename="clicks-{code}.{fmt}"'}
    if page.next is not None:
        headers["x-next-cursor"] = page.next
    return Response(200, headers=headers, stream=(line.encode() for line in lines))
