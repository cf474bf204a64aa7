"""``GET /api/v1/export``: every link, streamed as CSV or JSON Lines (admin)."""

from __future__ import annotations

from collections.abc import Iterator

from linkpulse.api import HttpApi, Response
from linkpulse.core import formats, transfer
from linkpulse.core.errors import InvalidInput
from linkpulse.core.keys import Principal
from linkpulse.routes import Request, route

MEDIA = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson"}


def export_lines(api: HttpApi, fmt: str) -> Iterator[str]:
    """The export of every live link in ``fmt`` (``csv`` or ``jsonl``), line by line."""
    if fmt not in MEDIA:
        raise InvalidInput("'format' must be csv or jsonl")
    write = formats.to_csv if fmt == "csv" else formats.to_jsonl
    return write(transfer.all_links(api.links))


@route("GET", "/api/v1/export", scope="admin", function=None, response="Export",
       query=("format",), errors=(400, 401, 403, 503), tag="operations")
def export_links(api: HttpApi, request: Request, who: Principal) -> Response:
    """Every link, as CSV (`format=csv`, the default) or JSON Lines (`format=jsonl`).

    Streamed a page of links at a time; `linkpulse import` reads it back. ASGI edge only:
    on AWS run `linkpulse export --backend aws`."""
    fmt = request.query.get("format", "csv")
    lines = export_lines(api, fmt)
    return Response(200, headers={"content-type": MEDIA[fmt],
                                  "content-disposition": f'attachment; filename="links.{fmt}"',
                                  "x-content-type-options": "nosniff"},
                    stream=(line.encode() for line in lines))
