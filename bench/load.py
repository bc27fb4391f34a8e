"""A bounded load run on loopback: 50 signed-in people browse the overview, Post and export
pages for 60 seconds while Celery workers sync 50 accounts against the sandbox.

The site runs as in production (DEBUG=false, gunicorn with ./gunicorn.conf.py, PostgreSQL,
Redis), on this machine's two cores together with the workers, the sandbox and the load
generator. Two runs of 60 s each, both while all 50 accounts come due and sync:

- browsing: each person reads a page for 1 to 5 s before the next (Locust's `between(1, 5)`),
  what people clicking through the site do;
- saturation: no pause at all, each person asks again as soon as a page arrives. Latency then
  only says how long the queue is (Little's law); requests per second is the site's capacity.

Printed per run: requests served, p50/p95/p99 latency per page and overall, errors (target 0),
and the syncs that came due during the run against those completed.

    python -m bench load

BENCH_LOAD_SECONDS, BENCH_LOAD_PEOPLE, BENCH_LOAD_ACCOUNTS and BENCH_LOAD_RUNS (browsing,
saturation) change the run; WEB_CONCURRENCY and WEB_THREADS size gunicorn.
"""

import os
import random
import secrets
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import requests
from cryptography.fernet import Fernet

from bench.setup import bench_database, django_setup, table

ROOT = Path(__file__).resolve().parents[1]
SECONDS = int(os.environ.get("BENCH_LOAD_SECONDS", "60"))
PEOPLE = int(os.environ.get("BENCH_LOAD_PEOPLE", "50"))
ACCOUNTS = int(os.environ.get("BENCH_LOAD_ACCOUNTS", "50"))
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5")
# (name, seconds a person spends on a page before the next): see the docstring.
RUNS = (("browsing", (1.0, 5.0)), ("saturation", (0.0, 0.0)))
CHOSEN_RUNS = os.environ.get("BENCH_LOAD_RUNS", ",".join(name for name, _ in RUNS)).split(",")


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


