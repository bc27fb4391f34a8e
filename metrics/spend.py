"""What a team spends at X, in dollars, and what its monthly budget allows.

X's prices and billing rules are in `xapi.pricing` (docs/x-api.md §2.7). Every sync
(`SyncRun`) and every admin's Post lookup (`PostLookup`) records its estimated dollars on the UTC
day X bills it; these sums are the team's spend. The month is the UTC calendar month.

The budget: `Team.monthly_budget`, or, when the team leaves it empty, `default_monthly_budget`,
sized to its accounts. The month's dollars are the limit, never passed: each request's most
possible cost is reserved before it is sent (`reserve`), under a lock on the team. They are paced
by a daily allowance, the month's remaining dollars over its remaining UTC days
(`xapi.pricing.Allowance`), within which the planner reads young Posts before old ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_CEILING, Decimal

from django.db import transaction
from django.db.models import Count, DecimalField, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Team, XAccount
from metrics.models import PRIVATE_WINDOW, Post, PostLookup, SyncRun
from xapi import pricing

# The default budget: every Post under 30 days read once each UTC day of the month, every older
# Post within the timeline's reach once a week, the first syncs of the accounts connected this
# month, and half as much again as headroom; at least $5 a month.
DEFAULT_OLD_READS_PER_MONTH = 4
DEFAULT_HEADROOM = Decimal("1.5")
DEFAULT_MINIMUM = Decimal("5")
# The projection's pace: the mean daily spend of the last complete UTC days, first syncs apart.
PACE_DAYS = 7


def today(now: datetime | None = None) -> date:
    return pricing.billing_day(now or timezone.now())


def _per_day(*, team: Team | None, start: date, end: date) -> dict[tuple[date, bool], tuple]:
    """(day, backfill) -> (dollars, reads) of the team's (or every team's) syncs and lookups."""
    totals: dict[tuple[date, bool], tuple[Decimal, int]] = {}
    scope = Q(billing_day__gte=start, billing_day__lte=end)
    if team is not None:
        scope &= Q(team=team)
    for model, backfill in ((SyncRun, F("backfill")), (PostLookup, None)):
        fields = ("billing_day", "backfill") if backfill is not None else ("billing_day",)
        for row in (
            model.objects.filter(scope)
            .values(*fields)
            .annotate(dollars=Sum("estimated_dollars"), reads=Sum("billed_post_reads"))
            .order_by()
        ):
            key = (row["billing_day"], bool(row.get("backfill", False)))
            dollars, reads = totals.get(key, (Decimal(0), 0))
            totals[key] = (dollars + (row["dollars"] or 0), reads + (row["reads"] or 0))
    return totals


def spent(*, team: Team, start: date, end: date) -> Decimal:
    """The team's dollars billed on the UTC days from `start` to `end`."""
    return sum((d for d, _ in _per_day(team=team, start=start, end=end).values()), Decimal(0))


def default_monthly_budget(team: Team, *, day: date | None = None) -> Decimal:
    """A month's budget sized to the team's active accounts (see DEFAULT_*), whole dollars."""
    day = day or today()
    month_start = pricing.month_start(day)
    accounts = XAccount.objects.filter(team=team, status=XAccount.Status.ACTIVE)
    cutoff = timezone.now() - PRIVATE_WINDOW
    counts = (
        Post.objects.filter(account__in=accounts, deleted_at=None, edited_into=None)
        .values("account_id")
        .annotate(young=Count("pk", filter=Q(created_at__gt=cutoff)), every=Count("pk"))
        .order_by()
    )
    reads = 0
    for row in counts:
        old = min(row["every"], pricing.TIMELINE_REACH) - row["young"]
        reads += row["young"] * pricing.days_in_month(day)
        reads += max(old, 0) * DEFAULT_OLD_READS_PER_MONTH
    for account in accounts.only("post_count", "backfilled_at"):
        backfilled = account.backfilled_at
        if backfilled is None or pricing.billing_day(backfilled) >= month_start:
            reads += pricing.first_sync_reads(account.post_count)
    dollars = pricing.post_reads_cost(reads) * DEFAULT_HEADROOM
    return max(dollars.quantize(Decimal(1), rounding=ROUND_CEILING), DEFAULT_MINIMUM)


def monthly_budget(team: Team, *, day: date | None = None) -> Decimal:
    if team.monthly_budget is not None:
        return team.monthly_budget
    return default_monthly_budget(team, day=day)


