"""The AWS shape's monthly cost, measured: the reference mix replayed through the handlers.

    python bench/aws_cost.py --json docs/aws-cost.json            # 1M redirects/month
    python bench/aws_cost.py --redirects 5000000 --clicks 20000 --json F

What it does:

1. starts its own moto server (``bench/moto_server.py``, the tests' server mode) and
   creates the tables and queues as ``infra/terraform`` does (names, TTL, redrive);
   seeds the mix's 10,000 links and the API keys (not metered);
2. replays ``--clicks`` clicks of the reference mix (``bench/traffic.py``: Zipf links,
   ~5,000 user agents, ~2,000 referers, bots) *at the rate of* ``--redirects`` a month:
   each click is an API Gateway payload-2.0 event handed to the real redirect handler
   (``linkpulse.aws_lambda.redirect``), whose clock is the click's time in the replay;
   1 % of requests are shortens and 1 % stats views (real handlers, real API keys);
3. forms SQS events as the event source mapping does under the Terraform defaults
   (``analytics_batch_size``, ``analytics_batching_window_seconds``): ``ESM_POLLERS``
   pollers long-poll the queue; each click is received by one of them (one
   ReceiveMessage, at this rate a long poll returns as soon as one message is there); a
   poller's batch closes when its window, counted from its first message, ends or when
   it is full; then the real analytics handler runs on it and the poller deletes what
   ``batchItemFailures`` does not name (DeleteMessageBatch, 10 a call). A poller's
   20 s long poll that sees nothing is an empty ReceiveMessage, made as well;
4. counts through the boto3 clients' own event hooks (``bench/aws_meter.py``): every
   DynamoDB read and write unit by DynamoDB's rules (moto reports none), every SQS
   request; every invocation's wall and CPU time, and the bytes each writes to stdout
   (its CloudWatch log lines, by level); the click, counter and name items' sizes;
5. prices 1M (``--redirects``) redirects a month with ``infra/cost_estimate.py`` (the
   prices and their sources live there) and writes the JSON that script reads.

Lambda duration: this machine is not a Lambda. An invocation's billed time is its CPU
time scaled to the function's share of a vCPU (1,769 MB = one vCPU; 256 MB gets 0.145)
plus the time it waited on moto (standing in for DynamoDB and SQS in the region), at the
``*_memory_size`` of ``variables.tf``. Every number is per click replayed, scaled to
``--redirects``; the JSON records the revision and the settings it ran with.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import io
import json
import math
import os
import random
import re
import subprocess
import sys
import time
import uuid
from collections import Counter as Tally
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "infra"))

import cost_estimate  # noqa: E402
from aws_meter import Meter  # noqa: E402
from moto_server import MotoServer  # noqa: E402
from traffic import ReferenceMix  # noqa: E402

__all__ = ["Meter", "main", "replay"]

TERRAFORM = ROOT / "infra" / "terraform"
EVENTS = ROOT / "tests" / "events"
MIN_CLICKS_STORED = 20_000
"""The issue's floor for the figure quoted in the docs."""
ESM_POLLERS = 2
"""Pollers of an SQS event source mapping without ``maximum_concurrency`` at low
traffic (variables.tf, ``analytics_maximum_concurrency``); each gathers its own batch."""
LONG_POLL_SECONDS = 20
"""The event source mapping's ReceiveMessage wait (SQS's maximum)."""
SHORTENS_PER_REDIRECT = 0.01
STATS_PER_REDIRECT = 0.01
"""The workload besides redirects: 10,000 links created and 10,000 stats views per 1M
redirects (the original article's mix)."""
FULL_VCPU_MB = 1769
"""AWS Lambda: "at 1,769 MB, a function has the equivalent of one vCPU"."""
LEVELS = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "WARN": 30, "ERROR": 40, "CRITICAL": 50}
FUNCTIONS = ("redirect", "shortener", "stats", "analytics")


# --- Terraform defaults ---------------------------------------------------------------------
def terraform_defaults() -> dict[str, Any]:
    """``default`` of each variable in infra/terraform/*.tf that is a literal."""
    out: dict[str, Any] = {}
    for path in sorted(TERRAFORM.glob("*.tf")):
        text = path.read_text(encoding="utf-8")
        for name, body in re.findall(r'^variable "(\w+)" \{\n(.*?)^\}', text, re.M | re.S):
            match = re.search(r"^  default\s*=\s*(.+)$", body, re.M)
            if match:
                out[name] = _literal(match.group(1).strip())
    return out


