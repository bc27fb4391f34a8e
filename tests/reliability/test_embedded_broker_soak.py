"""The embedded broker (no Redis) under a long run: a real worker takes 30 minutes' worth of
beat's schedules, each with the syncs that come due, while a second producer floods the queue;
no message is lost, none crashes the worker (kombu #1551 ended the demo's worker after 24
minutes)."""

import threading

import pytest
from django.utils import timezone

from accounts.models import XAccount
from dashboard.models import WorkerHeartbeat
from metrics.models import SyncRun
from tests.metrics.syncing import sandbox_account, worker_env
from tests.workers import celery_worker, client_app, wait_until

pytestmark = [pytest.mark.reliability, pytest.mark.django_db(transaction=True)]

MINUTES = 30  # beat's schedules, one "minute" each: heartbeat and schedule_syncs
# Heartbeats sent meanwhile by another producer, as fast as it can. The worker polls the folder
# about once a second, so the flood is bounded to what it drains in a minute or so.
FLOOD = 60


def test_thirty_minutes_of_schedules_and_a_flood_lose_nothing_and_crash_nothing(
    x_sandbox, frozen, team, tmp_path
):
    accounts = [sandbox_account(x_sandbox, team, "quartile_small")]
    log = tmp_path / "worker.log"
    env = worker_env(x_sandbox, "filesystem", tmp_path)
    broker = client_app("filesystem", tmp_path)

    def flood():
        for n in range(FLOOD):
            broker.send_task("dashboard.tasks.heartbeat", args=[f"flood-{n % 10}"])

    with celery_worker(env, log, concurrency=2) as worker:
        flooder = threading.Thread(target=flood)
        flooder.start()
        for minute in range(MINUTES):
            # Each simulated minute every account is due, as after 15 real minutes.
            XAccount.objects.filter(pk__in=[a.pk for a in accounts]).update(
                next_sync_at=timezone.now()
            )
            broker.send_task("dashboard.tasks.heartbeat", args=[f"minute-{minute}"])
            broker.send_task("metrics.tasks.schedule_syncs")
            # A sync records its run as finished, then gives the account back with its next
            # time: the next "minute" starts once both are done, or the account's next time
            # would overwrite the minute's "due now".
            wait_until(
                lambda m=minute: (
                    SyncRun.objects.filter(finished_at__isnull=False).count()
                    >= (m + 1) * len(accounts)
                    and not XAccount.objects.filter(
                        pk__in=[a.pk for a in accounts], next_sync_at__lte=timezone.now()
                    ).exists()
                ),
                timeout=120,
                log=log,
            )
        flooder.join(timeout=60)
        wait_until(
            lambda: (
                WorkerHeartbeat.objects.filter(name__startswith="minute-").count() == MINUTES
                and WorkerHeartbeat.objects.filter(name__startswith="flood-").count() == 10
            ),
            timeout=120,
            log=log,
        )
        assert worker.poll() is None, "the worker is still running"

    runs = SyncRun.objects.all()
    assert runs.count() == MINUTES * len(accounts)
    assert set(runs.values_list("outcome", flat=True)) == {SyncRun.Outcome.SUCCEEDED}
    text = log.read_text(errors="replace")
    assert "Unrecoverable error" not in text and "JSONDecodeError" not in text
