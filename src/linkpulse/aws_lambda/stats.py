"""``GET /stats/{code}`` on API Gateway -> :meth:`HttpApi.stats`."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response

from linkpulse.aws_lambda import http, runtime

app = http.resolver()


@app.get("/stats/<code>")
def stats(code: str) -> Response[str]:
    return http.reply(runtime.api().stats(code, http.base_url(app)))


handler = http.handler(app)