def _literal(text: str) -> Any:
    if text in ("true", "false"):
        return text == "true"
    if text == "null":
        return None
    if text.startswith('"') and text.endswith('"'):
        return text[1:-1]
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text  # a list or map: not needed here


def alarm_metrics() -> int:
    """CloudWatch alarm metrics the stack creates by default (each metric of a metric-math
    alarm is billed; the expression is not)."""
    total = 0
    for path in sorted(TERRAFORM.rglob("*.tf")):
        text = path.read_text(encoding="utf-8")
        for block in re.split(r'(?=^resource ")', text, flags=re.M):
            if not block.startswith('resource "aws_cloudwatch_metric_alarm"'):
                continue
            if re.search(r"^\s*count\s*=\s*var\.(\w+)", block, re.M):
                flag = re.search(r"^\s*count\s*=\s*var\.(\w+)", block, re.M).group(1)  # type: ignore[union-attr]
                defaults = _module_defaults(path.parent)
                if not defaults.get(flag, False):
                    continue
            queries = block.count("metric_query {")
            total += block.count("metric {") if queries else 1
    return total


def _module_defaults(folder: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for path in folder.glob("variables.tf"):
        for name, body in re.findall(r'^variable "(\w+)" \{\n(.*?)^\}',
                                     path.read_text(encoding="utf-8"), re.M | re.S):
            match = re.search(r"^  default\s*=\s*(.+)$", body, re.M)
            if match:
                out[name] = _literal(match.group(1).strip())
    return out


def access_log_fields() -> list[tuple[str, str]]:
    """(key, $context variable) of the API stage's JSON access log format."""
    text = (TERRAFORM / "modules" / "api_gateway" / "main.tf").read_text(encoding="utf-8")
    return re.findall(r'^\s*(\w+)\s*=\s*"\$context\.([\w.]+)"', text, re.M)


# --- what the functions write to CloudWatch Logs ---------------------------------------------
class LogCounter(io.TextIOBase):
    """Stands in for stdout under the handlers: bytes of each line, by function and level
    (EMF metric lines, which carry no level, count at every level)."""

    def __init__(self) -> None:
        self.role = "other"
        self.bytes: Tally[tuple[str, str]] = Tally()
        self._partial = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        lines = (self._partial + text).split("\n")
        self._partial = lines.pop()
        for line in lines:
            self.bytes[(self.role, _level(line))] += len(line.encode()) + 1
        return len(text)

    def at(self, role: str, level: str) -> int:
        """Bytes ``role`` writes with the function's log level set to ``level``."""
        floor = LEVELS[level]
        return sum(n for (r, lvl), n in self.bytes.items()
                   if r == role and (lvl == "ANY" or LEVELS.get(lvl, 50) >= floor))


def _level(line: str) -> str:
    try:
        record = json.loads(line)
    except ValueError:
        return "ANY"
    if isinstance(record, dict) and isinstance(record.get("level"), str):
        return str(record["level"]).upper()
    return "ANY"


# --- the replay -------------------------------------------------------------------------------
@dataclass
class Poller:
    """One event source mapping poller: its batch in the making, when it opened, and
    when its last long poll returned."""

    last_poll: float
    batch: list[dict[str, Any]] = field(default_factory=list)
    opened: float = 0.0


@dataclass
class Invocations:
    count: Tally[str] = field(default_factory=Tally)
    wall_ms: Tally[str] = field(default_factory=Tally)
    cpu_ms: Tally[str] = field(default_factory=Tally)
    billed_ms: Tally[str] = field(default_factory=Tally)


class Replay:
    """The deployed stack on a moto server, metered, and the handlers bound to it."""

    def __init__(self, moto: MotoServer, tf: dict[str, Any], redirects: int,
                 levels_out: LogCounter) -> None:
        from linkpulse.backends import aws
        from linkpulse.backends.aws.resources import create_resources
        from linkpulse.settings import Settings

        self.tf = tf
        self.rate = redirects / cost_estimate.SECONDS_PER_MONTH
        reader = moto.client("dynamodb")
        sqs_admin = moto.client("sqs")
        names = {"links_table": tf["links_table_name"], "clicks_table": tf["clicks_table_name"],
                 "queue_name": tf["queue_name"], "dlq_name": tf["dlq_name"]}
        base = Settings(backend="aws", endpoint_url=moto.endpoint, **names,
                        click_retention_days=tf["click_retention_days"],
                        visibility_timeout=tf["queue_visibility_timeout_seconds"],
                        max_receive_count=tf["dlq_max_receive_count"],
                        queue_retention_seconds=tf["queue_message_retention_seconds"],
                        dlq_retention_seconds=tf["dlq_message_retention_seconds"])
        create_resources(base, reader, sqs_admin)
        self.queue_url = sqs_admin.get_queue_url(QueueName=base.queue_name)["QueueUrl"]
        self.queue_arn = sqs_admin.get_queue_attributes(
            QueueUrl=self.queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        dlq_url = sqs_admin.get_queue_url(QueueName=base.dlq_name)["QueueUrl"]
        # The link cache's TTL runs on the wall clock, which the replay compresses ~100x:
        # off, so every redirect reads its link (at 1M/month a 5 s cache would spare ~3 %
        # of those half-unit reads).
        self.settings = replace(base, queue_url=self.queue_url, dlq_url=dlq_url, cache_size=0,
                                create_rate_limit=tf["create_rate_limit"])
        self.meter = Meter(reader, complete=[base.clicks_table])
        self.dynamodb = self.meter.attach(moto.client("dynamodb"))
        self.sqs = self.meter.attach(moto.client("sqs"))
        self.reader = reader
        self.logs = levels_out
        self.components = aws.build(self.settings, dynamodb=self.dynamodb, sqs=self.sqs)
        self.inv = Invocations()
        self.access_log_bytes = 0
        self.api_requests = 0
        self.now = 0.0
        self._fields = access_log_fields()

    # setup, not metered
    def seed(self, codes: list[str], key_count: int) -> tuple[str, list[str]]:
        from linkpulse.backends.aws.keys import DynamoKeyStore
        from linkpulse.backends.aws.links import link_item
        from linkpulse.core import keys
        from linkpulse.core.models import Link

        created = int(self.now) - 86_400
        items = [link_item(Link(code, f"https://example.com/{code}",
                                f"https://example.com/{code}", created)) for code in codes]
        table = self.settings.links_table
        for start in range(0, len(items), 25):
            requests = [{"PutRequest": {"Item": i}} for i in items[start:start + 25]]
            while requests:
                left = self.reader.batch_write_item(RequestItems={table: requests})
                requests = left.get("UnprocessedItems", {}).get(table, [])
        store = DynamoKeyStore(table, self.reader)
        admin, record = keys.new_key("dashboard", admin=True, now=created)
        store.add_key(record)
        users = []
        for i in range(key_count):
            secret, record = keys.new_key(f"user{i}", now=created)
            store.add_key(record)
            users.append(secret)
        return admin, users

    def bind(self) -> None:
        from linkpulse.aws_lambda import runtime

        runtime.use(self.components)
        runtime.api().clock = lambda: self.now

    # one invocation of a function, timed and metered
    def invoke(self, function: str, event: dict[str, Any]) -> Any:
        from linkpulse.aws_lambda import analytics, redirect, shortener, stats

        handler = {"redirect": redirect.handler, "shortener": shortener.handler,
                   "stats": stats.handler, "analytics": analytics.handler}[function]
        memory = self.tf["analytics_memory_size" if function == "analytics"
                         else "api_memory_size"]
        context = SimpleNamespace(
            function_name=f"{self.tf['name']}-{function}", memory_limit_in_mb=memory,
            invoked_function_arn=f"arn:aws:lambda:us-east-1:123456789012:function:"
                                 f"{self.tf['name']}-{function}",
            aws_request_id=str(uuid.uuid4()))
        self.meter.role = self.logs.role = function
        meter = self.meter
        spent = meter.overhead_wall, meter.overhead_cpu
        wall0, cpu0 = time.perf_counter(), time.thread_time()
        result = handler(event, context)
        cpu = (time.thread_time() - cpu0 - (meter.overhead_cpu - spent[1])) * 1000
        wall = (time.perf_counter() - wall0 - (meter.overhead_wall - spent[0])) * 1000
        self.meter.role = self.logs.role = "other"
        self.inv.count[function] += 1
        self.inv.wall_ms[function] += wall
        self.inv.cpu_ms[function] += cpu
        self.inv.billed_ms[function] += math.ceil(
            cpu * FULL_VCPU_MB / memory + max(0.0, wall - cpu))
        if function != "analytics":
            self.api_requests += 1
            self.access_log_bytes += self._access_log(event, result, wall)
        return result

    def _access_log(self, event: dict[str, Any], result: dict[str, Any], wall: float) -> int:
        http = event["requestContext"]["http"]
        values = {
            "requestId": event["requestContext"]["requestId"],
            "requestTimeEpoch": str(int(self.now)),
            "identity.sourceIp": http["sourceIp"], "httpMethod": http["method"],
            "routeKey": event["routeKey"], "path": http["path"],
            "status": str(result["statusCode"]), "protocol": http["protocol"],
            "responseLength": str(len(result.get("body") or "")),
            "responseLatency": str(int(wall) + 5), "integrationStatus": "200",
            "integrationLatency": str(int(wall)),
        }
        line = {key: values.get(var, "-") for key, var in self._fields}
        return len(json.dumps(line, separators=(",", ":")).encode()) + 1

    # the event source mapping
    def receive(self, count: int = 10) -> list[dict[str, Any]]:
        self.meter.role = "event source mapping"
        got = self.sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=count, WaitTimeSeconds=0,
            AttributeNames=["All"], MessageAttributeNames=["All"]).get("Messages", [])
        self.meter.role = "other"
        return list(got)

    def deliver(self, batch: list[dict[str, Any]]) -> int:
        """Invoke analytics on ``batch`` as the mapping does; delete what succeeded."""
        records = [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"],
                    "body": m["Body"], "attributes": m.get("Attributes", {}),
                    "messageAttributes": {}, "md5OfBody": m["MD5OfBody"],
                    "eventSource": "aws:sqs", "eventSourceARN": self.queue_arn,
                    "awsRegion": "us-east-1"} for m in batch]
        result = self.invoke("analytics", {"Records": records})
        failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
        done = [r for r in records if r["messageId"] not in failed]
        self.meter.role = "event source mapping"
        for start in range(0, len(done), 10):
            self.sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=[
                {"Id": str(i), "ReceiptHandle": r["receiptHandle"]}
                for i, r in enumerate(done[start:start + 10])])
        self.meter.role = "other"
        return len(failed)


