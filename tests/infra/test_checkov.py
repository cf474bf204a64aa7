"""checkov finds no failed check in infra/terraform (run through .ci/checkov.sh)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / ".ci" / "checkov.sh"
VENV_CHECKOV = REPO / ".venv-checkov" / "bin" / "checkov"


def test_checkov_passes_with_zero_failed_checks() -> None:
    """GIVEN the Terraform WHEN checkov scans it THEN nothing fails (skips are justified inline)."""
    if not VENV_CHECKOV.exists() and not os.environ.get("CI"):
        pytest.skip(
            "checkov's virtualenv .venv-checkov is absent: run .ci/checkov.sh once to create "
            "it (set CI=1 to make this test create it and fail instead of skipping)"
        )
    result = subprocess.run(
        [str(SCRIPT)], cwd=REPO, capture_output=True, text=True, timeout=900, check=False
    )
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    summaries = re.findall(
        r"Passed checks: (\d+), Failed checks: (\d+), Skipped checks: (\d+)", report
    )
    assert len(summaries) == 2, report  # the stack, then examples/complete
    for passed, failed, _skipped in summaries:
        assert int(failed) == 0, report
        assert int(passed) > 0, report
    assert int(summaries[0][0]) > 100, report
