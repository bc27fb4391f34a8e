"""The team's monthly X budget, in dollars, is never passed, and is spent evenly over the month:
each sync records what X charges for its reads (xapi.pricing), and X's own ledger (the
sandbox's) agrees."""

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import Sum

from accounts.models import XAccount
from metrics import spend, tracking
from metrics.models import Post, PostLookup, SyncRun
from tests.metrics.syncing import run_sync, sandbox_account
from xapi import pricing

pytestmark = pytest.mark.django_db

BRAND, SMALL = "quartile_brand", "quartile_small"


def _x_dollars_per_month(sandbox) -> dict[str, Decimal]:
    """What X (the sandbox's ledger) charged the app, per billing month."""
    months: dict[str, Decimal] = defaultdict(Decimal)
    for day, dollars in sandbox.ledger()["dollars"].get("quartile-demo", {}).items():
        months[day[:7]] += Decimal(dollars)
    return dict(months)


def _our_dollars_per_month(team) -> dict[str, Decimal]:
    months: dict[str, Decimal] = defaultdict(Decimal)
    for run in SyncRun.objects.filter(team=team):
        months[run.billing_day.isoformat()[:7]] += run.estimated_dollars
    return {m: d for m, d in months.items() if d}


def test_each_sync_records_the_dollars_x_charges_for_it(x_sandbox, frozen, team):
    account = sandbox_account(x_sandbox, team, BRAND)
    first = run_sync(account)
    x_sandbox.set_clock(frozen + timedelta(days=1, hours=1))
    second = run_sync(account)

    assert first.backfill and not second.backfill
    assert first.estimated_dollars == first.billed_post_reads * pricing.POST_READ > 0
    assert second.estimated_dollars == second.billed_post_reads * pricing.POST_READ > 0
    assert _our_dollars_per_month(team) == _x_dollars_per_month(x_sandbox)


def test_owned_reads_are_priced_for_the_app_owners_account_only(x_sandbox, frozen, team, settings):
    account = sandbox_account(x_sandbox, team, SMALL)
    settings.X_APP_OWNER_USER_ID = account.x_user_id
    x_sandbox.set_billing(app_owner=SMALL)

    run = run_sync(account)  # a first sync: nothing but its own timeline

    assert run.requests.keys() == {"GET /2/users/:id/tweets"}
    assert run.estimated_dollars == run.billed_post_reads * pricing.OWNED_READ > 0
    assert _our_dollars_per_month(team) == _x_dollars_per_month(x_sandbox)


def test_a_small_budget_is_never_exceeded_across_several_syncs(x_sandbox, frozen, team):
    brand = sandbox_account(x_sandbox, team, BRAND)
    small = sandbox_account(x_sandbox, team, SMALL)
    team.monthly_budget = Decimal("3.00")
    team.save()

    runs = []
    for hours in (0, 1, 2, 20, 26, 30, 50, 74):  # the same day, the next ones
        x_sandbox.set_clock(frozen + timedelta(hours=hours))
        runs += [run_sync(brand), run_sync(small)]

    # The first syncs fit ($1.5 or so for the brand's Posts); the later ones read what each
    # day's share of the rest allows, then wait for the next day.
    assert runs[0].outcome == SyncRun.Outcome.SUCCEEDED and runs[0].backfill
    x_months = _x_dollars_per_month(x_sandbox)
    assert x_months and all(dollars <= team.monthly_budget for dollars in x_months.values())
    assert _our_dollars_per_month(team) == x_months  # our estimate is X's bill
    assert any(r.outcome == SyncRun.Outcome.DEFERRED or "wait for" in r.error for r in runs)


def test_a_spent_month_defers_the_sync_without_asking_x(x_sandbox, frozen, team):
    account = sandbox_account(x_sandbox, team, SMALL)
    run_sync(account)
    spent = SyncRun.objects.filter(team=team).aggregate(d=Sum("estimated_dollars"))["d"]
    team.monthly_budget = spent  # nothing left
    team.save()
    requests_before = len(x_sandbox.ledger()["requests"])
    x_sandbox.set_clock(frozen + timedelta(minutes=20))

    run = run_sync(account)

    account.refresh_from_db()
    assert run.outcome == SyncRun.Outcome.DEFERRED
    assert "budget for this month is spent" in account.deferral_reason
    assert len(x_sandbox.ledger()["requests"]) == requests_before
    assert run.estimated_dollars == 0


def test_a_first_sync_waits_until_the_month_can_pay_for_all_of_it(x_sandbox, frozen, team):
    account = sandbox_account(x_sandbox, team, BRAND)
    team.monthly_budget = Decimal("1.00")  # the brand's ~300 Posts cost about $1.50
    team.save()

    run = run_sync(account)

    account.refresh_from_db()
    assert run.outcome == SyncRun.Outcome.DEFERRED
    assert "first sync costs up to $" in account.deferral_reason
    assert x_sandbox.ledger()["requests"] == []
    assert account.backfilled_at is None


def test_a_short_days_share_reads_young_posts_before_old_ones(x_sandbox, frozen, team):
    account = sandbox_account(x_sandbox, team, BRAND)
    run_sync(account)
    tomorrow = frozen + timedelta(days=1, minutes=1)
    day = pricing.billing_day(tomorrow)
    young = Post.objects.filter(account=account, created_at__gt=tomorrow - timedelta(days=29))
    young_count = young.count()
    # A budget whose share tomorrow pays for the young Posts and 5 more.
    start = pricing.month_start(day)
    before = spend.spent(team=team, start=start, end=day - timedelta(days=1)) if day > start else 0
    days_left = pricing.days_in_month(day) - day.day + 1
    share = (young_count + 5) * pricing.POST_READ
    team.monthly_budget = (before + share * days_left).quantize(pricing.CENT)
    team.save()
    x_sandbox.set_clock(tomorrow)

    run = run_sync(account)

    assert run.outcome == SyncRun.Outcome.SUCCEEDED
    assert young_count < run.billed_post_reads <= young_count + 8  # cents round the budget
    assert "wait for tomorrow's share of the X budget" in run.error
    assert not young.filter(private_refreshed_at__lt=tomorrow - timedelta(minutes=1)).exists()
    old = Post.objects.filter(account=account, created_at__lt=tomorrow - timedelta(days=31))
    assert old.filter(public_refreshed_at__lt=frozen + timedelta(hours=1)).exists()


def test_an_admins_lookup_records_its_dollars_and_respects_the_month(x_sandbox, frozen, team):
    account = sandbox_account(x_sandbox, team, SMALL)
    team.monthly_budget = Decimal("0.01")  # two Post reads
    team.save()

    def promoted_only_post(text):
        return x_sandbox._post(f"/_sandbox/users/{SMALL}/nullcast", {"text": text})["id"]

    first, second, third = (promoted_only_post(f"ad {n}") for n in range(3))
    tracking.track_post(account=account, reference=first)
    tracking.track_post(account=account, reference=second)
    with pytest.raises(tracking.TrackRefused, match="budget for this month is spent"):
        tracking.track_post(account=XAccount.objects.get(pk=account.pk), reference=third)

    lookups = PostLookup.objects.filter(team=team)
    assert [lookup.estimated_dollars for lookup in lookups] == [pricing.POST_READ] * 2
    assert _x_dollars_per_month(x_sandbox) == {
        frozen.strftime("%Y-%m"): Decimal("0.010")
    }  # X billed the two reads, and only them