def _events() -> dict[str, dict[str, Any]]:
    return {name: json.loads((EVENTS / f"apigw_v2_{name}.json").read_text())
            for name in ("redirect", "shorten", "stats")}


def _http_event(template: dict[str, Any], method: str, path: str, route: str, ip: str,
                now: float, headers: dict[str, str], body: str | None = None,
                path_parameters: dict[str, str] | None = None) -> dict[str, Any]:
    event = copy.deepcopy(template)
    event["routeKey"] = event["requestContext"]["routeKey"] = route
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["requestContext"]["http"]["method"] = method
    event["requestContext"]["http"]["sourceIp"] = ip
    event["requestContext"]["requestId"] = uuid.uuid4().hex[:15] + "="
    event["requestContext"]["timeEpoch"] = int(now * 1000)
    event["headers"] = {k: v for k, v in {**event["headers"], "x-forwarded-for": ip,
                                          **headers}.items() if v}
    event["requestContext"]["http"]["userAgent"] = headers.get("user-agent", "")
    if path_parameters is not None:
        event["pathParameters"] = path_parameters
    event.pop("body", None)
    if body is not None:
        event["body"] = body
    return event


def link_codes(n: int) -> list[str]:
    return [f"m{rank:06d}" for rank in range(n)]


@dataclass
class Result:
    clicks: int
    replay: Replay
    batches: list[int]
    failed: int
    virtual_seconds: float
    wall_seconds: float
    counted_clicks: int
    storage: dict[str, float]


