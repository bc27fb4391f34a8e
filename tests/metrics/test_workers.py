"""Real Celery worker processes keep accounts synced: one sync per account across workers, a
worker killed mid-sync leaves whole pages and the re-run reaches the same end state, and a
flushed Redis loses no due sync."""

import itertools
import os
import signal
import subprocess
import time

import pytest
import redis
from celery.schedules import crontab

from accounts.models import XAccount
from dashboard.celery import app as celery_app
from metrics import scheduler, tasks
from metrics.models import Post, PostSnapshot, SyncRun
from tests.factories import TeamFactory
from tests.metrics.syncing import end_state, run_sync, sandbox_account, worker_env
from tests.workers import celery_worker, client_app, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

NEEDS_REDIS = pytest.mark.skipif(
    not os.environ.get("REDIS_URL"), reason="redelivery needs the Redis broker (set REDIS_URL)"
)
BRAND, SMALL, ARCH = "quartile_brand", "quartile_small", "quartile_arch"


@pytest.fixture
def flushed_redis():
    """Each test starts with an empty broker, so no message of another test is consumed."""
    url = os.environ.get("REDIS_URL")
    if url:
        redis.Redis.from_url(url).flushdb()
    yield
    if url:
        redis.Redis.from_url(url).flushdb()


BROKERS = ["filesystem", pytest.param("redis", marks=NEEDS_REDIS)]


@pytest.mark.parametrize("broker", BROKERS)
def test_a_worker_fills_a_connected_account_from_the_beat_s_schedule(
    broker, x_sandbox, frozen, team, tmp_path, flushed_redis
):
    account = sandbox_account(x_sandbox, team, SMALL)
    log = tmp_path / "worker.log"
    with celery_worker(worker_env(x_sandbox, broker, tmp_path), log):
        client_app(broker, tmp_path).send_task("metrics.tasks.schedule_syncs")
        wait_until(
            lambda: XAccount.objects.get(pk=account.pk).last_synced_at is not None,
            timeout=60,
            log=log,
        )
    run = SyncRun.objects.get(account=account)
    assert run.outcome == SyncRun.Outcome.SUCCEEDED, f"{run.error}\n{log.read_text()}"
    assert Post.objects.filter(account=account).exists()


@NEEDS_REDIS
def test_two_workers_never_sync_one_account_at_once(x_sandbox, frozen, tmp_path, flushed_redis):
    accounts = [sandbox_account(x_sandbox, TeamFactory(), name) for name in (BRAND, SMALL, ARCH)]
    for n in range(3):
        x_sandbox.add_user(f"bench_{n}", posts=400)
        accounts.append(sandbox_account(x_sandbox, TeamFactory(), f"bench_{n}"))
    env = worker_env(x_sandbox, "redis", tmp_path)
    app = client_app("redis", tmp_path)
    with (
        celery_worker(env, tmp_path / "a.log", name="a", concurrency=2),
        celery_worker(env, tmp_path / "b.log", name="b", concurrency=2),
    ):
        # Each account's message twice, and the scheduler too: deliveries race for accounts.
        for account in accounts:
            claim = scheduler.claim_account(account.pk, due_only=False)
            app.send_task("metrics.tasks.sync_account", args=[account.pk, claim])
            app.send_task("metrics.tasks.sync_account", args=[account.pk, claim])
        app.send_task("metrics.tasks.schedule_syncs")
        wait_until(
            lambda: not XAccount.objects.filter(last_synced_at=None).exists(),
            timeout=120,
            log=tmp_path / "a.log",
        )
    for account in accounts:
        runs = list(SyncRun.objects.filter(account=account).order_by("started_at"))
        for earlier, later in itertools.pairwise(runs):
            assert earlier.finished_at is not None
            assert earlier.finished_at <= later.started_at, f"overlapping syncs of {account}"
    logs = (tmp_path / "a.log").read_text() + (tmp_path / "b.log").read_text()
    assert "succeeded" in logs


@NEEDS_REDIS
def test_a_worker_killed_mid_sync_leaves_whole_pages_and_the_rerun_reaches_the_sameend_state(
    x_sandbox, frozen, team, tmp_path, flushed_redis
):
    account = sandbox_account(x_sandbox, team, ARCH)
    # Slow pages, so the kill lands mid-sync.
    x_sandbox.fault("hang", count=40, seconds=0.25, path="/2/users/")
    env = worker_env(x_sandbox, "redis", tmp_path, SYNC_LEASE_SECONDS="6")
    log = tmp_path / "worker.log"
    with celery_worker(env, log) as worker:
        claim = scheduler.claim_account(account.pk, due_only=False)
        client_app("redis", tmp_path).send_task(
            "metrics.tasks.sync_account", args=[account.pk, claim]
        )
        wait_until(
            lambda: SyncRun.objects.filter(account=account, pages_done__gte=3).exists(),
            timeout=60,
            log=log,
        )
        child = int(subprocess.check_output(["pgrep", "-P", str(worker.pid)]).split()[0])
        os.kill(child, signal.SIGKILL)
        killed_at = time.monotonic()
        # Whole pages only: every stored Post has its metrics.
        assert not Post.objects.filter(account=account, latest__isnull=True).exists()
        wait_until(
            lambda: XAccount.objects.get(pk=account.pk).last_synced_at is not None,
            timeout=90,
            log=log,
        )
        recovered_in = time.monotonic() - killed_at
    assert recovered_in < 60
    x_sandbox.clear_faults()
    snapshots = PostSnapshot.objects.filter(post__account=account).count()

    clean = sandbox_account(x_sandbox, TeamFactory(), ARCH)
    run_sync(clean)
    assert end_state(account) == end_state(clean)
    assert snapshots == PostSnapshot.objects.filter(post__account=clean).count()


@NEEDS_REDIS
def test_a_flushed_redis_loses_no_due_sync(
    x_sandbox, frozen, team, tmp_path, settings, flushed_redis
):
    settings.SYNC_LEASE_SECONDS = 2
    account = sandbox_account(x_sandbox, team, SMALL)
    app = client_app("redis", tmp_path)
    # The beat claims the account and queues its sync, then Redis loses everything.
    scheduler.enqueue_due_syncs(
        enqueue=lambda a, c: app.send_task("metrics.tasks.sync_account", args=[a, c])
    )
    assert XAccount.objects.get(pk=account.pk).sync_claim != ""
    redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()
    time.sleep(2.5)  # the claim's lease runs out: the database knows the sync is still due

    with celery_worker(worker_env(x_sandbox, "redis", tmp_path), tmp_path / "w.log"):
        app.send_task("metrics.tasks.schedule_syncs")  # the next beat
        wait_until(
            lambda: XAccount.objects.get(pk=account.pk).last_synced_at is not None,
            timeout=60,
            log=tmp_path / "w.log",
        )


def test_the_beat_runs_the_scheduler_every_minute():
    entry = celery_app.conf.beat_schedule["schedule-syncs"]
    assert entry["task"] == tasks.schedule_syncs.name
    assert entry["schedule"] == crontab()  # every minute
