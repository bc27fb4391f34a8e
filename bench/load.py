"""A bounded load run on loopback: 50 signed-in people browse the overview, Post and export
pages for 60 seconds while Celery workers sync 50 accounts against the sandbox.

The site runs as in production (DEBUG=false, gunicorn, PostgreSQL, Redis), on this machine's
two cores together with the workers, the sandbox and the load generator. Printed: requests
served, p50/p95/p99 latency per page and overall, errors (target 0), and the syncs that came
due during the run against those completed.

    python -m bench load        (BENCH_LOAD_SECONDS, BENCH_LOAD_PEOPLE to change the run)
"""

import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests
from cryptography.fernet import Fernet

from bench.setup import bench_database, django_setup, table

ROOT = Path(__file__).resolve().parents[1]
SECONDS = int(os.environ.get("BENCH_LOAD_SECONDS", "60"))
PEOPLE = int(os.environ.get("BENCH_LOAD_PEOPLE", "50"))
ACCOUNTS = int(os.environ.get("BENCH_LOAD_ACCOUNTS", "50"))
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer")


def _start(command: list[str], env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def main() -> None:
    import redis

    work = Path(os.environ.get("BENCH_WORK_DIR", "/tmp/quartile-bench-load"))
    work.mkdir(parents=True, exist_ok=True)
    sandbox_port, web_port = _free_port(), _free_port()
    sandbox_url, site = f"http://127.0.0.1:{sandbox_port}", f"http://127.0.0.1:{web_port}"
    key = Fernet.generate_key().decode()
    # The seeding here and the site share the keys: sessions are signed, tokens encrypted.
    os.environ["TOKEN_ENCRYPTION_KEYS"] = key
    os.environ["SECRET_KEY"] = secrets.token_urlsafe(50)
    database_url = bench_database("quartile_bench_load")
    redis.Redis.from_url(REDIS_URL).flushdb()
    env = {
        **os.environ,
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "TOKEN_ENCRYPTION_KEYS": key,
        "SECURE_SSL_REDIRECT": "false",
        "SITE_URL": site,
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "VAR_DIR": str(work),
        "X_API_BASE_URL": sandbox_url,
        "X_CLIENT_ID": "quartile-demo-client",
        "X_CLIENT_SECRET": "quartile-demo-client-secret",
        "OAUTHLIB_INSECURE_TRANSPORT": "1",
        "LOG_LEVEL": "WARNING",
    }
    processes = [
        _start([sys.executable, "-m", "sandbox", "--host", "127.0.0.1", "--port",
                str(sandbox_port), "--quiet"], env, work / "sandbox.log"),
    ]  # fmt: skip
    try:
        _wait(f"{sandbox_url}/_sandbox/users")
        django_setup(database_url)
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=ROOT, env=env, check=True,
        )  # fmt: skip
        now = datetime.now(UTC).replace(microsecond=0)
        requests.post(f"{sandbox_url}/_sandbox/clock", json={"now": now.isoformat()}, timeout=10)
        slug, sessions, posts = _seed(sandbox_url, now)
        processes.append(
            _start([sys.executable, "-m", "gunicorn", "dashboard.wsgi:application", "--bind",
                    f"127.0.0.1:{web_port}", "--workers", "4", "--timeout", "60"],
                   env, work / "web.log")
        )  # fmt: skip
        processes.append(
            _start([sys.executable, "-m", "celery", "-A", "dashboard", "worker", "--concurrency",
                    "2", "--loglevel", "WARNING", "--without-gossip", "--without-mingle"],
                   env, work / "worker.log")
        )  # fmt: skip
        _wait(f"{site}/healthz")
        results, syncs = _load(site, slug, sessions, posts, env, now, sandbox_url)
    finally:
        for process in reversed(processes):
            _stop(process)
    _report(results, syncs)