def replay(moto: MotoServer, clicks: int, redirects: int, logs: LogCounter,
           seed: int = 1, progress: bool = True) -> Result:
    tf = terraform_defaults()
    rate = redirects / cost_estimate.SECONDS_PER_MONTH
    days = clicks / rate / 86_400
    mix = ReferenceMix(days=days, seed=seed)  # type: ignore[arg-type]
    codes = link_codes(mix.links)
    run = Replay(moto, tf, redirects, logs)
    run.now = mix.end - days * 86_400
    t0 = time.perf_counter()
    admin, users = run.seed(codes, key_count=50)
    run.bind()
    if progress:
        print(f"  seeded {len(codes):,} links in {time.perf_counter() - t0:.0f} s",
              file=sys.stderr)
    templates = _events()
    window = float(tf["analytics_batching_window_seconds"])
    size = int(tf["analytics_batch_size"]) if window > 0 else min(10, tf["analytics_batch_size"])
    rng = random.Random(seed)
    pollers = [Poller(last_poll=run.now) for _ in range(ESM_POLLERS)]
    batches: list[int] = []
    failed = 0
    started = time.perf_counter()
    shorten_every = round(1 / SHORTENS_PER_REDIRECT)
    stats_every = round(1 / STATS_PER_REDIRECT)

    def close(poller: Poller) -> None:
        nonlocal failed
        batches.append(len(poller.batch))
        failed += run.deliver(poller.batch)
        poller.batch = []

    for i, hit in enumerate(mix.hits(clicks)):
        for poller in pollers:  # windows that ended before this click
            if poller.batch and hit.timestamp >= poller.opened + window:
                run.now = poller.opened + window
                close(poller)
        poller = rng.choice(pollers)
        while hit.timestamp - poller.last_poll >= LONG_POLL_SECONDS:  # empty long polls
            poller.last_poll += LONG_POLL_SECONDS
            assert not run.receive()
        run.now = hit.timestamp
        code = codes[hit.link]
        event = _http_event(templates["redirect"], "GET", f"/{code}", "GET /{code}", hit.ip,
                            run.now, {"user-agent": hit.user_agent, "referer": hit.referer},
                            path_parameters={"code": code})
        result = run.invoke("redirect", event)
        assert result["statusCode"] == 302, result
        got = run.receive()
        poller.last_poll = hit.timestamp
        if got and not poller.batch:
            poller.opened = hit.timestamp
        poller.batch += got
        if len(poller.batch) >= size:
            close(poller)
        if i % stats_every == stats_every - 1:
            event = _http_event(templates["stats"], "GET", f"/stats/{code}",
                                "GET /stats/{code}", hit.ip, run.now,
                                {"user-agent": hit.user_agent,
                                 "authorization": f"Bearer {admin}"},
                                path_parameters={"code": code})
            assert run.invoke("stats", event)["statusCode"] == 200
        if i % shorten_every == shorten_every // 2:
            body = json.dumps({"url": f"https://example.org/new/{i}"})
            event = _http_event(templates["shorten"], "POST", "/shorten", "POST /shorten",
                                hit.ip, run.now,
                                {"user-agent": hit.user_agent, "content-type": "application/json",
                                 "content-length": str(len(body)),
                                 "authorization": f"Bearer {users[i % len(users)]}"}, body)
            status = run.invoke("shortener", event)["statusCode"]
            assert status == 201, status
        if progress and i and i % 2000 == 0:
            print(f"  {i:,} clicks, {time.perf_counter() - started:.0f} s", file=sys.stderr)
    end = run.now
    for poller in pollers:
        if poller.batch:
            run.now = max(end, poller.opened + window)
            close(poller)
    wall = time.perf_counter() - started
    return Result(clicks, run, batches, failed, clicks / rate, wall,
                  _counted(run, codes), _storage(run))


