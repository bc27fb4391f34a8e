"""/healthz answers JSON with database and broker reachability."""

import json
import os
import subprocess
import sys
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from dashboard import health
from dashboard.models import WorkerHeartbeat

pytestmark = pytest.mark.django_db


def test_it_answers_200_when_database_and_broker_are_up(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["broker"] == {"ok": True}
    assert body["checks"]["worker"] == {"ok": True, "detail": "no worker has reported yet"}
    assert response["Cache-Control"].startswith("max-age=0")


def test_it_answers_503_naming_a_redis_broker_that_is_down(client, settings):
    # Nothing listens on port 1: a real connection attempt that is refused.
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    response = client.get(reverse("healthz"))
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    body = response.json()
    assert body["down"] == ["broker"]
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["broker"]["ok"] is False


def test_it_answers_503_when_the_filesystem_broker_folder_is_missing(client, settings, tmp_path):
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"data_folder_in": str(tmp_path / "missing")}
    response = client.get(reverse("healthz"))
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response.json()["down"] == ["broker"]


def test_it_reports_when_a_worker_last_ran_the_heartbeat(client):
    health.record_heartbeat(name="worker")
    body = client.get(reverse("healthz")).json()
    assert body["worker_last_seen"] is not None


def test_it_answers_503_naming_the_worker_when_its_heartbeat_is_three_minutes_old(client):
    health.record_heartbeat(name="worker")
    WorkerHeartbeat.objects.update(beat_at=timezone.now() - timedelta(minutes=4))

    response = client.get(reverse("healthz"))

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    body = response.json()
    assert body["down"] == ["worker"]
    assert body["checks"]["worker"]["detail"] == "no heartbeat from worker for 4 min"

    health.record_heartbeat(name="worker")  # it came back
    assert client.get(reverse("healthz")).status_code == HTTPStatus.OK


def test_it_names_the_database_when_the_database_is_down(tmp_path):
    # A separate process whose DATABASE_URL points at a port where no PostgreSQL listens.
    script = (
        "import django, json; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/healthz');"
        "print(r.status_code, json.dumps(r.json()))"
    )
    env = {
        **os.environ,
        "DATABASE_URL": "postgresql://postgres@127.0.0.1:1/quartile",
        "DJANGO_SETTINGS_MODULE": "dashboard.settings",
        "CELERY_BROKER_FOLDER": str(tmp_path),
    }
    env.pop("REDIS_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    status, body = done.stdout.strip().splitlines()[-1].split(" ", 1)
    assert int(status) == HTTPStatus.SERVICE_UNAVAILABLE
    assert json.loads(body)["down"] == ["database"]


def test_with_the_redis_cache_away_sign_in_answers_the_503_page_not_a_500(client, settings):
    # Nothing listens on port 1: a real connection attempt that is refused.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }

    response = client.post(
        reverse("account_login"), {"login": "someone@example.com", "password": "wrong-password"}
    )

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert b"cannot reach its cache" in response.content
    assert response["Retry-After"] == "30"
