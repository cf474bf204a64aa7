"""The Lambda edge as an HTTP target: requests become API Gateway HTTP API (payload 2.0)
events, routed to the handler API Gateway would invoke.

Routes are read from ``infra/terraform/main.tf`` (``local.routes``, which the
``api_gateway`` module is given), so the target serves what the deployed API serves. A
CORS preflight goes to the handler whose route matches the path (on AWS, API Gateway
answers it from the API's CORS configuration). A request no route matches gets API
Gateway's own answer.
"""

from __future__ import annotations

import base64
import importlib
import json
import re
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from tests.terraform_support import MAIN_TF, local_values, modules

CONTRACT_ROUTES = {"POST /shorten": "shortener", "GET /{code}": "redirect",
                   "GET /stats/{code}": "stats"}
API_GATEWAY_NOT_FOUND = (404, {"content-type": "application/json"},
                         b'{"message":"Not Found"}')
EVENTS = Path(__file__).parent / "events"


def terraform_routes() -> dict[str, str]:
    """``{"METHOD /path": function}`` from main.tf, or the contract's routes."""
    if not MAIN_TF.exists():
        return dict(CONTRACT_ROUTES)
    assert modules(MAIN_TF)["api_gateway"]["routes"] == "${local.routes}"
    return dict(local_values(MAIN_TF)["routes"])


class Route:
    """One route key: ``METHOD /path/{param}``, or ``$default`` (matches anything, last)."""

    def __init__(self, key: str, function: str) -> None:
        self.key = key
        self.function = function
        self.default = key == "$default"
        self.method, self.path = ("ANY", "/{proxy+}") if self.default else key.split(" ", 1)
        self.literal = -1 if self.default else len(re.sub(r"\{[^}]+\}", "", self.path))
        self.pattern = re.compile(
            "^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.path)) + "$")

    def match(self, path: str) -> dict[str, str] | None:
        if self.default:
            return {}
        m = self.pattern.match(path)
        return m.groupdict() if m else None


def http_event(method: str, raw_path: str, headers: dict[str, str], body: bytes | None,
               *, route_key: str, path_parameters: dict[str, str], source_ip: str,
               ) -> dict[str, Any]:
    """An API Gateway HTTP API payload 2.0 event, shaped like tests/events/*.json."""
    path, _, query = raw_path.partition("?")
    lower = {k.lower(): v for k, v in headers.items()}
    now = time.time()
    event: dict[str, Any] = json.loads((EVENTS / "apigw_v2_redirect.json").read_text())
    event.update(routeKey=route_key, rawPath=path, rawQueryString=query, headers=lower,
                 pathParameters=path_parameters or None, cookies=None)
    # API Gateway decodes the query string and joins repeated parameters with commas.
    params: dict[str, list[str]] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        params.setdefault(name, []).append(value)
    if params:
        event["queryStringParameters"] = {k: ",".join(v) for k, v in params.items()}
    else:
        event.pop("queryStringParameters", None)
    if not path_parameters:
        del event["pathParameters"]
    ctx = event["requestContext"]
    ctx.update(domainName=lower.get("host", "api.example"), routeKey=route_key,
               requestId=uuid.uuid4().hex[:16], timeEpoch=int(now * 1000))
    ctx["http"].update(method=method, path=path, sourceIp=source_ip,
                       userAgent=lower.get("user-agent", ""))
    if body:
        try:
            event["body"], event["isBase64Encoded"] = body.decode(), False
        except UnicodeDecodeError:
            event["body"] = base64.b64encode(body).decode()
            event["isBase64Encoded"] = True
    else:
        event.pop("body", None)
        event["isBase64Encoded"] = False
    return event


class LambdaEdge:
    """API Gateway in front of the three HTTP handlers, in this process."""

    def __init__(self, host: str = "lambda.test", scheme: str = "https",
                 source_ip: str = "203.0.113.77",
                 on_invoke: Callable[[str], object] | None = None) -> None:
        self.routes = sorted((Route(k, f) for k, f in terraform_routes().items()),
                             key=lambda r: -r.literal)
        self.host, self.scheme, self.source_ip = host, scheme, source_ip
        self.on_invoke = on_invoke

    def handler(self, function: str) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
        module = importlib.import_module(f"linkpulse.aws_lambda.{function}")
        return module.handler  # type: ignore[no-any-return]

    def request(self, method: str, path: str, *, body: bytes | None = None,
                headers: dict[str, str] | None = None, source_ip: str | None = None
                ) -> tuple[int, dict[str, str], bytes]:
        """``source_ip``: the client's address (API Gateway's ``sourceIp``), if not the
        edge's default."""
        from linkpulse.aws_lambda.local import LocalContext

        source_ip = source_ip or self.source_ip
        headers = {"host": self.host, "x-forwarded-proto": self.scheme,
                   "x-forwarded-for": source_ip, "x-forwarded-port": "443",
                   **{k.lower(): v for k, v in (headers or {}).items()}}
        bare = path.partition("?")[0]
        preflight = (method == "OPTIONS" and "origin" in headers
                     and "access-control-request-method" in headers)
        for route in self.routes:
            params = route.match(bare)
            if params is not None and (route.method in (method, "ANY") or preflight):
                break
        else:
            return API_GATEWAY_NOT_FOUND
        event = http_event(method, path, headers, body, route_key=route.key,
                           path_parameters=params, source_ip=source_ip)
        if self.on_invoke is not None:
            self.on_invoke(route.function)
        result = self.handler(route.function)(event, LocalContext(
            function_name=f"linkpulse-{route.function}"))
        raw = result.get("body") or ""
        data = base64.b64decode(raw) if result.get("isBase64Encoded") else raw.encode()
        out_headers = {k.lower(): v for k, v in (result.get("headers") or {}).items()}
        return int(result["statusCode"]), out_headers, b"" if method == "HEAD" else data