def _seed(sandbox_url: str, now: datetime) -> tuple[str, list[str], list[int]]:
    """A team of PEOPLE members with ACCOUNTS X accounts, first-synced, and one session each."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from accounts import services
    from accounts.models import Membership, User
    from metrics import scheduler, sync
    from metrics.models import Post
    from tests._sandbox import SandboxClient
    from tests.metrics.syncing import sandbox_account

    settings.X_API_BASE_URL = sandbox_url
    settings.X_CLIENT_ID, settings.X_CLIENT_SECRET = (
        "quartile-demo-client", "quartile-demo-client-secret",
    )  # fmt: skip
    owner = User.objects.create_user("owner@bench.local", "a-long-enough-passphrase")
    team = services.team_create(name="Load", owner=owner)
    team.daily_post_read_budget = 10**9
    team.save()
    people = [owner] + [
        User.objects.create_user(f"person{n}@bench.local", "a-long-enough-passphrase")
        for n in range(1, PEOPLE)
    ]
    Membership.objects.bulk_create(Membership(team=team, user=p) for p in people[1:])
    sandbox = SandboxClient(sandbox_url)
    for n in range(ACCOUNTS):
        sandbox.add_user(f"load_{n:02d}", posts=400)
        account = sandbox_account(sandbox, team, f"load_{n:02d}")
        sync.sync_account(account_id=account.pk, claim=scheduler.claim_account(account.pk))
    sessions = []
    for person in people:
        store = SessionStore()
        store[SESSION_KEY] = str(person.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = person.get_session_auth_hash()
        store.create()
        sessions.append(store.session_key)
    posts = list(Post.objects.filter(account__team=team).values_list("pk", flat=True)[:500])
    return team.slug, sessions, posts


def _load(site, slug, sessions, posts, env, now, sandbox_url):
    from celery import Celery

    from accounts.models import XAccount
    from metrics.models import SyncRun

    # The syncs due during the run: every account, 15 minutes of X's time later.
    requests.post(
        f"{sandbox_url}/_sandbox/clock",
        json={"now": (now + timedelta(minutes=15)).isoformat()},
        timeout=10,
    )
    XAccount.objects.update(next_sync_at=datetime.now(UTC))
    beat = Celery(broker=env["REDIS_URL"], set_as_current=False)
    results: list[tuple[str, float, bool]] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + SECONDS
    pages = [
        ("overview", lambda: f"/t/{slug}/"),
        ("post", lambda: f"/t/{slug}/posts/{random.choice(posts)}/"),
        ("export", lambda: f"/t/{slug}/export/posts.csv"),
    ]

    def person(session_key: str, offset: int) -> None:
        http = requests.Session()
        http.cookies.set("sessionid", session_key)
        turn = offset
        while time.monotonic() < stop_at:
            name, path = pages[turn % len(pages)]
            turn += 1
            started = time.perf_counter()
            try:
                answer = http.get(site + path(), timeout=60, allow_redirects=False)
                ok = answer.status_code == 200
                if name == "export":
                    ok = ok and answer.text.count("\n") > 1  # the rows, not an error page
            except requests.RequestException:
                ok = False
            with lock:
                results.append((name, time.perf_counter() - started, ok))
                if not ok and len([r for r in results if not r[2]]) == 1:
                    print(f"first error: {name} {getattr(answer, 'status_code', '?')}", flush=True)

    started_at = datetime.now(UTC)
    threads = [threading.Thread(target=person, args=(s, n)) for n, s in enumerate(sessions)]
    for thread in threads:
        thread.start()
    while time.monotonic() < stop_at:
        beat.send_task("metrics.tasks.schedule_syncs")  # the beat, a little more often
        time.sleep(10)
    for thread in threads:
        thread.join()
    runs = SyncRun.objects.filter(started_at__gte=started_at)
    syncs = {
        "due": XAccount.objects.count(),
        "completed": runs.filter(outcome="succeeded").values("account").distinct().count(),
        "failed": runs.exclude(outcome__in=["succeeded", "running"]).count(),
    }
    return results, syncs


def _report(results, syncs) -> None:
    def row(name, rows):
        times = sorted(t * 1000 for _, t, _ in rows)
        q = statistics.quantiles(times, n=100) if len(times) > 1 else times * 99
        errors = sum(1 for *_, ok in rows if not ok)
        return (name, len(rows), f"{q[49]:.0f}", f"{q[94]:.0f}", f"{q[98]:.0f}", errors)

    rows = [
        row(name, [r for r in results if r[0] == name]) for name in ("overview", "post", "export")
    ]
    rows.append(row("all", results))
    print(table(["page", "requests", "p50 ms", "p95 ms", "p99 ms", "errors"], rows))
    print(
        f"\n{PEOPLE} people for {SECONDS} s: {len(results)} requests "
        f"({len(results) / SECONDS:.1f}/s). Syncs: {syncs['completed']} of {syncs['due']} "
        f"accounts due completed during the run, {syncs['failed']} failed."
    )


if __name__ == "__main__":
    main()
