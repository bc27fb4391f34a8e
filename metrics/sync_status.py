"""What the Accounts page says about each account's syncing: health, progress and spend."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.models import Team, XAccount
from metrics import spend
from metrics.models import SyncRun, billed_post_reads
from xapi import pricing

# Beat claims due accounts every minute: a next sync this far past its time means no scheduler
# or no worker runs it.
OVERDUE_AFTER = timedelta(minutes=5)


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
    """The team's X spend in dollars: today, this month, at the month's end at today's pace,
    against its monthly budget; and the whole X Project's Post reads against X's cap."""

    billing_day: date
    reads_today: int
    allowance: pricing.Allowance
    budget_is_default: bool
    month: spend.Projection
    project: spend.Projection
    price_per_post_read: Decimal = pricing.POST_READ
    project_cap: int = pricing.MONTHLY_POST_READ_CAP

    @property
    def budget(self) -> Decimal:
        assert self.allowance.budget is not None
        return self.allowance.budget

    @property
    def cost_today(self) -> Decimal:
        return self.allowance.spent_today

    @property
    def cost_month(self) -> Decimal:
        return self.month.spent

    @property
    def projected(self) -> Decimal:
        return self.month.at_month_end

    @property
    def month_left(self) -> Decimal:
        return self.allowance.month_left or Decimal(0)

    @property
    def over_budget(self) -> bool:
        """The month at today's pace reaches the budget: syncs will be held back."""
        return self.projected >= self.budget

    @property
    def over_project_cap(self) -> bool:
        """The Project's reads at today's pace reach X's monthly cap: every call of every team
        will answer 429 UsageCapExceeded until the cycle ends."""
        return self.project.post_reads_at_month_end >= self.project_cap

    @property
    def first_sync_cost(self) -> Decimal:
        """What connecting one more account costs at most, once: its first sync."""
        return pricing.first_sync_cost()

    @property
    def first_sync_fits(self) -> bool:
        """The month's dollars pay for one more first sync. A budget sized to the accounts
        grows by it when the account is connected (metrics.spend.default_monthly_budget)."""
        return self.budget_is_default or self.first_sync_cost <= self.month_left


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
    now = now or timezone.now()
    day = pricing.billing_day(now)
    return Spend(
        billing_day=day,
        reads_today=billed_post_reads(team=team, day=day),
        allowance=spend.allowance(team, day=day),
        budget_is_default=team.monthly_budget is None,
        month=spend.team_projection(team, now=now),
        project=spend.project_projection(now=now),
    )


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
