"""Celery adapters: take ids, call one service, own only the retry policy."""

import random

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from metrics import scheduler, sync

MAX_RETRIES = 3


def retry_countdown(retries: int) -> float:
    """Exponential backoff with full jitter, never beyond the broker's countdown ceiling."""
    return min(settings.CELERY_TASK_MAX_COUNTDOWN, random.uniform(1, 2 ** (retries + 2)))


def enqueue_sync(account_id: int, claim: str) -> None:
    sync_account.delay(account_id, claim)


@shared_task
def schedule_syncs() -> int:
    """Beat, every minute: claim the accounts that are due and queue their syncs."""
    return scheduler.enqueue_due_syncs(enqueue=enqueue_sync)


@shared_task(bind=True, max_retries=MAX_RETRIES)
def sync_account(self, account_id: int, claim: str) -> None:
    try:
        sync.sync_account(account_id=account_id, claim=claim)
    except sync.AccountBusy as exc:
        # Another live sync holds it; if that one died, its lease runs out at `until`.
        if self.request.retries < self.max_retries:
            wait = (exc.until - timezone.now()).total_seconds() + 1
            countdown = min(max(wait, 1), settings.CELERY_TASK_MAX_COUNTDOWN)
            raise self.retry(countdown=countdown, exc=exc) from exc
    except sync.TransientSyncError as exc:
        if self.request.retries < self.max_retries:
            raise self.retry(
                args=(account_id, exc.claim),
                countdown=retry_countdown(self.request.retries),
                exc=exc,
            ) from exc
        sync.sync_give_up(account_id=account_id, claim=exc.claim, error=str(exc))
