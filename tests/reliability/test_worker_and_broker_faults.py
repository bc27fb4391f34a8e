"""Workers and the broker fail; syncs come back by themselves and nothing is lost or doubled."""

import os
import signal
import time

import pytest
from celery import Celery

from accounts.models import XAccount
from metrics import scheduler
from metrics.models import Post, PostSnapshot, SyncRun
from tests.factories import TeamFactory
from tests.metrics.syncing import end_state, run_sync, sandbox_account, worker_env
from tests.workers import celery_worker, wait_until

pytestmark = [pytest.mark.reliability, pytest.mark.django_db(transaction=True)]

ARCH, SMALL, BRAND = "quartile_arch", "quartile_small", "quartile_brand"


def _env(sandbox, private_redis, tmp_path, **extra):
    return {**worker_env(sandbox, "filesystem", tmp_path, **extra), "REDIS_URL": private_redis.url}


def _send(private_redis, tmp_path, task, *args):
    Celery(broker=private_redis.url, set_as_current=False).send_task(task, args=list(args))


def test_a_whole_worker_killed_mid_sync_is_rerun_within_a_minute(
    x_sandbox, frozen, team, tmp_path, private_redis
):
    account = sandbox_account(x_sandbox, team, ARCH)
    x_sandbox.fault("hang", count=60, seconds=0.25, path="/2/users/")
    env = _env(x_sandbox, private_redis, tmp_path)
    with celery_worker(env, tmp_path / "a.log", name="a") as first:
        claim = scheduler.claim_account(account.pk, due_only=False)
        _send(private_redis, tmp_path, "metrics.tasks.sync_account", account.pk, claim)
        wait_until(
            lambda: SyncRun.objects.filter(account=account, pages_done__gte=3).exists(),
            timeout=60,
            log=tmp_path / "a.log",
        )
        os.killpg(first.pid, signal.SIGKILL)  # the whole worker, parent and children
        killed = time.monotonic()
    with celery_worker(env, tmp_path / "b.log", name="b"):
        wait_until(
            lambda: SyncRun.objects.filter(account=account).count() >= 2,
            timeout=90,
            log=tmp_path / "b.log",
        )
        rerun_after = time.monotonic() - killed
        wait_until(
            lambda: XAccount.objects.get(pk=account.pk).last_synced_at is not None,
            timeout=60,
            log=tmp_path / "b.log",
        )
    assert rerun_after < 60, f"the sync came back after {rerun_after:.0f} s"
    x_sandbox.clear_faults()
    clean = sandbox_account(x_sandbox, TeamFactory(), ARCH)
    run_sync(clean)
    assert end_state(account) == end_state(clean)
    snapshots = PostSnapshot.objects.filter
    assert snapshots(post__account=account).count() == snapshots(post__account=clean).count()


def test_a_redis_restart_during_syncs_loses_nothing(
    x_sandbox, frozen, tmp_path, private_redis, settings
):
    settings.SYNC_LEASE_SECONDS = 5
    accounts = [sandbox_account(x_sandbox, TeamFactory(), name) for name in (BRAND, SMALL, ARCH)]
    x_sandbox.fault("hang", count=20, seconds=0.2, path="/2/users/")
    env = _env(x_sandbox, private_redis, tmp_path, SYNC_LEASE_SECONDS="5")
    with celery_worker(env, tmp_path / "w.log", concurrency=2):
        for account in accounts:
            claim = scheduler.claim_account(account.pk, due_only=False)
            _send(private_redis, tmp_path, "metrics.tasks.sync_account", account.pk, claim)
        wait_until(lambda: SyncRun.objects.exists(), timeout=30)
        private_redis.stop()  # restarted empty: every queued and unacked message is gone
        time.sleep(2)
        private_redis.start()
        # The beat's next ticks: whatever is still due is claimed and queued again.
        deadline = time.monotonic() + 120
        while XAccount.objects.filter(last_synced_at=None).exists():
            assert time.monotonic() < deadline, (tmp_path / "w.log").read_text()[-4000:]
            _send(private_redis, tmp_path, "metrics.tasks.schedule_syncs")
            time.sleep(3)
    x_sandbox.clear_faults()
    for account in accounts:
        clean = sandbox_account(x_sandbox, TeamFactory(), account.username)
        run_sync(clean)
        assert end_state(account) == end_state(clean)


def test_x_failing_for_some_accounts_leaves_each_in_its_state_and_delays_no_other(
    x_sandbox, frozen, tmp_path, private_redis
):
    for n in range(4):
        x_sandbox.add_user(f"faulty_{n}", posts=150)
    hanging, limited, revoked, healthy = (
        sandbox_account(x_sandbox, TeamFactory(), f"faulty_{n}") for n in range(4)
    )
    timeline = "/2/users/{}/tweets"
    x_sandbox.fault("hang", count=100, seconds=8, path=timeline.format(hanging.x_user_id))
    x_sandbox.fault("429", count=100, path=timeline.format(limited.x_user_id))
    x_sandbox.fault("revoked", count=100, path=timeline.format(revoked.x_user_id))
    env = _env(x_sandbox, private_redis, tmp_path, X_HTTP_TIMEOUT_SECONDS="3")
    with celery_worker(env, tmp_path / "w.log", concurrency=2):
        started = time.monotonic()
        for account in (hanging, limited, revoked, healthy):
            claim = scheduler.claim_account(account.pk, due_only=False)
            _send(private_redis, tmp_path, "metrics.tasks.sync_account", account.pk, claim)
        wait_until(
            lambda: XAccount.objects.get(pk=healthy.pk).last_synced_at is not None,
            timeout=30,
            log=tmp_path / "w.log",
        )
        healthy_after = time.monotonic() - started
        wait_until(
            lambda: (
                XAccount.objects.get(pk=revoked.pk).status == XAccount.Status.NEEDS_REAUTH
                and XAccount.objects.get(pk=limited.pk).rate_limited_until is not None
            ),
            timeout=60,
            log=tmp_path / "w.log",
        )
        # The hanging account times out, retries with backoff, then waits with a reason.
        wait_until(
            lambda: "failed repeatedly" in XAccount.objects.get(pk=hanging.pk).deferral_reason,
            timeout=150,
            log=tmp_path / "w.log",
        )
    assert healthy_after < 15, f"the healthy account waited {healthy_after:.0f} s"
    assert Post.objects.filter(account=healthy).count() > 100
    limited.refresh_from_db()
    assert "rate limited" in limited.deferral_reason
    hanging.refresh_from_db()
    assert hanging.sync_claim == "" and hanging.next_sync_at is not None
