"""The Accounts page shows each account's sync health, progress and the day's spend; anyone in
the team can ask for a refresh and watch its progress."""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent, XAccount
from metrics.models import Post, SyncRun
from tests.factories import XAccountFactory, XCredentialFactory
from tests.metrics.factories import SyncRunFactory
from tests.metrics.syncing import sandbox_account

pytestmark = pytest.mark.django_db


def _page(client, team):
    return client.get(reverse("team_x_accounts", args=[team.slug]))


def _run(account, **fields):
    return SyncRun.objects.create(
        account=account, team=account.team, billing_day=datetime.now(UTC).date(), **fields
    )


def test_it_shows_last_and_next_sync_and_a_deferral_reason(client_for, team, member):
    account = XCredentialFactory(account__team=team).account
    XAccount.objects.filter(pk=account.pk).update(
        last_synced_at=timezone.now() - timedelta(minutes=4),
        next_sync_at=timezone.now() + timedelta(minutes=11),
        rate_limited_until=timezone.now() + timedelta(minutes=11),
        deferral_reason="rate limited by X until 12:15 UTC",
    )
    _run(account, outcome=SyncRun.Outcome.DEFERRED, billed_post_reads=120, pages_done=3)
    content = _page(client_for(member), team).content.decode()
    assert "4\xa0minutes ago" in content
    assert "rate limited by X until 12:15 UTC" in content
    assert "Waiting" in content
    assert "120 reads, 3 pages" in content


def _spend_card(content: str) -> str:
    """The spend card's text, without its markup."""
    card = content.split('aria-label="X spend"')[1].split("</section>")[0]
    return " ".join(re.sub(r"<[^>]+>", " ", card.partition(">")[2]).split())


def test_it_shows_spend_today_and_this_month_in_dollars_against_the_budget(
    client_for, team, member
):
    account = XAccountFactory(team=team)
    _run(account, billed_post_reads=1500, estimated_dollars=Decimal("7.50"))
    _run(account, billed_post_reads=500, estimated_dollars=Decimal("2.50"))
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    SyncRunFactory(account=account, billing_day=yesterday, estimated_dollars=Decimal(3))
    team.monthly_budget = Decimal("900")
    team.save()

    card = _spend_card(_page(client_for(member), team).content.decode())

    assert "Spent today (UTC " in card and " $10.00 2000 Post reads" in card
    month = Decimal(10) + (3 if yesterday.month == datetime.now(UTC).month else 0)
    assert f"This month ${month:.2f} of $900.00" in card
    assert "the team's budget" in card
    assert "Projected by the month's end" in card


def test_without_a_budget_of_its_own_the_team_has_one_sized_to_its_accounts(
    client_for, team, admin
):
    XAccountFactory(team=team, post_count=100)  # its first sync: 100 reads, $0.50
    card = _spend_card(_page(client_for(admin), team).content.decode())
    assert "of $5.00" in card and "a budget sized to the team's accounts" in card


def test_each_account_shows_what_its_last_sync_cost(client_for, team, member):
    account = XAccountFactory(team=team)
    _run(account, billed_post_reads=84, pages_done=3, estimated_dollars=Decimal("0.420"))
    content = _page(client_for(member), team).content.decode()
    assert "$0.42 · 84 reads, 3 pages" in content


def test_before_connecting_an_admin_sees_what_a_first_sync_costs(client_for, team, admin, member):
    team.monthly_budget = Decimal("10")
    team.save()
    content = _page(client_for(admin), team).content.decode()
    assert "up to 3,200: <strong>up to $16.00</strong>, once" in content
    assert "the first sync waits until the budget covers it" in content  # $10 < $16
    assert "up to $16.00" not in _page(client_for(member), team).content.decode()
    team.monthly_budget = Decimal("16")
    team.save()
    assert "waits until the budget covers it" not in _page(client_for(admin), team).content.decode()
    team.monthly_budget = None  # sized to the accounts: it grows with the account connected
    team.save()
    assert "waits until the budget covers it" not in _page(client_for(admin), team).content.decode()


def test_admins_are_warned_when_the_month_would_reach_the_budget(client_for, team, admin, member):
    account = XAccountFactory(team=team)
    team.monthly_budget = Decimal("12")
    team.save()
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    SyncRunFactory(account=account, billing_day=yesterday, estimated_dollars=Decimal("0.10"))
    _run(account, estimated_dollars=Decimal("0.10"))  # 10 cents a day: $3.10 a month at most
    assert 'data-warning="budget"' not in _page(client_for(admin), team).content.decode()

    _run(account, estimated_dollars=Decimal("12"))  # a first sync, say

    content = _page(client_for(admin), team).content.decode()
    assert 'data-warning="budget"' in content
    assert "reach its X budget of $12.00 before the month ends" in content
    assert 'data-warning="budget"' not in _page(client_for(member), team).content.decode()