def main() -> None:
    import redis

    from tests.workers import free_port, stop_process_group

    work = Path(os.environ.get("BENCH_WORK_DIR", "/tmp/quartile-bench-load"))
    work.mkdir(parents=True, exist_ok=True)
    sandbox_port, web_port = free_port(), free_port()
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
    processes = {
        "sandbox": _start([sys.executable, "-m", "sandbox", "--host", "127.0.0.1", "--port",
                           str(sandbox_port), "--quiet"], env, work / "sandbox.log"),
    }  # fmt: skip
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
        processes["web"] = _start(
            [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{web_port}"],
            env, work / "web.log",
        )  # fmt: skip
        processes["workers"] = _start(
            [sys.executable, "-m", "celery", "-A", "dashboard", "worker", "--concurrency", "2",
             "--loglevel", "WARNING", "--without-gossip", "--without-mingle"],
            env, work / "worker.log",
        )  # fmt: skip
        _wait(f"{site}/healthz")
        runs = []
        for number, (name, think) in enumerate(RUNS, start=1):
            if name not in CHOSEN_RUNS:
                continue
            # The syncs due during the run: every account, 15 minutes of X's time later.
            x_now = now + timedelta(minutes=15 * number)
            cpu = CpuMeter(processes, database=urlsplit(database_url).path.lstrip("/"))
            results, syncs = _load(site, slug, sessions, posts, env, x_now, sandbox_url, think, cpu)
            runs.append((name, think, results, syncs, cpu.used()))
    finally:
        for process in reversed(processes.values()):
            stop_process_group(process)
    for run in runs:
        _report(*run)


class CpuMeter:
    """CPU seconds each part of the run uses from now on, read from Linux's /proc: every process
    of each started session, the PostgreSQL backends of the bench database (sampled, since they
    come and go), and this process, the load generator."""

    def __init__(self, processes: dict[str, subprocess.Popen], database: str):
        self.sessions = {process.pid: name for name, process in processes.items()}
        self.database = f" {database} ".encode()
        self.start = self._read()
        self.last = dict(self.start)
        self.own_start = sum(os.times()[:2])

    def sample(self) -> None:
        self.last.update(self._read())

    def used(self) -> dict[str, float]:
        self.sample()
        used = dict.fromkeys([*self.sessions.values(), "PostgreSQL"], 0.0)
        for pid, (part, seconds) in self.last.items():
            used[part] += seconds - self.start.get(pid, (part, 0.0))[1]
        used["load generator"] = sum(os.times()[:2]) - self.own_start
        return used

    def _read(self) -> dict[int, tuple[str, float]]:
        tick = os.sysconf("SC_CLK_TCK")
        seen = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rpartition(")")[2].split()
                command = (entry / "cmdline").read_bytes()
            except OSError:
                continue  # ended meanwhile
            session, seconds = int(fields[3]), (int(fields[11]) + int(fields[12])) / tick
            if session in self.sessions:
                seen[int(entry.name)] = (self.sessions[session], seconds)
            elif command.startswith(b"postgres: ") and self.database in command:
                seen[int(entry.name)] = ("PostgreSQL", seconds)
        return seen


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


def _load(site, slug, sessions, posts, env, x_now, sandbox_url, think, cpu):
    from celery import Celery

    from accounts.models import XAccount
    from metrics.models import SyncRun

    requests.post(f"{sandbox_url}/_sandbox/clock", json={"now": x_now.isoformat()}, timeout=10)
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
        time.sleep(random.uniform(*think))  # people do not all arrive in the same instant
        while time.monotonic() < stop_at:
            name, path = pages[turn % len(pages)]
            turn += 1
            started = time.perf_counter()
            status, lines = "?", 0
            try:
                with http.get(site + path(), timeout=60, allow_redirects=False, stream=True) as a:
                    status = a.status_code
                    for chunk in a.iter_content(chunk_size=1 << 16):
                        lines += chunk.count(b"\n")
                ok = status == 200 and (name != "export" or lines > 1)  # rows, not an error
            except requests.RequestException as exc:
                ok, status = False, type(exc).__name__
            with lock:
                results.append((name, time.perf_counter() - started, ok))
                if not ok and sum(1 for r in results if not r[2]) == 1:
                    print(f"first error: {name} {status}", flush=True)
            time.sleep(random.uniform(*think))

    started_at = datetime.now(UTC)
    threads = [threading.Thread(target=person, args=(s, n)) for n, s in enumerate(sessions)]
    for thread in threads:
        thread.start()
    second = 0
    while time.monotonic() < stop_at:
        if second % 10 == 0:
            beat.send_task("metrics.tasks.schedule_syncs")  # the beat, a little more often
        cpu.sample()
        time.sleep(1)
        second += 1
    for thread in threads:
        thread.join()
    runs = SyncRun.objects.filter(started_at__gte=started_at)
    syncs = {
        "due": XAccount.objects.count(),
        "completed": runs.filter(outcome="succeeded").values("account").distinct().count(),
        "failed": runs.exclude(outcome__in=["succeeded", "running"]).count(),
    }
    return results, syncs


def _report(run, think, results, syncs, cpu) -> None:
    def row(name, rows):
        times = sorted(t * 1000 for _, t, _ in rows)
        errors = sum(1 for *_, ok in rows if not ok)
        if not times:  # a short run may not reach every page
            return (name, 0, "-", "-", "-", errors)
        q = statistics.quantiles(times, n=100) if len(times) > 1 else times * 99
        return (name, len(rows), f"{q[49]:.0f}", f"{q[94]:.0f}", f"{q[98]:.0f}", errors)

    rows = [
        row(name, [r for r in results if r[0] == name]) for name in ("overview", "post", "export")
    ]
    rows.append(row("all", results))
    pause = f"{think[0]:g} to {think[1]:g} s on each page" if think[1] else "no pause"
    print(f"\n{run} ({pause}):")
    print(table(["page", "requests", "p50 ms", "p95 ms", "p99 ms", "errors"], rows))
    print(
        f"\n{PEOPLE} people for {SECONDS} s: {len(results)} requests "
        f"({len(results) / SECONDS:.1f}/s). Syncs: {syncs['completed']} of {syncs['due']} "
        f"accounts due completed during the run, {syncs['failed']} failed."
    )
    available = SECONDS * (os.cpu_count() or 1)
    parts = ", ".join(f"{name} {seconds:.1f}" for name, seconds in cpu.items())
    print(f"CPU seconds used during the run ({available} available): {parts}.")


if __name__ == "__main__":
    main()