def _counted(run: Replay, codes: list[str]) -> int:
    """Clicks the counters hold (the replay must count each click once)."""
    total = 0
    for item in _scan(run.reader, run.settings.clicks_table):
        if item["pk"]["S"].startswith("A#"):
            total += int(item.get("n", {"N": "0"})["N"])
    return total


def _scan(client: Any, table: str) -> Iterator[dict[str, Any]]:
    kwargs: dict[str, Any] = {"TableName": table}
    while True:
        page = client.scan(**kwargs)
        yield from page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _storage(run: Replay) -> dict[str, float]:
    """Bytes stored per kind of item, DynamoDB's item size + its 100 bytes of overhead."""
    from aws_meter import item_size

    out: Tally[str] = Tally()
    kinds = {"C#": "click_rows", "A#": "counters", "K#": "names"}
    for item in _scan(run.reader, run.settings.clicks_table):
        out[kinds.get(item["pk"]["S"][:2], "other")] += item_size(item) + 100
        out["items"] += 1
    for item in _scan(run.reader, run.settings.links_table):
        out["links"] += item_size(item) + 100
    return {k: float(v) for k, v in out.items()}


# --- measurement -> JSON ------------------------------------------------------------------------
def git_revision() -> str:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                          capture_output=True, check=False)
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                           text=True, capture_output=True, check=False).stdout.strip()
    return (done.stdout.strip() or "unknown") + ("-dirty" if dirty else "")


