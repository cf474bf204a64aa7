"""The benchmark harness still runs end to end (its numbers are not checked: see bench/)."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
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


SCALE_KEYS = {
    "consumer_rate_empty", "consumer_rate_full", "prefilled_clicks", "redirect_rps_hot",
    "redirect_rps_all", "links", "purge_max_stall_s", "db_bytes_per_click", "fd_growth",
    "rss_growth_mb", "stats_ms_tied", "stats_ms_small",
}


@pytest.mark.slow
def test_scale_smoke_writes_every_key_and_counts_exactly(tmp_path: Path) -> None:
    out = tmp_path / "scale.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "scale.py"), "--smoke", "--json", str(out)],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(out.read_text())
    assert results.keys() >= SCALE_KEYS
    assert results["consumer_exact_empty"] is True
    assert results["consumer_exact_full"] is True


def test_bulk_load_leaves_what_record_leaves(tmp_path: Path) -> None:
    """The scale benchmark's fast pre-fill writes the same analytics as recording."""
    from bench.scale import clicks
    from bench.traffic import ReferenceMix

    from bench import bulkload
    from linkpulse.backends.sqlite.analytics import SqliteAnalyticsStore

    mix = ReferenceMix(links=20, n_user_agents=50, n_referers=20)
    codes = [f"code{i:03d}" for i in range(mix.links)]
    stores = SqliteAnalyticsStore(tmp_path / "a.db"), SqliteAnalyticsStore(tmp_path / "b.db")
    try:
        recorded = list(clicks(mix, codes, 3_000))
        for start in range(0, len(recorded), 500):
            stores[0].record(recorded[start:start + 500])
        assert bulkload.load(stores[1], iter(recorded)) == len(recorded)
        for code in codes:
            a, b = (store.analytics(code, top=50) for store in stores)
            # ties are ordered by label id, which the two give in another order
            assert replace(a, user_agents=(), referers=()) == replace(b, user_agents=(),
                                                                     referers=())
            assert sorted(a.user_agents, key=repr) == sorted(b.user_agents, key=repr)
            assert sorted(a.referers, key=repr) == sorted(b.referers, key=repr)
    finally:
        for store in stores:
            store.close()


@pytest.mark.slow
def test_dynamodb_write_units_smoke_shows_what_a_new_visitor_costs(tmp_path: Path) -> None:
    """A tiny run prints its table and writes the JSON; a new visitor each click costs the
    marker's 1 write unit (a plain conditional put, outside the transaction), a returning
    one nothing once seen."""
    out = tmp_path / "wru.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "dynamodb_write_units.py"), "--clicks", "30",
         "--shape-batches", "2", "--json", str(out)],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "visitors add" in done.stdout
    rows = json.loads(out.read_text())
    new = rows["shape: 1 link, same browser, a new visitor each click"]
    assert new["+visitors"]["wru_per_click"] - new["+countries"]["wru_per_click"] == 1.0
    back = rows["shape: 1 link, same browser, 3 returning visitors"]
    assert back["+visitors"]["wru_per_click"] - back["+countries"]["wru_per_click"] < 0.5
