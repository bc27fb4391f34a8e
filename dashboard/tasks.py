from celery import shared_task

from dashboard import health


@shared_task
def heartbeat(name: str = "worker") -> None:
    """Proves a worker is consuming from the broker and can write to the database."""
    health.record_heartbeat(name=name)
