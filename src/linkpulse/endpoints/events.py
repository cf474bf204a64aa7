"""``GET /api/v1/events``: the live click stream (Server-Sent Events), or on an edge that
cannot hold a response open (API Gateway) the same clicks as a cursor poll."""

from __future__ import annotations

import time
from dataclasses import asdict

from linkpulse.api import HttpApi, Response, json_response
from linkpulse.core import events
from linkpulse.core.errors import BackendUnavailable
from linkpulse.core.keys import Principal
from linkpulse.routes import Request, route

SSE_HEADERS = {"content-type": "text/event-stream; charset=utf-8",
               "cache-control": "no-cache, no-store", "x-accel-buffering": "no"}


@route("GET", "/api/v1/events", scope="stats:read", open=True, function="stats",
       query=events.QUERY, response="Events", errors=(400, 401, 403, 404, 503),
       tag="links")
def click_events(api: HttpApi, request: Request, who: Principal) -> Response:
    """Recorded clicks as they happen: one link's (`code`), or every link you see.

    `linkpulse serve` answers with Server-Sent Events: `event: click`, `id:` the click id,
    `data:` a JSON object (`id`, `code`, `ts`, `country`, `browser`, `os`, `device`,
    `is_bot`, `referer`), a `: ping` comment every 15 s when idle. `Last-Event-ID` (or
    `after`) resumes after that click, replaying up to 1,000 missed ones. On AWS
    (API Gateway does not stream) the answer is a poll of one link's clicks instead:
    `{"events": [...], "last_event_id": ...}`, the clicks after `after`/`Last-Event-ID`
    (none given: the latest `limit`, 100), oldest first; pass `last_event_id` back as
    `after`."""
    selection = events.select(api.links, who, request.query)
    after = events.cursor(request.query, request.headers)
    limit = events.limit(request.query)
    if api.live is not None:
        if api.live.full():
            raise BackendUnavailable("too many event streams on this worker")
        stream = api.live.stream(selection, after, time.time())
        return Response(200, headers=dict(SSE_HEADERS), stream=stream)
    if api.feed is None:
        raise BackendUnavailable("this deployment keeps no clicks to stream")
    page = events.poll(api.feed, api.links, selection, after, limit)
    return json_response(200, asdict(page), {"cache-control": "no-store"})
