"""``GET /stats/{code}`` on API Gateway -> :meth:`HttpApi.stats`."""

from __future__ import annotations

from linkpulse.aws_lambda import http

app = http.resolver("stats")
handler = http.handler(app)