def measured(result: Result, redirects: int, logs: LogCounter) -> dict[str, Any]:
    run, n = result.replay, result.clicks
    tf, meter, inv = run.tf, run.meter, run.inv
    per = {f: inv.count[f] / n for f in FUNCTIONS}
    ms = {f: inv.billed_ms[f] / inv.count[f] if inv.count[f] else 0.0 for f in FUNCTIONS}
    memory = {f: tf["analytics_memory_size" if f == "analytics" else "api_memory_size"]
              for f in FUNCTIONS}
    log_bytes = {level: sum(logs.at(f, level) for f in FUNCTIONS) / n
                 for level in ("DEBUG", "INFO", "WARNING")}
    role_wru = {role: round(v / n, 4) for role, v in meter.wru.items()}
    role_rru = {role: round(v / n, 4) for role, v in meter.rru.items()}
    role_sqs = {role: round(v / n, 4) for role, v in meter.sqs.items()}
    calls: dict[str, int] = {}
    for (role, service, op), count in sorted(meter.calls.items()):
        calls[f"{role}: {service} {op}"] = count
    storage = result.storage
    return {
        "clicks_replayed": n,
        "redirects_per_month": redirects,
        "clicks_per_second": round(redirects / cost_estimate.SECONDS_PER_MONTH, 4),
        "virtual_hours": round(result.virtual_seconds / 3600, 2),
        "clicks_counted": result.counted_clicks,
        "clicks_failed": result.failed,
        "clicks_per_batch": round(sum(result.batches) / len(result.batches), 2),
        "batches": len(result.batches),
        "wru_per_click": round(meter.total_wru() / n, 4),
        "rru_per_click": round(meter.total_rru() / n, 4),
        "sqs_requests_per_click": round(meter.total_sqs() / n, 4),
        "wru_per_click_by_caller": role_wru,
        "wru_per_click_by_item": {k: round(v / n, 4) for k, v in meter.wru_by_item.items()},
        "rru_per_click_by_caller": role_rru,
        "sqs_requests_per_click_by_caller": role_sqs,
        "api_requests_per_click": round(run.api_requests / n, 4),
        "invocations_per_click": {f: round(v, 6) for f, v in per.items()},
        "billed_ms_per_invocation": {f: round(v, 2) for f, v in ms.items()},
        "cpu_ms_per_invocation": {f: round(inv.cpu_ms[f] / max(inv.count[f], 1), 2)
                                  for f in FUNCTIONS},
        "wall_ms_per_invocation": {f: round(inv.wall_ms[f] / max(inv.count[f], 1), 2)
                                   for f in FUNCTIONS},
        "memory_mb": memory,
        "log_bytes_per_click": {k: round(v, 1) for k, v in log_bytes.items()},
        "access_log_bytes_per_click": round(run.access_log_bytes / n, 1),
        "click_row_bytes": round(storage.get("click_rows", 0) / n, 1),
        "counter_bytes_per_click": round(storage.get("counters", 0) / n, 1),
        "name_bytes": storage.get("names", 0),
        "link_bytes": storage.get("links", 0),
        "alarm_metrics": alarm_metrics(),
        "calls": calls,
        "terraform_defaults": {k: tf[k] for k in (
            "lambda_architecture", "api_memory_size", "analytics_memory_size",
            "analytics_batch_size", "analytics_batching_window_seconds",
            "click_retention_days", "cloudwatch_logs_retention_in_days", "log_level",
            "lambda_tracing_mode", "lambda_system_log_level", "lambda_log_format",
            "point_in_time_recovery_enabled", "customer_managed_key_enabled")},
        "model": {"esm_pollers": ESM_POLLERS, "long_poll_seconds": LONG_POLL_SECONDS,
                  "shortens_per_redirect": SHORTENS_PER_REDIRECT,
                  "stats_per_redirect": STATS_PER_REDIRECT, "full_vcpu_mb": FULL_VCPU_MB},
        "replay_seconds": round(result.wall_seconds, 1),
    }


