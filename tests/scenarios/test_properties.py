"""Properties over whole requests: whatever arrives (method, path, query, headers, body
on the ASGI app; any raw event on the Lambda handlers), the answer is never a 5xx and
nothing raises out of a handler.

The ASGI app is called with hand-made scopes, below any HTTP parser, so requests that
uvicorn would refuse itself still reach it. The Lambda handlers run on SQLite components:
what is under test is the edge, which reads events the same way on either backend.
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linkpulse import bootstrap
from linkpulse.settings import Settings

EVENTS = Path(__file__).parent.parent / "events"
PATHS = ["/shorten", "/stats/", "/", "/healthz", "/api/queue", "/openapi.json", "/static/",
         "/abcdefg", "/stats/abcdefg", "//", "/shorten/"]
HEADER_NAMES = [b"host", b"content-type", b"content-length", b"origin", b"user-agent",
                b"referer", b"x-forwarded-for", b"x-forwarded-proto", b"cookie",
                b"access-control-request-method", b"access-control-request-headers",
                b"transfer-encoding", b"accept"]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=3),
    max_leaves=8,
)
bodies = st.one_of(
    st.binary(max_size=300),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.fixed_dictionaries({"url": st.text(max_size=60) | st.sampled_from(
        ["https://example.com/", "http://0x7f.1/", "https://a\\b.example/"])},
        optional={"alias": json_values, "expires_at": json_values}).map(
        lambda v: json.dumps(v).encode()),
)
methods = st.sampled_from(["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH",
                           "TRACE"]) | st.text(min_size=1, max_size=8)
paths = st.one_of(st.sampled_from(PATHS), st.tuples(st.sampled_from(PATHS), st.text(
    max_size=40)).map("".join), st.text(max_size=60).map(lambda t: "/" + t))
headers = st.lists(st.tuples(st.sampled_from(HEADER_NAMES) | st.binary(min_size=1, max_size=20),
                             st.binary(max_size=80)), max_size=8)
FAST = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


@pytest.fixture(scope="module")
def components(tmp_path_factory: pytest.TempPathFactory) -> Iterator[bootstrap.Components]:
    made = bootstrap.build(Settings(db=tmp_path_factory.mktemp("props") / "p.db"),
                           buffered=False)
    yield made
    made.close()


@pytest.fixture(scope="module")
def asgi(components: bootstrap.Components) -> Any:
    from linkpulse.web.app import create_app

    return create_app(components=components)


def call(app: Any, method: str, path: str, query: bytes, head: list[tuple[bytes, bytes]],
         body: bytes) -> list[dict[str, Any]]:
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": method, "scheme": "http", "path": path,
             "raw_path": path.encode("utf-8", "surrogatepass"), "query_string": query,
             "root_path": "", "headers": [(k.lower(), v) for k, v in head],
             "client": ("198.51.100.9", 50000), "server": ("127.0.0.1", 8000)}
    sent: list[dict[str, Any]] = []
    chunks = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> dict[str, Any]:
        return chunks.pop() if chunks else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent


@pytest.mark.filterwarnings("ignore:Duplicate Operation ID")  # GET+HEAD route, a known
@FAST                                                           # FastAPI warning
@given(method=methods, path=paths, query=st.binary(max_size=40), head=headers, body=bodies)
def test_no_asgi_request_gets_a_5xx(asgi: Any, method: str, path: str, query: bytes,
                                    head: list[tuple[bytes, bytes]], body: bytes) -> None:
    sent = call(asgi, method, path, query, head, body)
    [start] = [m for m in sent if m["type"] == "http.response.start"]
    assert start["status"] < 500, (start, sent[-1])


def _sample(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return loaded


def _mutate(event: Any, data: st.DataObject) -> Any:
    """Delete, retype or replace a few fields anywhere in ``event``."""
    for _ in range(data.draw(st.integers(0, 4))):
        node = event
        while isinstance(node, dict) and node and data.draw(st.booleans()):
            child = node[data.draw(st.sampled_from(sorted(node)))]
            if not isinstance(child, dict) or not child:
                break
            node = child
        if not isinstance(node, dict) or not node:
            continue
        key = data.draw(st.sampled_from(sorted(node)))
        if data.draw(st.booleans()):
            del node[key]
        else:
            node[key] = data.draw(json_values)
    return event


HTTP_SAMPLES = {"shortener": "apigw_v2_shorten.json", "redirect": "apigw_v2_redirect.json",
                "stats": "apigw_v2_stats.json"}


@FAST
@given(function=st.sampled_from(sorted(HTTP_SAMPLES)), data=st.data())
def test_no_raw_http_event_raises_or_gets_a_5xx(components: bootstrap.Components,
                                                function: str, data: st.DataObject) -> None:
    import importlib

    from linkpulse.aws_lambda import runtime
    from linkpulse.aws_lambda.local import LocalContext

    runtime.use(components)
    event = data.draw(st.one_of(
        st.just(copy.deepcopy(_sample(HTTP_SAMPLES[function]))).map(
            lambda e: _mutate(e, data)),
        json_values))
    handler = importlib.import_module(f"linkpulse.aws_lambda.{function}").handler
    result = handler(event, LocalContext())
    assert isinstance(result, dict)
    assert isinstance(result["statusCode"], int)
    assert result["statusCode"] < 500, (event, result)


@FAST
@given(data=st.data())
def test_no_raw_sqs_event_raises_and_bad_records_fail_alone(
        components: bootstrap.Components, data: st.DataObject) -> None:
    from linkpulse.aws_lambda import analytics, runtime
    from linkpulse.aws_lambda.local import LocalContext

    runtime.use(components)
    template = _sample("sqs_clicks.json")["Records"][0]
    records = data.draw(st.lists(st.one_of(
        st.builds(lambda i: {**copy.deepcopy(template), "messageId": f"m{i}"},
                  st.integers(0, 10**6)).map(lambda r: _mutate(r, data)),
        json_values), max_size=10))
    result = analytics.handler({"Records": records}, LocalContext())
    failed = {f["itemIdentifier"] for f in result["batchItemFailures"]}
    ids = {r["messageId"] for r in records
           if isinstance(r, dict) and isinstance(r.get("messageId"), str)}
    assert failed <= ids
