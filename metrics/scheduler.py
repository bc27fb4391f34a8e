"""Which accounts sync now. The database decides; the queue only carries the decision.

Beat calls `enqueue_due_syncs` every minute. An account is due when it is active, its
`next_sync_at` has come (or was never set) and no live claim holds it. A claim is a
compare-and-set on the row, so two schedulers, or a scheduler and "Refresh now", cannot both
start a sync of one account. If a message is lost (Redis flushed or restarted), the claim's
lease runs out and the next beat claims and enqueues the account again.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import XAccount
from metrics.models import SyncRun
from metrics.sync import lease


def _claimable(now: datetime) -> Q:
    return Q(status=XAccount.Status.ACTIVE) & (
        Q(sync_claimed_until__isnull=True) | Q(sync_claimed_until__lt=now)
    )


def claim_account(
    account_id: int, *, now: datetime | None = None, due_only: bool = True
) -> str | None:
    """Claim one account for a sync; the claim token, or None if it is not claimable."""
    now = now or timezone.now()
    due = Q(next_sync_at__isnull=True) | Q(next_sync_at__lte=now) if due_only else Q()
    current = (
        XAccount.objects.filter(_claimable(now) & due, pk=account_id)
        .values("sync_claim", "sync_claimed_until")
        .first()
    )
    if current is None:
        return None
    claim = uuid.uuid4().hex
    # Compare-and-set: only if nobody claimed it since we looked.
    won = XAccount.objects.filter(
        pk=account_id,
        sync_claim=current["sync_claim"],
        sync_claimed_until=current["sync_claimed_until"],
    ).update(sync_claim=claim, sync_claimed_until=now + lease())
    return claim if won else None


def due_account_ids(*, now: datetime, limit: int) -> list[int]:
    return list(
        XAccount.objects.filter(
            _claimable(now), Q(next_sync_at__isnull=True) | Q(next_sync_at__lte=now)
        )
        .order_by(F("next_sync_at").asc(nulls_first=True))
        .values_list("pk", flat=True)[:limit]
    )


def enqueue_due_syncs(*, enqueue: Callable[[int, str], None], limit: int = 500) -> int:
    """Claim every due account and hand each claim to `enqueue` once the claim is committed."""
    now = timezone.now()
    started = 0
    for account_id in due_account_ids(now=now, limit=limit):
        claim = claim_account(account_id, now=now)
        if claim is not None:
            transaction.on_commit(lambda a=account_id, c=claim: enqueue(a, c))
            started += 1
    return started


def request_sync_now(account: XAccount, *, enqueue: Callable[[int, str], None]) -> bool:
    """ "Refresh now": start a sync at once, unless one is running. True if one was started."""
    XAccount.objects.filter(pk=account.pk, status=XAccount.Status.ACTIVE).update(
        next_sync_at=timezone.now()
    )
    claim = claim_account(account.pk, due_only=False)
    if claim is None:
        return False
    transaction.on_commit(lambda: enqueue(account.pk, claim))
    return True


# "Refresh now" at most this often per account: each sync spends the account's X rate limits,
# and a sync minutes after the last one finds next to nothing new.
REFRESH_INTERVAL = timedelta(minutes=5)


@dataclass(frozen=True)
class RefreshAnswer:
    started: bool
    not_before: datetime | None = None  # too soon after the last sync: possible from then


def refresh_on_request(account: XAccount, *, enqueue: Callable[[int, str], None]) -> RefreshAnswer:
    """A person's "Refresh now": a sync at once, unless one started less than REFRESH_INTERVAL
    ago (then when the next is possible) or one is running."""
    last = SyncRun.objects.filter(account=account).order_by("-started_at").first()
    if last is not None and last.started_at + REFRESH_INTERVAL > timezone.now():
        return RefreshAnswer(False, not_before=last.started_at + REFRESH_INTERVAL)
    return RefreshAnswer(request_sync_now(account, enqueue=enqueue))
