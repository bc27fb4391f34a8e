"""Celery is configured for at-least-once delivery, and a real worker process runs tasks end to
end on the Redis broker and on the embedded filesystem broker."""

import os
import uuid

import pytest
from django.conf import settings

from dashboard.celery import app
from dashboard.models import WorkerHeartbeat
from tests.workers import broker_env, celery_worker, client_app, wait_until


def test_tasks_are_acknowledged_late_and_returned_when_a_worker_dies():
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1


def test_only_json_crosses_the_broker():
    assert app.conf.task_serializer == "json"
    assert app.conf.accept_content == ["json"]
    assert app.conf.result_serializer == "json"


def test_every_task_has_soft_and_hard_time_limits():
    assert 0 < app.conf.task_soft_time_limit < app.conf.task_time_limit


def test_redis_visibility_timeout_outlasts_any_task_and_any_countdown(settings):
    # A message not acknowledged within the visibility timeout is delivered again, to another
    # worker: the hard time limit and every countdown must end before it does.
    settings_module = __import__("dashboard.settings", fromlist=["x"])
    if not settings_module.REDIS_URL:
        pytest.skip("REDIS_URL is not set: the filesystem broker has no visibility timeout")
    timeout = app.conf.broker_transport_options["visibility_timeout"]
    assert app.conf.task_time_limit < timeout
    assert timeout > settings_module.CELERY_TASK_MAX_COUNTDOWN


def test_beat_schedule_is_defined_in_code():
    assert "heartbeat" in app.conf.beat_schedule


BROKERS = [
    "filesystem",
    pytest.param(
        "redis",
        marks=pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL is not set"),
    ),
]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("broker", BROKERS)
def test_a_real_worker_process_runs_a_task_end_to_end(broker, tmp_path):
    name = f"test-{uuid.uuid4().hex[:8]}"
    with celery_worker(broker_env(broker, tmp_path), tmp_path / "worker.log", name=name):
        client_app(broker, tmp_path).send_task("dashboard.tasks.heartbeat", kwargs={"name": name})
        wait_until(
            lambda: WorkerHeartbeat.objects.filter(name=name).exists(),
            timeout=30,
            log=tmp_path / "worker.log",
        )


def test_the_broker_in_use_follows_redis_url():
    expected = os.environ.get("REDIS_URL") or "filesystem://"
    assert expected == settings.CELERY_BROKER_URL


def test_a_sync_lease_outlasts_the_longest_page():
    # A page is at most a request, its retry after a 401 and a token refresh in between.
    assert settings.SYNC_LEASE_SECONDS > 3 * settings.X_HTTP_TIMEOUT_SECONDS


def test_retry_countdowns_never_exceed_the_ceiling():
    from metrics.tasks import MAX_RETRIES, retry_countdown

    assert all(
        retry_countdown(n) <= settings.CELERY_TASK_MAX_COUNTDOWN
        for n in range(MAX_RETRIES + 5)
        for _ in range(50)
    )
