"""``/api/v1/*`` on API Gateway: link and key management, from the route table."""

from __future__ import annotations

from linkpulse.aws_lambda import http

app = http.resolver("manage")
handler = http.handler(app)
