"""A team's X spend in dollars: its default budget sized to its accounts, the reservation that
keeps concurrent syncs within the month, and the projection to the month's end."""

import threading
import time
from datetime import UTC, datetime, timedelta
from decimal import ROUND_CEILING, Decimal

import pytest
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from accounts.models import XAccount
from metrics import spend
from metrics.models import PostLookup, SyncRun
from tests.factories import XAccountFactory
from tests.metrics.factories import PostFactory, SyncRunFactory
from xapi import pricing

pytestmark = pytest.mark.django_db


def _posts(account, n, *, days_old):
    for _ in range(n):
        PostFactory(account=account, created_at=timezone.now() - timedelta(days=days_old))


def test_the_default_budget_is_sized_to_the_teams_active_accounts(team):
    today = pricing.billing_day(timezone.now())
    days = pricing.days_in_month(today)
    # Connected this month, synced: 40 young Posts, 100 old ones, its first sync of 140.
    brand = XAccountFactory(team=team, post_count=140, backfilled_at=timezone.now())
    _posts(brand, 40, days_old=3)
    _posts(brand, 100, days_old=90)
    # Not synced yet: its first sync, up to X's 3,200.
    XAccountFactory(team=team, post_count=5000)
    # Disconnected: nothing.
    gone = XAccountFactory(team=team, status=XAccount.Status.DISCONNECTED, post_count=900)
    _posts(gone, 50, days_old=3)

    reads = 40 * days + 100 * 4 + 140 + 3200
    expected = (reads * Decimal("0.005") * Decimal("1.5")).to_integral_value(ROUND_CEILING)
    assert spend.default_monthly_budget(team) == expected
    assert spend.monthly_budget(team) == expected
    team.monthly_budget = Decimal("12.34")
    assert spend.monthly_budget(team) == Decimal("12.34")


def test_a_team_without_accounts_gets_the_minimum(team):
    assert spend.default_monthly_budget(team) == Decimal(5)


def test_the_allowance_counts_syncs_and_lookups_of_this_month_only(team):
    account = XAccountFactory(team=team)
    now = datetime.now(UTC)
    today = now.date()
    SyncRunFactory(account=account, estimated_dollars=Decimal("1.250"))
    PostLookup.objects.create(
        account=account, team=team, x_post_id=1, billing_day=today, billed_post_reads=1,
        estimated_dollars=Decimal("0.005"),
    )  # fmt: skip
    last_month = pricing.month_start(today) - timedelta(days=1)
    SyncRunFactory(account=account, billing_day=last_month, estimated_dollars=Decimal(9))
    XAccountFactory()  # another team's spend is not ours
    SyncRunFactory(estimated_dollars=Decimal(7))

    allowance = spend.allowance(team, day=today, budget=Decimal(100))

    assert allowance.spent_today == Decimal("1.255")
    assert allowance.month_left == Decimal("98.745")


def test_a_reservation_beyond_the_months_dollars_is_refused(team):
    account = XAccountFactory(team=team)
    today = datetime.now(UTC).date()
    SyncRunFactory(account=account, estimated_dollars=Decimal("0.70"))
    run = SyncRunFactory(account=account, outcome=SyncRun.Outcome.RUNNING)

    assert spend.reserve(run=run, dollars=Decimal("0.25"), budget=Decimal(1), day=today)
    # Counted on the run at once: a concurrent sync of the team sees it.
    run.refresh_from_db()
    assert run.estimated_dollars == Decimal("0.25")
    assert not spend.reserve(run=run, dollars=Decimal("0.10"), budget=Decimal(1), day=today)
    assert spend.reserve(run=run, dollars=Decimal("0.05"), budget=Decimal(1), day=today)
    run.refresh_from_db()
    assert run.estimated_dollars == Decimal("0.30")


def test_the_projection_follows_the_last_complete_days_first_syncs_apart(team):
    account = XAccountFactory(team=team)
    now = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    today = now.date()
    for back in range(1, 8):  # $2 a day for a week, and a first sync of $16 a week ago
        SyncRunFactory(
            account=account, billing_day=today - timedelta(days=back),
            estimated_dollars=Decimal(2),
        )  # fmt: skip
    SyncRunFactory(
        account=account, billing_day=today - timedelta(days=7), backfill=True,
        estimated_dollars=Decimal(16),
    )  # fmt: skip
    SyncRunFactory(account=account, billing_day=today, estimated_dollars=Decimal(1))

    projection = spend.team_projection(team, now=now)

    month = [today - timedelta(days=b) for b in range(0, 8)]
    spent = (
        sum((Decimal(2) for d in month[1:] if d.month == today.month), Decimal(0))
        + (Decimal(16) if month[7].month == today.month else 0)
        + 1
    )
    days_left = Decimal(pricing.days_in_month(today) - today.day) + Decimal("0.5")
    assert projection.spent == spent
    assert projection.at_month_end == spent + 2 * days_left


def test_the_project_projection_adds_up_every_teams_reads(team):
    now = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    SyncRunFactory(account=XAccountFactory(team=team), billing_day=now.date(), billed_post_reads=10)
    SyncRunFactory(billing_day=now.date(), billed_post_reads=30)  # another team

    projection = spend.project_projection(now=now)

    # No complete day yet: today's pace, 40 reads in half a day.
    days_left = pricing.days_in_month(now.date()) - now.day + 0.5
    assert projection.post_reads == 40
    assert projection.post_reads_at_month_end == 40 + int(80 * days_left)


@pytest.mark.django_db(transaction=True)
def test_two_syncs_reserving_at_once_cannot_both_take_the_last_dollars(team, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has a single writer: PostgreSQL's row lock is what is tested")
    account = XAccountFactory(team=team)
    runs = [SyncRunFactory(account=account, outcome=SyncRun.Outcome.RUNNING) for _ in range(2)]
    today = datetime.now(UTC).date()
    allowance = spend.allowance

    def slow_allowance(*args, **kwargs):  # both look at the month before either writes
        answer = allowance(*args, **kwargs)
        time.sleep(0.3)
        return answer

    monkeypatch.setattr(spend, "allowance", slow_allowance)
    start = threading.Barrier(2)
    results = []

    def reserve(run):
        start.wait()
        try:
            results.append(spend.reserve(run=run, dollars=Decimal("0.60"), budget=1, day=today))
        finally:
            connection.close()

    threads = [threading.Thread(target=reserve, args=(run,)) for run in runs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [False, True]
    total = SyncRun.objects.filter(team=team).aggregate(d=Sum("estimated_dollars"))["d"]
    assert total == Decimal("0.60")
