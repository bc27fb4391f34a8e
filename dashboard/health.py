"""Reachability of what the application depends on, for `/healthz`."""

import os
from dataclasses import dataclass
from datetime import timedelta

import redis
from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

from dashboard.models import WorkerHeartbeat


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    detail: str = ""


def check_database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        return Check("database", ok=False, detail=type(exc).__name__)
    return Check("database", ok=True)


def check_broker() -> Check:
    url = settings.CELERY_BROKER_URL
    if url.startswith(("redis://", "rediss://")):
        try:
            redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()
        except redis.RedisError as exc:
            return Check("broker", ok=False, detail=type(exc).__name__)
        return Check("broker", ok=True)
    folder = settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"]
    if not os.access(folder, os.W_OK):
        return Check("broker", ok=False, detail=f"broker folder not writable: {folder}")
    return Check("broker", ok=True)


def record_heartbeat(*, name: str) -> None:
    WorkerHeartbeat.objects.update_or_create(name=name, defaults={"beat_at": timezone.now()})


def last_heartbeat() -> WorkerHeartbeat | None:
    try:
        return WorkerHeartbeat.objects.order_by("-beat_at").first()
    except DatabaseError:
        return None


# Beat asks a worker for a heartbeat every minute: three missed in a row mean no worker runs
# (or no beat), so no sync will either.
HEARTBEAT_STALE_AFTER = timedelta(minutes=3)


def check_worker(heartbeat: WorkerHeartbeat | None) -> Check:
    """Down when the last heartbeat is older than HEARTBEAT_STALE_AFTER. None yet (a fresh
    install, before beat's first minute) is not down: there is nothing that stopped."""
    if heartbeat is None:
        return Check("worker", ok=True, detail="no worker has reported yet")
    age = timezone.now() - heartbeat.beat_at
    if age > HEARTBEAT_STALE_AFTER:
        minutes = int(age.total_seconds() // 60)
        return Check(
            "worker", ok=False, detail=f"no heartbeat from {heartbeat.name} for {minutes} min"
        )
    return Check("worker", ok=True)
