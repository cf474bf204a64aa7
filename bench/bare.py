"""The Python ceiling: a bare ASGI callable that answers every request with a fixed 302."""

HEADERS = [
    (b"location", b"https://example.com/"),
    (b"cache-control", b"no-cache, no-store"),
    (b"content-length", b"0"),
]
START = {"type": "http.response.start", "status": 302, "headers": HEADERS}
BODY = {"type": "http.response.body", "body": b""}


async def app(scope, receive, send):  # type: ignore[no-untyped-def]
    if scope["type"] == "http":
        await send(START)
        await send(BODY)
    elif scope["type"] == "lifespan":
        await receive()
        await send({"type": "lifespan.startup.complete"})
        await receive()
        await send({"type": "lifespan.shutdown.complete"})
