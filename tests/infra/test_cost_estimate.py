"""docs/deploy-aws.md quotes infra/cost_estimate.py: the table there is the script's output."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_deploy_doc_quotes_the_cost_script() -> None:
    table = subprocess.run(
        [sys.executable, str(REPO / "infra" / "cost_estimate.py")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    doc = (REPO / "docs" / "deploy-aws.md").read_text(encoding="utf-8")
    rows = [line for line in table.splitlines() if line.startswith("|")]
    assert len(rows) > 10
    for row in rows:
        assert row in doc, row
