"""Every benchmark still runs: at a small scale, on their own databases, each prints its table.

A benchmark is only run by hand (`make bench`), so a schema change can break one unnoticed
(the dashboard seed once inserted columns a migration had removed)."""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.db import connection

from tests.workers import stop_process_group

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def _small_run_env() -> dict[str, str]:
    database = urlsplit(os.environ["DATABASE_URL"])
    redis = urlunsplit(urlsplit(settings.REDIS_URL)._replace(path="/7"))  # its own Redis db
    return {
        **os.environ,
        "BENCH_DATABASE_SERVER": urlunsplit(database._replace(path="/postgres")),
        "BENCH_DATABASE_SUFFIX": "_small_test",  # never the developer's full-scale databases
        "BENCH_REDIS_URL": redis,
        "REDIS_URL": redis,
        "BENCH_SCALE": "0.01",
        "BENCH_RUNS": "2",
        "BENCH_SYNC_ACCOUNTS": "2",
        "BENCH_LOAD_SECONDS": "5",
        "BENCH_LOAD_PEOPLE": "3",
        "BENCH_LOAD_ACCOUNTS": "2",
        "BENCH_TRUTH_DAYS": "2",
        "BENCH_TRUTH_EVERY_HOURS": "6",
    }


def test_every_benchmark_runs_at_a_small_scale_and_prints_its_figures(tmp_path):
    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        pytest.skip("the benchmarks measure PostgreSQL and Redis")
    env = {**_small_run_env(), "BENCH_WORK_DIR": str(tmp_path)}

    # In a session of its own: a timeout stops every benchmark it started, not only the first.
    process = subprocess.Popen(
        [sys.executable, "-m", "bench"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        stdout, stderr = process.communicate(timeout=600)
    finally:
        stop_process_group(process)
    ran = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)

    assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-3000:]
    for name in ("dashboard", "export", "load", "sync", "truth"):
        assert f"=== bench {name} ===" in ran.stdout
        assert f"(bench {name}: " in ran.stdout, f"{name} did not finish"
    assert "p95 ms" in ran.stdout
    assert "first error" not in ran.stdout, "the load run served every request"
    assert "truth: worst daily error" in ran.stdout
