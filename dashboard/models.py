from django.db import models


class WorkerHeartbeat(models.Model):
    """The last time a Celery worker ran the beat's heartbeat task; `/healthz` reports it."""

    name = models.CharField(max_length=100, primary_key=True)
    beat_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.beat_at:%Y-%m-%d %H:%M:%S}"
