"""The OpenAPI document served at /openapi.json: correct by construction, and checked by
schemathesis against a live server."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from linkpulse.routes import routes
from tests.sqlite.test_cli_keys import cli
from tests.support import LiveServer

ST_MAX_SECONDS = 90
"""schemathesis' time budget (its --max-time), so the suite stays bounded."""
NEGATIVE_DATA_CONFIG = """
[checks.negative_data_rejection]
expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422",
                     "428", "429"]
"""
"""Schemathesis' own list of statuses that reject invalid data, plus 413 (Content Too
Large): a schema-violating body can also be a body over the server's size limit."""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Any:
    db = tmp_path_factory.mktemp("openapi") / "lp.db"
    made = cli(db, "keys", "create", "--name", "schemathesis", "--admin")
    assert made.returncode == 0, made.stderr
    server = LiveServer(db, open=True)
    try:
        yield server, made.stdout.splitlines()[-1]
    finally:
        server.stop()


def test_the_document_declares_every_route_once_with_its_answers(served: Any) -> None:
    server, _ = served
    doc = httpx.get(f"{server.base_url}/openapi.json", timeout=10).json()
    operations = [(path, method, op) for path, ops in doc["paths"].items()
                  for method, op in ops.items()]
    assert len(operations) == len(routes())
    ids = [op["operationId"] for _, _, op in operations]
    assert len(ids) == len(set(ids))
    for path, method, op in operations:
        assert "security" in op, (method, path)
        for status, answer in op["responses"].items():
            if status == "302" or status == "204":
                assert "content" not in answer, (method, path, status)
            elif int(status) >= 400:
                schema = answer["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (method, path)
    assert set(doc["components"]["securitySchemes"]) == {"bearer", "apiKey"}


@pytest.mark.slow
def test_schemathesis_finds_nothing_with_its_default_checks(served: Any, tmp_path: Path
                                                            ) -> None:
    """Every default check but positive_data_acceptance: what a short link may point to
    (the destination policy: no internal addresses, no blocked domains), an opaque
    cursor and a deleted link's 410 are rules no JSON schema can state, so a
    schema-valid request may rightly be refused with a 4xx. A body over the size limit is
    refused with 413 (declared), which schemathesis counts as a rejection here too."""
    server, key = served
    st = Path(sys.executable).parent / "st"
    config = tmp_path / "schemathesis.toml"
    config.write_text(NEGATIVE_DATA_CONFIG)
    result = subprocess.run(
        [str(st), "--config-file", str(config), "run", f"{server.base_url}/openapi.json",
         "--header", f"Authorization: Bearer {key}",
         "--max-examples", "5", "--max-time", str(ST_MAX_SECONDS), "--seed", "1",
         "--workers", "1", "--phases", "examples,coverage,fuzzing",
         "--exclude-checks", "positive_data_acceptance", "--no-color"],
        capture_output=True, text=True, timeout=ST_MAX_SECONDS + 120, check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