def _month_so_far(team_id: int, day: date) -> tuple[Decimal, Decimal]:
    """The team's dollars in `day`'s month before `day`, and on `day`: one query over its
    syncs and lookups."""

    def dollars(model, days: Q) -> Coalesce:
        rows = model.objects.filter(days, team=OuterRef("pk")).order_by().values("team")
        return Coalesce(
            Subquery(rows.annotate(total=Sum("estimated_dollars")).values("total")),
            Decimal(0),
            output_field=DecimalField(max_digits=14, decimal_places=3),
        )

    before = Q(billing_day__gte=pricing.month_start(day), billing_day__lt=day)
    on_day = Q(billing_day=day)
    return (
        Team.objects.filter(pk=team_id)
        .annotate(
            before=dollars(SyncRun, before) + dollars(PostLookup, before),
            on_day=dollars(SyncRun, on_day) + dollars(PostLookup, on_day),
        )
        .values_list("before", "on_day")
        .get()
    )


def allowance(team: Team, *, day: date, budget: Decimal | None = None) -> pricing.Allowance:
    """What the month's budget allows on `day` (`budget`: the month's, when already known)."""
    budget = monthly_budget(team, day=day) if budget is None else budget
    before, on_day = _month_so_far(team.pk, day)
    return pricing.Allowance(
        budget=budget, day=day, spent_before_today=Decimal(before), spent_today=Decimal(on_day)
    )


def reserve(*, run: SyncRun, dollars: Decimal, budget: Decimal, day: date) -> bool:
    """Count `dollars` (a request's most possible cost) on the run before the request is sent,
    if the team's month still has them. The team's row lock orders concurrent syncs."""
    if not dollars:
        return True
    with transaction.atomic():
        # Its own statement: the sums below are read after the lock is granted, so they see
        # what the sync that held it committed (PostgreSQL, READ COMMITTED).
        Team.objects.select_for_update().only("pk").get(pk=run.team_id)
        left = allowance(run.team, day=day, budget=budget).month_left
        if left is not None and dollars > left:
            return False
        SyncRun.objects.filter(pk=run.pk).update(estimated_dollars=F("estimated_dollars") + dollars)
    return True


def lookup_fits(*, team: Team, dollars: Decimal, day: date) -> bool:
    """An admin's lookup costing `dollars` fits in what is left of the team's month."""
    left = allowance(team, day=day).month_left
    return left is None or dollars <= left


@dataclass(frozen=True)
class Projection:
    """The month so far and at its end, at the pace of the last complete days."""

    spent: Decimal
    at_month_end: Decimal
    post_reads: int
    post_reads_at_month_end: int


def _project(per_day: dict, *, now: datetime) -> Projection:
    day = pricing.billing_day(now)
    start = pricing.month_start(day)
    month = [(d, b, v) for (d, b), v in per_day.items() if d >= start]
    spent_dollars = sum((v[0] for _, _, v in month), Decimal(0))
    spent_reads = sum(v[1] for _, _, v in month)
    # The pace: the complete days of the last week (not first syncs, which happen once).
    pace_from = day - timedelta(days=PACE_DAYS)
    first = min((d for (d, _b) in per_day), default=day)
    complete = [d for d in (pace_from + timedelta(days=n) for n in range(PACE_DAYS)) if d >= first]
    steady = [(d, v) for (d, b), v in per_day.items() if not b]
    midnight = datetime.combine(day, datetime.min.time(), UTC)
    elapsed_today = (now - midnight) / timedelta(days=1)
    if complete:
        days = Decimal(len(complete))
        pace = [v for d, v in steady if pace_from <= d < day]
    else:
        # No complete day yet: today's pace so far (at least an hour of it).
        days = Decimal(str(max(elapsed_today, 1 / 24)))
        pace = [v for d, v in steady if d == day]
    dollars_a_day = sum((v[0] for v in pace), Decimal(0)) / days
    reads_a_day = Decimal(sum(v[1] for v in pace)) / days
    days_left = Decimal(str(pricing.days_in_month(day) - day.day + 1 - elapsed_today))
    return Projection(
        spent=spent_dollars,
        at_month_end=spent_dollars + dollars_a_day * days_left,
        post_reads=spent_reads,
        post_reads_at_month_end=spent_reads + int(reads_a_day * days_left),
    )


def team_projection(team: Team, *, now: datetime | None = None) -> Projection:
    now = now or timezone.now()
    day = pricing.billing_day(now)
    since = min(pricing.month_start(day), day - timedelta(days=PACE_DAYS))
    return _project(_per_day(team=team, start=since, end=day), now=now)


def project_projection(*, now: datetime | None = None) -> Projection:
    """The same for every team of this Quartile: its X app is one Project, capped at X's
    3,000,000 Post reads a month (xapi.pricing.MONTHLY_POST_READ_CAP)."""
    now = now or timezone.now()
    day = pricing.billing_day(now)
    since = min(pricing.month_start(day), day - timedelta(days=PACE_DAYS))
    return _project(_per_day(team=None, start=since, end=day), now=now)