def test_admins_are_warned_when_the_project_would_reach_xs_monthly_cap(client_for, team, admin):
    account = XAccountFactory(team=team)
    team.monthly_budget = Decimal("15000")
    team.save()
    _run(account, billed_post_reads=1000)  # at most 24,000 a day, whatever the hour
    assert 'data-warning="project-cap"' not in _page(client_for(admin), team).content.decode()

    # Other teams of this Quartile share its X Project, and its cap.
    SyncRunFactory(billing_day=datetime.now(UTC).date(), billed_post_reads=2_999_000)

    content = _page(client_for(admin), team).content.decode()
    assert 'data-warning="project-cap"' in content
    assert "past X's cap of 3,000,000 Post reads a month" in content


def test_a_member_asks_for_a_refresh_and_a_claim_is_taken(
    client_for, team, member, monkeypatch, django_capture_on_commit_callbacks
):
    account = XCredentialFactory(account__team=team).account
    sent = []
    # What the queue receives; a real worker running it is tests/metrics/test_workers.py.
    monkeypatch.setattr("dashboard.views.enqueue_sync", lambda *args: sent.append(args))
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(member).post(
            reverse("team_x_account_refresh", args=[team.slug, account.pk])
        )
    assert response.status_code == HTTPStatus.FOUND
    account.refresh_from_db()
    assert account.sync_claim != ""
    assert sent == [(account.pk, account.sync_claim)]


def test_a_refresh_while_a_sync_runs_starts_no_second_one(client_for, team, member):
    account = XCredentialFactory(account__team=team).account
    XAccount.objects.filter(pk=account.pk).update(
        sync_claim="running", sync_claimed_until=timezone.now() + timedelta(minutes=1)
    )
    response = client_for(member).post(
        reverse("team_x_account_refresh", args=[team.slug, account.pk]), follow=True
    )
    assert b"already syncing" in response.content
    account.refresh_from_db()
    assert account.sync_claim == "running"


def test_the_progress_endpoint_reports_pages_done_of_planned(client_for, team, member):
    account = XCredentialFactory(account__team=team).account
    XAccount.objects.filter(pk=account.pk).update(
        sync_claim="abc", sync_claimed_until=timezone.now() + timedelta(minutes=1)
    )
    _run(account, pages_done=3, pages_planned=12)
    body = (
        client_for(member)
        .get(reverse("team_x_account_progress", args=[team.slug, account.pk]))
        .json()
    )
    assert body["running"] is True
    assert (body["pages_done"], body["pages_planned"], body["progress"]) == (3, 12, 0.25)


def test_refresh_now_waits_a_few_minutes_after_the_last_sync_and_says_until_when(
    client_for, team, member, monkeypatch
):
    account = XCredentialFactory(account__team=team).account
    sent = []
    monkeypatch.setattr("dashboard.views.enqueue_sync", lambda *args: sent.append(args))
    started = timezone.now() - timedelta(minutes=2)
    SyncRunFactory(account=account, started_at=started)
    url = reverse("team_x_account_refresh", args=[team.slug, account.pk])

    response = client_for(member).post(url, follow=True)

    next_at = timezone.localtime(started + timedelta(minutes=5), team.tzinfo)
    assert f"possible from {next_at:%H:%M}".encode() in response.content
    account.refresh_from_db()
    assert account.sync_claim == "" and sent == []

    SyncRun.objects.filter(account=account).update(started_at=started - timedelta(minutes=4))
    client_for(member).post(url)
    account.refresh_from_db()
    assert account.sync_claim != ""


def test_an_account_whose_sync_is_minutes_past_due_is_marked_overdue(client_for, team, member):
    account = XCredentialFactory(account__team=team).account
    late = timezone.now() - timedelta(minutes=12)
    XAccount.objects.filter(pk=account.pk).update(next_sync_at=late)

    content = _page(client_for(member), team).content.decode()

    assert f"Overdue since {late.astimezone(UTC):%H:%M} UTC" in content
    XAccount.objects.filter(pk=account.pk).update(next_sync_at=timezone.now())
    assert "Overdue" not in _page(client_for(member), team).content.decode()


def test_an_admin_tracks_a_post_by_its_address_and_is_told_what_went_wrong(
    client_for, team, admin, x_sandbox, frozen
):
    account = sandbox_account(x_sandbox, team, "quartile_brand")
    ad = x_sandbox.add_nullcast("quartile_brand", "Spring sale, ads only")
    client = client_for(admin)
    url = reverse("team_x_account_track_post", args=[team.slug])

    page = client.post(url, {"account": account.pk, "post": "hello"}, follow=True)
    assert "Paste a Post&#x27;s address" in page.content.decode()
    assert not Post.objects.filter(account=account).exists()

    page = client.post(
        url, {"account": account.pk, "post": f"https://x.com/a/status/{ad}"}, follow=True
    )
    assert "now tracks this Post of @quartile_brand" in page.content.decode()
    assert Post.objects.filter(account=account, x_post_id=int(ad)).exists()
    assert AuditEvent.objects.filter(team=team, verb=AuditEvent.Verb.POST_TRACKED).count() == 1
    assert "Track a Post the timeline does not show" in _page(client, team).content.decode()
