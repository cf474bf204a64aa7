"""``GET /metrics``: the Prometheus scrape (admin)."""

from __future__ import annotations

from linkpulse.api import HttpApi, Response, error_response
from linkpulse.core.keys import Principal
from linkpulse.routes import Request, route


@route("GET", "/metrics", scope="admin", function=None, response="Metrics",
       errors=(401, 403, 404), tag="operations")
def metrics(api: HttpApi, request: Request, who: Principal) -> Response:
    """Prometheus metrics of the whole server, every worker process summed.

    An admin key's, also on an open API (`serve --open`): the figures describe all of
    the server's traffic. `serve --metrics-port` also serves them, without a key, on
    127.0.0.1 only. ASGI edge only: on AWS the same events are CloudWatch metrics."""
    if api.scrape is None:
        return error_response(404, "this deployment exposes no metrics")
    body, media_type = api.scrape()
    return Response(200, body, {"content-type": media_type, "x-content-type-options": "nosniff"})
