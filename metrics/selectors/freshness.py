"""How fresh a scope's numbers are and what its syncs are doing."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from accounts.models import Team, XAccount
from metrics.models import PostLookup, SyncRun
from metrics.selectors.cache import RUNNING_AT_MOST
from metrics.selectors.rows import AccountState, Freshness
from metrics.selectors.scope import Scope

# --- Freshness and sync progress -------------------------------------------------------------


def team_accounts(*, team: Team, account_ids: Sequence[int] | None = None) -> list[XAccount]:
    """The team's X accounts by username, each with its running sync's progress (one query).

    A run still "running" after RUNNING_AT_MOST died with its worker: it shows no progress.
    """
    running = SyncRun.objects.filter(
        account=OuterRef("pk"),
        outcome=SyncRun.Outcome.RUNNING,
        started_at__gte=timezone.now() - RUNNING_AT_MOST,
    ).order_by("-started_at")
    accounts = XAccount.objects.filter(team=team)
    if account_ids is not None:
        accounts = accounts.filter(pk__in=account_ids)
    # Through the (account, started_at) index: ordered by id, PostgreSQL walks every run.
    latest_run = SyncRun.objects.filter(account=OuterRef("pk")).order_by("-started_at", "-pk")
    latest_lookup = PostLookup.objects.filter(account=OuterRef("pk")).order_by("-requested_at")
    return list(
        accounts.annotate(
            running_pages_done=Subquery(running.values("pages_done")[:1]),
            running_pages_planned=Subquery(running.values("pages_planned")[:1]),
            # Part of its sync state (`account_version`): a sync that failed halfway, or a
            # Post an admin tracked, wrote without moving the account's own fields.
            latest_run_id=Subquery(latest_run.values("pk")[:1]),
            latest_lookup_id=Subquery(latest_lookup.values("pk")[:1]),
        ).order_by("username")
    )


def account_state(account: XAccount) -> AccountState:
    """An account from `team_accounts`: how fresh its data is and what its sync is doing."""
    done = getattr(account, "running_pages_done", None)
    return AccountState(
        account_id=account.pk,
        username=account.username,
        status=account.status,
        last_synced_at=account.last_synced_at,
        next_sync_at=account.next_sync_at,
        deferral_reason=account.deferral_reason,
        running=done is not None and bool(account.sync_claim),
        pages_done=done or 0,
        pages_planned=getattr(account, "running_pages_planned", None) or 0,
    )


def scope_freshness(*, scope: Scope) -> Freshness:
    """As fresh as the least recently synced account in scope (no query)."""
    states = tuple(account_state(a) for a in scope.accounts)
    synced = [s.last_synced_at for s in states if s.last_synced_at is not None]
    return Freshness(updated_at=min(synced) if synced else None, accounts=states)
