"""``POST /shorten`` on API Gateway -> :meth:`HttpApi.shorten`."""

from __future__ import annotations

from linkpulse.aws_lambda import http

app = http.resolver("shortener")
handler = http.handler(app)
