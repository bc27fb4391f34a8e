"""The Celery app: configuration comes from Django settings (`CELERY_*`).

Beat's schedule is defined here in code, so every deployment runs the same one.
"""

import os
from pathlib import Path

from celery import Celery
from celery.schedules import crontab

from dashboard.env import run_or_exit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")


def _configure(celery_app: Celery) -> Celery:
    import dashboard.settings  # noqa: F401  -- parse the environment first: one line on error

    celery_app.config_from_object("django.conf:settings", namespace="CELERY")
    if celery_app.conf.broker_url == "filesystem://":
        # kombu's filesystem transport expects its folders to exist.
        for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
            Path(celery_app.conf.broker_transport_options[key]).mkdir(parents=True, exist_ok=True)
    celery_app.autodiscover_tasks()
    return celery_app


app = run_or_exit(lambda: _configure(Celery("quartile")))

app.conf.beat_schedule = {
    "heartbeat": {"task": "dashboard.tasks.heartbeat", "schedule": crontab()},
    # Claims the accounts whose next_sync_at has come and queues their syncs.
    "schedule-syncs": {"task": "metrics.tasks.schedule_syncs", "schedule": crontab()},
}