def report(m: dict[str, Any], redirects: int, out: Any, levers: bool = True,
           revision: str = "") -> dict[str, Any]:
    items = cost_estimate.estimate(m, redirects)
    total = cost_estimate.total(items)
    extras = cost_estimate.levers(m, redirects)
    print(f"Measured: {m['clicks_replayed']:,} clicks of the reference mix replayed at "
          f"{redirects:,} redirects/month ({m['clicks_per_second']} clicks/s, "
          f"{m['virtual_hours']} h of traffic in {m['replay_seconds']:.0f} s)", file=out)
    print(f"  {m['wru_per_click']} WRU, {m['rru_per_click']} RRU, "
          f"{m['sqs_requests_per_click']} SQS requests per click; "
          f"{m['clicks_per_batch']} clicks per analytics batch\n", file=out)
    print(cost_estimate.table(items, redirects), file=out)
    if levers:
        print("\nOptional extras, each on top of the defaults (same measurement):\n",
              file=out)
        print(cost_estimate.lever_table(extras, total), file=out)
    return {
        "total_usd": round(total, 2),
        "redirects_per_month": redirects,
        "clicks_replayed": m["clicks_replayed"],
        "git_revision": revision or git_revision(),
        "command": "python " + " ".join(["bench/aws_cost.py", *sys.argv[1:]]),
        "prices": cost_estimate.PRICES_AS_OF,
        "breakdown": [{"service": i.service, "usage": i.what, "usd": round(i.usd, 4)}
                      for i in items],
        "levers": {name: {"usd": round(usd, 2), "delta_usd": round(usd - total, 2)}
                   for name, usd in extras.items()},
        "measured": m,
    }


# --- CLI ----------------------------------------------------------------------------------
def _positive(name: str) -> Any:
    def parse(text: str) -> int:
        try:
            value = int(text.replace(",", "").replace("_", ""))
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{name} must be a whole number, got {text!r}") from None
        if value < 1:
            raise argparse.ArgumentTypeError(
                f"{name} must be at least 1, got {value} (a month with no {name} costs "
                "nothing to measure)")
        return value
    return parse


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--redirects", type=_positive("redirects"), default=1_000_000,
                        help="redirects a month: the rate replayed and the price basis "
                             "(default 1,000,000)")
    parser.add_argument("--clicks", type=_positive("clicks"), default=MIN_CLICKS_STORED,
                        help=f"clicks replayed (default {MIN_CLICKS_STORED:,}; the figure "
                             f"in the docs needs at least {MIN_CLICKS_STORED:,})")
    parser.add_argument("--json", type=Path, required=True, help="write the results here")
    parser.add_argument("--port", type=int, default=0, help="moto server port (0: any free)")
    parser.add_argument("--levers", action="store_true",
                        help="also print each optional extra's cost (always in the JSON)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if args.clicks > args.redirects:
        parser.error(f"--clicks ({args.clicks:,}) cannot exceed the month's --redirects "
                     f"({args.redirects:,}): the replay covers part of one month")
    if not 0 <= args.port <= 65535:
        parser.error(f"--port must be 0-65535, got {args.port}")
    revision = git_revision()  # of the code that runs (the tree may change meanwhile)
    real_stdout = sys.stdout
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ["POWERTOOLS_LOG_LEVEL"] = "DEBUG"  # every line is counted, by level
    os.environ["POWERTOOLS_SERVICE_NAME"] = "linkpulse"
    logs = LogCounter()
    with MotoServer(args.port) as moto, contextlib.redirect_stdout(logs):
        sys.stdout = logs  # the handlers' logger binds stdout when first imported
        try:
            result = replay(moto, args.clicks, args.redirects, logs, seed=args.seed)
        finally:
            sys.stdout = real_stdout
    if result.counted_clicks != args.clicks or result.failed:
        print(f"replay miscounted: {result.counted_clicks} counted of {args.clicks}, "
              f"{result.failed} failed", file=sys.stderr)
        return 1
    m = measured(result, args.redirects, logs)
    doc = report(m, args.redirects, real_stdout, levers=args.levers, revision=revision)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {args.json}", file=real_stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
