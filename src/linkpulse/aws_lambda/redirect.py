"""``GET|HEAD /{code}`` on API Gateway -> :meth:`HttpApi.redirect` (a GET is one
``SendMessage`` of the click to SQS; the link read is eventually consistent first)."""

from __future__ import annotations

from linkpulse.aws_lambda import http

app = http.resolver("redirect")
handler = http.handler(app)
