"""``GET|HEAD /{code}`` on API Gateway -> :meth:`HttpApi.redirect` (a GET is one
``SendMessage`` of the click to SQS; the link read is eventually consistent first)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response

from linkpulse.aws_lambda import http, runtime

app = http.resolver()


@app.route("/<code>", method=["GET", "HEAD"])
def redirect(code: str) -> Response[str]:
    event = app.current_event
    request = event.request_context.http
    return http.reply(runtime.api().redirect(
        code, count=request.method == "GET", user_agent=event.headers.get("user-agent"),
        referer=event.headers.get("referer"), client_ip=request.source_ip,
    ))


handler = http.handler(app)
