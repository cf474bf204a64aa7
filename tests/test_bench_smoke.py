"""The benchmark harness still runs end to end (its numbers are not checked: see bench/)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
KEYS = {
    "redirect_rps", "redirect_p50_ms", "redirect_p99_ms", "bare_rps", "consumer_clicks_per_s",
    "freshness_p50_ms", "freshness_p99_ms", "stats_ms_by_clicks", "create_rps",
}


@pytest.mark.slow
def test_bench_smoke_runs_every_section_and_writes_the_json(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--smoke", "--json", str(out)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(out.read_text())
    assert results.keys() >= KEYS
    assert results["consumer_exact"] is True
    assert results["clicks_exact"] is True
    assert results["redirect_errors"] == 0
    assert "redirect req/s" in done.stdout
