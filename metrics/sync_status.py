"""What the Accounts page says about each account's syncing: health, progress and spend."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.models import Team, XAccount
from metrics.models import SyncRun, billed_post_reads

# Beat claims due accounts every minute: a next sync this far past its time means no scheduler
# or no worker runs it.
OVERDUE_AFTER = timedelta(minutes=5)

# X's pay-per-use price of one Post read (docs/x-api.md §2.7); Owned Reads do not apply to the
# accounts of a multi-user dashboard.
PRICE_PER_POST_READ = Decimal("0.005")


@dataclass(frozen=True)
class AccountSync:
    account: XAccount
    last_run: SyncRun | None
    running: SyncRun | None

    @property
    def overdue(self) -> bool:
        """Its next sync should have started minutes ago and none runs: the page must not say
        "Active · next 08:15" while nothing syncs."""
        next_at = self.account.next_sync_at
        return (
            self.account.status == XAccount.Status.ACTIVE
            and self.running is None
            and next_at is not None
            and timezone.now() - next_at > OVERDUE_AFTER
        )

    @property
    def health(self) -> str:
        """The badge: active, syncing, deferred, failing, needs_reauth or disconnected."""
        if self.account.status != XAccount.Status.ACTIVE:
            return self.account.status
        if self.running is not None:
            return "syncing"
        if self.account.consecutive_failures:
            return "failing"
        if self.account.rate_limited_until or (
            self.last_run is not None and self.last_run.outcome == SyncRun.Outcome.DEFERRED
        ):
            return "deferred"
        return "active"


@dataclass(frozen=True)
class Spend:
    billing_day: date
    reads_today: int
    budget: int

    @property
    def cost_today(self) -> Decimal:
        return self.reads_today * PRICE_PER_POST_READ

    @property
    def budget_used(self) -> float:
        return min(self.reads_today / self.budget, 1.0) if self.budget else 1.0


def team_account_syncs(team: Team) -> list[AccountSync]:
    accounts = list(
        team.x_accounts.select_related("connected_by", "credential").order_by("status", "username")
    )
    latest: dict[int, SyncRun] = {}
    running: dict[int, SyncRun] = {}
    # One query: the recent runs of the team, newest first; the first seen per account wins.
    for run in SyncRun.objects.filter(account__in=accounts).order_by("-started_at")[:500]:
        latest.setdefault(run.account_id, run)
        if run.outcome == SyncRun.Outcome.RUNNING and run.account_id not in running:
            running[run.account_id] = run
    return [
        AccountSync(
            account=a,
            last_run=latest.get(a.pk),
            running=running.get(a.pk) if a.sync_claim else None,
        )
        for a in accounts
    ]


def team_spend(team: Team, *, now: datetime | None = None) -> Spend:
    day = (now or datetime.now(UTC)).astimezone(UTC).date()
    reads = billed_post_reads(team=team, day=day)
    return Spend(billing_day=day, reads_today=reads, budget=team.daily_post_read_budget)


def account_progress(account: XAccount) -> dict:
    """The JSON the "Refresh now" progress bar polls."""
    run = SyncRun.objects.filter(account=account).order_by("-started_at").first()
    return {
        "account": account.username,
        "running": bool(account.sync_claim) and run is not None and run.outcome == "running",
        "outcome": run.outcome if run else None,
        "pages_done": run.pages_done if run else 0,
        "pages_planned": run.pages_planned if run else 0,
        "progress": round(run.progress, 3) if run else 0.0,
        "last_synced_at": account.last_synced_at.isoformat() if account.last_synced_at else None,
        "next_sync_at": account.next_sync_at.isoformat() if account.next_sync_at else None,
        "deferral_reason": account.deferral_reason,
    }
