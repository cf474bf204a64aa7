"""The blocklist on DynamoDB (one item of the links table: a string set and a version),
through the Lambda handlers and the CLI, against moto's server."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.aws_support import MotoServer
from tests.lambda_target import LambdaEdge
from tests.support import linkpulse_env, wait_for


def test_dynamodb_blocklist_adds_removes_and_versions(components: Any) -> None:
    blocklist = components.blocklist
    assert blocklist.domains() == frozenset()
    start = blocklist.version()
    assert blocklist.add("evil.example") is True
    assert blocklist.add("evil.example") is False
    assert blocklist.add("bad.example") is True
    assert blocklist.domains() == {"evil.example", "bad.example"}
    assert blocklist.version() != start
    assert blocklist.remove("evil.example") is True
    assert blocklist.remove("evil.example") is False
    assert blocklist.remove("bad.example") is True
    assert blocklist.domains() == frozenset()


def test_lambda_redirects_of_a_blocked_domain_answer_410(components: Any) -> None:
    edge = LambdaEdge()
    created = edge.request("POST", "/shorten", body=b'{"url": "https://www.evil.example/"}',
                           headers={"content-type": "application/json"})
    code = json.loads(created[2])["code"]
    assert edge.request("GET", f"/{code}")[0] == 302
    components.blocklist.add("evil.example")
    wait_for(lambda: edge.request("GET", f"/{code}")[0] == 410, timeout=5, interval=0.1,
             message="the redirect to answer 410")
    refused = edge.request("POST", "/shorten", body=b'{"url": "https://evil.example/x"}',
                           headers={"content-type": "application/json"})
    assert refused[0] == 400


def test_blocklist_cli_on_the_aws_backend(components: Any, moto_server: MotoServer,
                                          tmp_path: Path) -> None:
    s = components.settings
    env = {**linkpulse_env(tmp_path / "unused.db", backend="aws", links_table=s.links_table),
           **moto_server.env()}

    def cli(*args: str) -> Any:
        done = subprocess.run([sys.executable, "-m", "linkpulse.cli", "blocklist", *args],
                              env=env, capture_output=True, text=True, check=True)
        return json.loads(done.stdout)

    assert cli("add", "evil.example") == {"domain": "evil.example", "added": True}
    assert cli("list") == ["evil.example"]
    assert components.blocklist.domains() == {"evil.example"}
    assert cli("remove", "evil.example") == {"domain": "evil.example", "removed": True}
    assert cli("list") == []
