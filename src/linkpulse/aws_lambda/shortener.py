"""``POST /shorten`` on API Gateway -> :meth:`HttpApi.shorten`."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response

from linkpulse.aws_lambda import http, runtime

app = http.resolver()


@app.post("/shorten")
def shorten() -> Response[str]:
    source_ip = app.current_event.request_context.http.source_ip
    return http.reply(runtime.api().shorten(http.body(app), http.base_url(app), source_ip))


handler = http.handler(app)
