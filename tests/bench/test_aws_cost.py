"""bench/aws_cost.py runs end to end on a short replay and refuses nonsense."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "bench" / "aws_cost.py"
PORT = os.environ.get("LINKPULSE_BENCH_MOTO_PORT", "0")
"""moto server port for the replay (0: any free one)."""


def test_a_short_replay_writes_the_measured_cost(tmp_path: Path) -> None:
    out = tmp_path / "cost.json"
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--clicks", "200", "--json", str(out), "--port", PORT],
        capture_output=True, text=True, timeout=180, cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    doc = json.loads(out.read_text())
    assert doc.keys() >= {"total_usd", "breakdown", "measured", "clicks_replayed",
                          "git_revision", "levers"}
    measured = doc["measured"]
    assert measured.keys() >= {"wru_per_click", "rru_per_click", "sqs_requests_per_click",
                               "clicks_per_batch", "clicks_replayed"}
    assert measured["clicks_counted"] == doc["clicks_replayed"] == 200
    assert measured["wru_per_click"] >= 2  # a transactional click row alone costs 2
    assert measured["sqs_requests_per_click"] > 1  # a send, and its share of the receives
    assert doc["total_usd"] == pytest.approx(sum(r["usd"] for r in doc["breakdown"]),
                                             abs=0.01)
    assert "| **Total** |" in done.stdout


@pytest.mark.parametrize(("args", "message"), [
    (["--clicks", "0"], "clicks must be at least 1"),
    (["--redirects", "-5"], "redirects must be at least 1"),
    (["--clicks", "many"], "clicks must be a whole number"),
    (["--redirects", "100", "--clicks", "200"], "cannot exceed"),
])
def test_nonsensical_arguments_are_refused_with_a_clear_message(
        tmp_path: Path, args: list[str], message: str) -> None:
    out = tmp_path / "cost.json"
    done = subprocess.run([sys.executable, str(SCRIPT), *args, "--json", str(out)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert message in done.stderr
    assert not out.exists()
