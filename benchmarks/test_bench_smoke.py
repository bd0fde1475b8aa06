"""Smoke test of the benchmark harness: one tiny run of ``run.py --smoke`` end to end.

It checks that every part of the harness works (virtualenvs, set-up, the
in-process workers, gunicorn and the load generator, the memory soak, the
scale part when PostgreSQL answers, the report and the JSON), not what the
timings are. The virtualenvs are kept in ``$BENCH_VENVS`` (default: the
git-ignored ``benchmarks/results/venvs``) so a second run only reinstalls
our own distributions.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent
SYSTEMS = ("ours", "dot", "do2")
SCENARIOS = ("bare", "bearer_valid", "bearer_invalid", "password", "refresh")


def _postgres_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=2):
            return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, object], str]:
    results = tmp_path_factory.mktemp("bench")
    venvs = os.environ.get("BENCH_VENVS", str(BENCH / "results" / "venvs"))
    command = [sys.executable, str(BENCH / "run.py"), "--smoke", "--no-install-wrk"]
    command += ["--results", str(results), "--venvs", venvs]
    command.append("--scale" if _postgres_answers() else "--no-scale")
    finished = subprocess.run(command, capture_output=True, text=True, timeout=1200, check=False)
    assert finished.returncode == 0, finished.stdout[-3000:] + finished.stderr[-3000:]
    return json.loads((results / "smoke.json").read_text()), finished.stdout


@pytest.mark.slow
def test_every_system_is_timed_in_process(smoke: tuple[dict[str, object], str]) -> None:
    data, _ = smoke
    timings = data["inprocess"]["timings"]  # type: ignore[index]
    for system in SYSTEMS:
        for scenario in SCENARIOS:
            entry = timings[system]["fast"][scenario]
            assert entry["samples"] >= 1
            assert entry["median_ms"] > 0


@pytest.mark.slow
def test_query_counts_tell_the_views_apart(smoke: tuple[dict[str, object], str]) -> None:
    data, _ = smoke
    counts = data["inprocess"]["queries"]["per_system"]  # type: ignore[index]
    for system in SYSTEMS:
        assert counts[system]["bare"]["queries"] == 0
        assert counts[system]["bearer_valid"]["queries"] >= 1
        # Every grant stores at least an access token.
        assert counts[system]["password"]["writes"] >= 1
        assert counts[system]["refresh"]["writes"] >= 1
    # Ours: one query for a bearer request and no write.
    assert counts["ours"]["bearer_valid"]["queries"] == 1
    assert counts["ours"]["bearer_valid"]["writes"] == 0


@pytest.mark.slow
def test_http_load_got_expected_answers(smoke: tuple[dict[str, object], str]) -> None:
    data, _ = smoke
    http = data["http"]  # type: ignore[index]
    for system in SYSTEMS:
        for scenario in SCENARIOS:
            run = http["rps"][system]["fast"][scenario]
            assert run["ok"] > 0, (system, scenario, run)
            assert run["rps"] > 0
        assert http["peak_worker_rss_kib"][system] > 10_000
    soak = data["soak"]  # type: ignore[index]
    assert soak["requests"] == [50, 150]
    assert soak["bad"] == 0
    assert all(value > 0 for value in soak["rss_kib_after_total"])


@pytest.mark.slow
def test_scale_part_clears_every_expired_token(smoke: tuple[dict[str, object], str]) -> None:
    data, _ = smoke
    if not _postgres_answers():
        pytest.skip("PostgreSQL is not answering at 127.0.0.1:5432")
    scale = data["scale"]  # type: ignore[index]
    assert scale["bearer"]["large"]["tokens"] == 2_000
    assert scale["cleanup"]["remaining"]["expired"] == 0
    assert scale["cleanup"]["expired"] >= 1_900
    assert scale["cleanup"]["endpoint_before"]["ok"] > 0


@pytest.mark.slow
def test_report_prints_tables_and_every_target(smoke: tuple[dict[str, object], str]) -> None:
    data, printed = smoke
    for heading in ("In-process", "HTTP (gunicorn", "SQL per operation", "Targets (issue 6)"):
        assert heading in printed
    verdicts = {target["key"]: target["verdict"] for target in data["targets"]}  # type: ignore[index]
    assert len(verdicts) == 11
    assert set(verdicts.values()) <= {"PASS", "FAIL", "SKIP"}
