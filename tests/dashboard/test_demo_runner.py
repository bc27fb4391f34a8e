"""The demo runner keeps its processes up: one that dies is started again, and the log says so;
stopping the runner stops them all."""

import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_process_that_dies_is_restarted_and_stopping_ends_it(tmp_path):
    marks = tmp_path / "starts"
    script = f"""
        set -euo pipefail
        pids=()
        trap 'kill -TERM "${{pids[@]}}"; wait "${{pids[@]}}" || true; exit 0' TERM
        . {ROOT}/bin/supervise.sh
        supervise flaky sh -c 'echo started >> {marks}; exit 3'
        supervise steady sleep 313
        wait "${{pids[@]}}"
    """
    runner = subprocess.Popen(["bash", "-c", script], stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and _starts(marks) < 2:
            time.sleep(0.2)
    finally:
        runner.terminate()
        _, errors = runner.communicate(timeout=10)

    assert _starts(marks) >= 2
    assert "Quartile demo: flaky exited (status 3); restarting it in 4 s." in errors
    assert runner.returncode == 0
    leftovers = subprocess.run(["pgrep", "-f", "sleep 313"], capture_output=True, text=True)
    assert leftovers.stdout.strip() == ""


def _starts(marks: Path) -> int:
    return marks.read_text().count("started") if marks.exists() else 0
