"""The original API (``POST /shorten``, ``GET /stats/{code}``, the redirect) and the
operations routes. Open routes take anonymous callers when the API is open."""

from __future__ import annotations

import linkpulse
from linkpulse.api import HttpApi, Response, json_response
from linkpulse.core.keys import Principal
from linkpulse.endpoints.analytics import STATS_QUERY, parse_stats_query
from linkpulse.routes import Request, route


@route("POST", "/shorten", scope="links:create", open=True, function="shortener",
       status=201, request="ShortenRequest", response="ShortenResponse", limited=True,
       errors=(400, 401, 403, 409, 413, 503))
def shorten(api: HttpApi, request: Request, who: Principal) -> Response:
    """Create a short link (random 7-character code, or your own `alias`)."""
    return api.shorten(request.body, request.base_url, who)


@route("GET", "/stats/{code}", scope="stats:read", open=True, function="stats",
       response="StatsResponse", query=STATS_QUERY, errors=(400, 401, 403, 404, 503))
def stats(api: HttpApi, request: Request, who: Principal) -> Response:
    """Click analytics of one link: all-time, or of a range of UTC days.

    `from` and `to` (YYYY-MM-DD, both included, at most 366 days; `from` alone runs to
    today) restrict every figure to the range; `exclude_bots=true` (with a range) leaves
    bot clicks out. `clicks_by_hour` covers ranges up to 31 days, or the last 48 hours.
    Computed from pre-aggregated counters: the cost does not grow with clicks."""
    return api.stats(request.path_params["code"], request.base_url, who,
                     parse_stats_query(request.query))


def _redirect(api: HttpApi, request: Request, *, count: bool) -> Response:
    return api.redirect(request.path_params["code"], count=count,
                        user_agent=request.headers.get("user-agent"),
                        referer=request.headers.get("referer"),
                        client_ip=request.client_ip,
                        query=request.query_string)


@route("GET", "/{code}", scope=None, function="redirect", status=302, query=("*",),
       errors=(404, 410, 503))
def redirect(api: HttpApi, request: Request, who: Principal) -> Response:
    """Redirect to the link's URL (302) and count the click.

    Public: no key is asked. Disabled and deleted links answer 410."""
    return _redirect(api, request, count=True)


@route("HEAD", "/{code}", scope=None, function="redirect", status=302, query=("*",),
       errors=(404, 410, 503))
def redirect_head(api: HttpApi, request: Request, who: Principal) -> Response:
    """Where a short link leads (302), without counting a click."""
    return _redirect(api, request, count=False)


@route("GET", "/healthz", scope=None, function=None, response="Health", tag="operations")
def healthz(api: HttpApi, request: Request, who: Principal) -> Response:
    """Liveness: the process is up."""
    return json_response(200, {"status": "ok", "version": linkpulse.__version__,
                               "backend": api.backend})


@route("GET", "/api/queue", scope="admin", open=True, function=None, response="QueueDepth",
       errors=(401, 403, 503), tag="operations")
def queue_depth(api: HttpApi, request: Request, who: Principal) -> Response:
    """Approximate queue depths: the pipeline's backlog and its dead letters.

    An admin key's; on an open API anyone's (the dashboard's pipeline view shows it)."""
    visible, in_flight, dead = api.queue_depths()
    return json_response(200, {"visible": visible, "in_flight": in_flight,
                               "dead_letters": dead})
