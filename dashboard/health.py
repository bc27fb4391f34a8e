"""Reachability of what the application depends on, for `/healthz`."""

import os
from dataclasses import dataclass

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
