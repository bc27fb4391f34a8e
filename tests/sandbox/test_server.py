"""Running the sandbox: standalone with `python -m sandbox`, in a thread, and fast."""

import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from sandbox import SandboxConfig, create_app, start_in_thread
from tests.sandbox.flows import (
    ALL_MEDIA_FIELDS,
    ALL_POST_FIELDS,
    ARCHIVE,
    bearer,
    freeze_after_anchor,
    timeline,
)
from tests.workers import free_port

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _start_cli(port: int, **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "sandbox", "--host", "127.0.0.1", "--port", str(port), "--quiet"],
        cwd=PROJECT_ROOT,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_until_up(base_url: str) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            requests.get(f"{base_url}/_sandbox/clock", timeout=0.5)
            return
        except requests.ConnectionError:
            time.sleep(0.05)
    raise AssertionError("the sandbox did not start")


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_python_m_sandbox_serves_until_a_signal_then_exits_cleanly(stop_signal):
    port = free_port()
    process = _start_cli(port)
    try:
        _wait_until_up(f"http://127.0.0.1:{port}")
        users = requests.get(f"http://127.0.0.1:{port}/_sandbox/users").json()["users"]
        assert users[0]["username"] == "quartile_brand"
        process.send_signal(stop_signal)
        assert process.wait(timeout=10) == 0
    finally:
        process.kill()
        process.wait()
    assert "Traceback" not in process.stderr.read()


def test_a_bad_setting_stops_start_up_with_a_message():
    process = _start_cli(free_port(), SANDBOX_TIER="gold")
    assert process.wait(timeout=10) == 2
    assert "SANDBOX_TIER must be one of" in process.stderr.read()


def test_start_in_thread_serves_on_a_free_port_until_stopped():
    server = start_in_thread(create_app(SandboxConfig()))
    assert requests.get(f"{server.base_url}/_sandbox/clock").status_code == 200
    server.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{server.base_url}/_sandbox/clock", timeout=1)


def test_100_posts_with_every_field_answer_in_well_under_50_ms(sandbox_clean):
    freeze_after_anchor(sandbox_clean)
    token = sandbox_clean.mint_token(ARCHIVE)
    ids = [
        p["id"]
        for p in timeline(sandbox_clean, ARCHIVE, token, **{"tweet.fields": "non_public_metrics"})
    ][:100]
    params = {
        "ids": ",".join(ids),
        "tweet.fields": ALL_POST_FIELDS,
        "expansions": "attachments.media_keys,author_id,referenced_tweets.id",
        "media.fields": ALL_MEDIA_FIELDS,
        "user.fields": "public_metrics,profile_image_url",
    }
    session = requests.Session()
    timings = []
    for _ in range(7):
        started = time.perf_counter()
        answer = session.get(sandbox_clean.url("/2/tweets"), params=params, headers=bearer(token))
        timings.append(time.perf_counter() - started)
        assert len(answer.json()["data"]) == 100
    print(f"\n/2/tweets?ids= x100, every field: median {statistics.median(timings) * 1000:.1f} ms")
    assert statistics.median(timings) < 0.05
