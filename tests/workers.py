"""Real Celery worker processes for integration tests.

The worker is started as `celery -A dashboard worker` in a child process, with the environment
pointed at the test database and a broker, as production would run it.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from celery import Celery
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]


def database_url_for_workers() -> str:
    """A DATABASE_URL naming the database this test process is using."""
    conf = connection.settings_dict
    if conf["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{conf['NAME']}"
    user = conf.get("USER") or "postgres"
    password = f":{conf['PASSWORD']}" if conf.get("PASSWORD") else ""
    host = conf.get("HOST") or "127.0.0.1"
    port = conf.get("PORT") or 5432
    return f"postgresql://{user}{password}@{host}:{port}/{conf['NAME']}"


def broker_env(kind: str, folder: Path) -> dict[str, str]:
    """Environment that selects the broker: "redis" (REDIS_URL) or "filesystem" (in `folder`)."""
    if kind == "redis":
        return {"REDIS_URL": os.environ["REDIS_URL"]}
    return {"REDIS_URL": "", "CELERY_BROKER_FOLDER": str(folder)}


def client_app(kind: str, folder: Path) -> Celery:
    """A Celery app that sends to the same broker as a worker started with `broker_env`."""
    if kind == "redis":
        return Celery(broker=os.environ["REDIS_URL"], set_as_current=False)
    out = str(folder / "out")
    app = Celery(
        broker="filesystem://",
        set_as_current=False,
        broker_transport_options={
            "data_folder_in": out,
            "data_folder_out": out,
            "control_folder": str(folder / "control"),
        },
    )
    app.conf.broker_transport = "dashboard.broker:Transport"  # what the site sends with
    return app


@contextmanager
def celery_worker(
    env: dict[str, str], log: Path, *, concurrency: int = 1, name: str = "test", beat: bool = False
) -> Iterator[subprocess.Popen]:
    full_env = {**os.environ, "DATABASE_URL": database_url_for_workers(), **env}
    command = [
        sys.executable, "-m", "celery", "-A", "dashboard", "worker",
        "--loglevel", "INFO", "--concurrency", str(concurrency), "--hostname", f"{name}@%h",
        "--without-gossip", "--without-mingle",
    ]  # fmt: skip
    if beat:
        command += ["--beat", "--schedule", str(log.parent / f"{name}-beat-schedule")]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=full_env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        wait_for_log(log, "ready.", timeout=60, process=process)
        yield process
    finally:
        stop_process_group(process)


def free_port() -> int:
    """A TCP port on loopback that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_log(log: Path, text: str, *, timeout: float, process=None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in log.read_text(errors="replace"):
            return
        if process is not None and process.poll() is not None:
            break
        time.sleep(0.2)
    raise AssertionError(f"{text!r} not seen in {log}:\n{log.read_text(errors='replace')[-3000:]}")


def stop_process_group(process: subprocess.Popen, *, timeout: float = 20) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=timeout)


def wait_until(
    predicate, *, timeout: float, interval: float = 0.2, message: str = "", log: Path | None = None
) -> None:
    """Poll `predicate` until it holds; on timeout, fail with `message` and the end of `log`
    as it is then (read at the failure, not when the wait began)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    if log is not None:
        message = f"{message}\n{log.read_text(errors='replace')[-4000:]}".strip()
    raise AssertionError(message or "condition not met in time")
