"""``linkpulse worker --backend aws``: the local event source mapping, as a real process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from linkpulse.core import service
from linkpulse.core.clicks import encode_event, make_event
from tests.aws_support import MotoServer, unique_names
from tests.support import Process, linkpulse_env, wait_for


@pytest.fixture
def deployment(moto_server: MotoServer, aws_clients: tuple[Any, Any], tmp_path: Path
               ) -> tuple[dict[str, str], Any]:
    """Fresh resources created by ``--create-resources``, and components on them."""
    from linkpulse.backends import aws
    from linkpulse.settings import Settings

    names = unique_names()
    env = {**linkpulse_env(tmp_path / "unused.db", backend="aws", visibility_timeout=1,
                           poll_wait_seconds=1, **names), **moto_server.env()}
    dynamodb, sqs = aws_clients
    settings = Settings(backend="aws", endpoint_url=moto_server.endpoint, **names)
    return env, (settings, dynamodb, sqs, aws)


def test_worker_counts_clicks_and_dead_letters_a_poison_message(
    deployment: tuple[dict[str, str], Any], tmp_path: Path
) -> None:
    env, (settings, dynamodb, sqs, aws) = deployment
    worker = Process(["worker", "--create-resources"], env, tmp_path / "worker.log")
    try:
        components = wait_for(lambda: _built(aws, settings, dynamodb, sqs), timeout=30,
                              message="resources created by the worker")
        link = service.shorten(components.links, "https://example.com/w")
        bodies = [encode_event(make_event(link.code, "curl/8.5.0", "", "192.0.2.9"))
                  for _ in range(25)]
        components.queue.send_batch([*bodies, "poison", *bodies[:5]])  # 5 duplicates
        wait_for(lambda: components.analytics.analytics(link.code).total == 25, timeout=30,
                 message="25 clicks counted")
        wait_for(lambda: components.queue.dlq_depth() == 1, timeout=30,
                 message="the poison message dead-lettered")
        assert components.analytics.analytics(link.code).total == 25
        assert worker.alive()
    finally:
        assert worker.stop() == 0, worker.log()
    assert "batch processed" in worker.log()


def _built(aws: Any, settings: Any, dynamodb: Any, sqs: Any) -> Any:
    try:
        sqs.get_queue_url(QueueName=settings.queue_name)
        dynamodb.describe_table(TableName=settings.clicks_table)
    except Exception:
        return None
    return aws.build(settings, dynamodb=dynamodb, sqs=sqs)


def test_dlq_commands_list_and_redrive(deployment: tuple[dict[str, str], Any]) -> None:
    env, (settings, dynamodb, sqs, aws) = deployment
    from linkpulse.backends.aws.resources import create_resources

    create_resources(settings.replace(max_receive_count=1), dynamodb, sqs)
    components = aws.build(settings, dynamodb=dynamodb, sqs=sqs)
    components.queue.send("dead on arrival")
    components.queue.receive(10, wait_seconds=1, visibility_timeout=1)
    wait_for(lambda: components.queue.receive(10, wait_seconds=1) == []
             and components.queue.dlq_depth() == 1, timeout=15, message="a dead letter")

    def cli(*args: str) -> Any:
        out = subprocess.run([sys.executable, "-m", "linkpulse.cli", *args], env=env,
                             capture_output=True, text=True, timeout=60, check=True)
        return json.loads(out.stdout)

    assert [m["body"] for m in cli("dlq", "list")] == ["dead on arrival"]
    assert cli("dlq", "redrive") == {"redriven": 1}
    [back] = wait_for(lambda: components.queue.receive(10, wait_seconds=1), timeout=10,
                      message="the message back on the queue")
    assert back.body == "dead on arrival"
