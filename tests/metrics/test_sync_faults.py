"""Whatever X answers, a sync ends in its documented state with nothing lost or duplicated."""

from datetime import timedelta

import pytest
from django.db import DatabaseError
from django.utils import timezone

from accounts.models import XAccount
from metrics import scheduler, sync, table_stats
from metrics.models import Post, PostSnapshot, SyncRun
from tests.factories import TeamFactory
from tests.metrics.syncing import end_state, run_sync, sandbox_account

pytestmark = pytest.mark.django_db

BRAND, SMALL = "quartile_brand", "quartile_small"


@pytest.mark.parametrize("kind", ["429", "429_v1"])
def test_a_rate_limit_defers_the_account_to_xs_reset_and_keeps_the_pages(
    kind, x_sandbox, frozen, team
):
    account = sandbox_account(x_sandbox, team, BRAND)
    x_sandbox.fault(kind, count=1, path="/2/users/")

    run = run_sync(account)

    account.refresh_from_db()
    assert run.outcome == SyncRun.Outcome.DEFERRED
    assert "rate limited" in account.deferral_reason
    assert account.rate_limited_until is not None
    assert account.next_sync_at >= account.rate_limited_until
    assert account.sync_claim == ""


def test_a_rate_limit_mid_sync_keeps_the_pages_already_written(x_sandbox, frozen, team):
    account = sandbox_account(x_sandbox, team, BRAND)
    x_sandbox.fault("429", count=1, path="/2/tweets")  # the lookups, after the timeline pages

    run = run_sync(account)

    assert run.outcome == SyncRun.Outcome.DEFERRED
    assert run.pages_done >= 2
    assert Post.objects.filter(account=account).count() > 100


def test_after_a_transient_failure_the_retry_reaches_the_same_end_state(x_sandbox, frozen, team):
    interrupted = sandbox_account(x_sandbox, team, BRAND)
    x_sandbox.fault("503", count=1, path="/2/tweets")  # the promoted lookups, mid-sync
    with pytest.raises(sync.TransientSyncError):
        run_sync(interrupted)
    interrupted.refresh_from_db()
    retry = sync.sync_account(account_id=interrupted.pk, claim=interrupted.sync_claim)
    assert retry.outcome == SyncRun.Outcome.SUCCEEDED

    clean = sandbox_account(x_sandbox, TeamFactory(), BRAND)
    run_sync(clean)
    assert end_state(interrupted) == end_state(clean)
    assert PostSnapshot.objects.filter(post__account=interrupted).count() == (
        PostSnapshot.objects.filter(post__account=clean).count()
    )


def test_a_spent_rate_limit_window_sends_nothing_and_defers(x_sandbox, frozen, team):
    account = sandbox_account(x_sandbox, team, BRAND)
    reset = int((frozen + timedelta(minutes=9)).timestamp())
    account.rate_limits = {
        "GET /2/users/:id/tweets": {"limit": 900, "remaining": 0, "reset": reset}
    }
    account.save()
    before = len(x_sandbox.ledger()["requests"])

    run = run_sync(account)

    assert run.outcome == SyncRun.Outcome.DEFERRED
    assert len(x_sandbox.ledger()["requests"]) == before
    account.refresh_from_db()
    assert account.next_sync_at > timezone.now() + timedelta(minutes=5)


def test_a_usage_cap_defers_with_its_reason(x_sandbox, frozen, team):
    account = sandbox_account(x_sandbox, team, SMALL)
    x_sandbox.fault("usage_cap", count=1)
    run = run_sync(account)
    account.refresh_from_db()
    assert run.outcome == SyncRun.Outcome.DEFERRED
    assert "usage cap" in account.deferral_reason
    assert account.next_sync_at > timezone.now() + timedelta(minutes=30)


def test_depleted_credits_defer_with_a_reason_for_the_admin(x_sandbox, frozen, team):
    account = sandbox_account(x_sandbox, team, SMALL)
    x_sandbox.fault("credits_depleted", count=1)
    run = run_sync(account)
    account.refresh_from_db()
    assert run.outcome == SyncRun.Outcome.DEFERRED
    assert "credits" in account.deferral_reason


def test_an_app_x_does_not_serve_fails_the_sync_with_what_to_fix(x_sandbox, frozen, team):
    account = sandbox_account(x_sandbox, team, SMALL)
    x_sandbox.fault("client_forbidden", count=1)
    run = run_sync(account)  # no retry: retrying cannot help
    account.refresh_from_db()
    assert run.outcome == SyncRun.Outcome.FAILED
    assert "developer portal" in account.last_error
    assert "https://developer.x.com/" in account.deferral_reason
    assert account.next_sync_at > timezone.now() + timedelta(minutes=30)


@pytest.mark.parametrize("kind", ["503", "500", "malformed_json", "reset"])
def test_a_transient_failure_raises_for_a_retry_and_keeps_the_claim(kind, x_sandbox, frozen, team):
    account = sandbox_account(x_sandbox, team, SMALL)
    x_sandbox.fault(kind, count=1)
    with pytest.raises(sync.TransientSyncError) as failure:
        run_sync(account)
    account.refresh_from_db()
    assert account.sync_claim == failure.value.claim  # held for the retry
    assert SyncRun.objects.get(account=account).outcome == SyncRun.Outcome.FAILED

    retry = sync.sync_account(account_id=account.pk, claim=failure.value.claim)
    assert retry.outcome == SyncRun.Outcome.SUCCEEDED


def test_a_hang_longer_than_the_timeout_is_a_transient_failure(x_sandbox, frozen, team, settings):
    settings.X_HTTP_TIMEOUT_SECONDS = 1
    account = sandbox_account(x_sandbox, team, SMALL)
    x_sandbox.fault("hang", count=1, seconds=2)
    with pytest.raises(sync.TransientSyncError, match="Timeout"):
        run_sync(account)


def test_giving_up_after_retries_defers_with_growing_backoff(x_sandbox, frozen, team):
    account = sandbox_account(x_sandbox, team, SMALL)
    x_sandbox.fault("503", count=1)
    with pytest.raises(sync.TransientSyncError):
        run_sync(account)
    account.refresh_from_db()
    sync.sync_give_up(account_id=account.pk, claim=account.sync_claim, error="ServerError")
    account.refresh_from_db()
    assert account.sync_claim == ""
    assert account.consecutive_failures == 1
    assert account.next_sync_at > timezone.now() + timedelta(minutes=1)
    assert "failed repeatedly" in account.deferral_reason


def test_a_revoked_token_marks_the_account_needs_reauth_and_stops_its_syncs(
    x_sandbox, frozen, team
):
    account = sandbox_account(x_sandbox, team, SMALL)
    x_sandbox.fault("revoked", count=10)
    run = run_sync(account)
    account.refresh_from_db()
    assert run.outcome == SyncRun.Outcome.NEEDS_REAUTH
    assert account.status == XAccount.Status.NEEDS_REAUTH
    assert scheduler.claim_account(account.pk, due_only=False) is None


def test_an_oauth1_account_with_a_revoked_token_needs_reauth(x_sandbox, frozen, team):
    account = sandbox_account(x_sandbox, team, SMALL, kind="oauth1")
    x_sandbox.fault("revoked", count=10)
    assert run_sync(account).outcome == SyncRun.Outcome.NEEDS_REAUTH


def test_running_a_sync_twice_duplicates_nothing(x_sandbox, frozen, team):
    account = sandbox_account(x_sandbox, team, BRAND)
    run_sync(account)
    rows, snapshots = end_state(account), PostSnapshot.objects.count()
    account.refresh_from_db()
    XAccount.objects.filter(pk=account.pk).update(backfilled_at=None)  # the whole backfill again
    run_sync(account)
    assert end_state(account) == rows
    assert PostSnapshot.objects.count() == snapshots


def test_a_second_delivery_of_one_claim_does_not_sync_at_the_same_time(x_sandbox, frozen, team):
    account = sandbox_account(x_sandbox, team, SMALL)
    claim = scheduler.claim_account(account.pk, due_only=False)
    assert sync.take_over(account_id=account.pk, claim=claim) is not None
    with pytest.raises(sync.AccountBusy):
        sync.sync_account(account_id=account.pk, claim=claim)


def test_a_dead_sync_is_taken_over_once_its_lease_runs_out(x_sandbox, frozen, team):
    account = sandbox_account(x_sandbox, team, SMALL)
    claim = scheduler.claim_account(account.pk, due_only=False)
    dead = sync.take_over(account_id=account.pk, claim=claim)  # its worker dies here
    later = timezone.now() + timedelta(seconds=sync.lease().total_seconds() + 1)
    assert sync.take_over(account_id=account.pk, claim=claim, now=later) not in (None, dead)


def test_a_stale_message_after_the_sync_finished_does_nothing(x_sandbox, frozen, team):
    account = sandbox_account(x_sandbox, team, SMALL)
    claim = scheduler.claim_account(account.pk, due_only=False)
    sync.sync_account(account_id=account.pk, claim=claim)
    assert sync.sync_account(account_id=account.pk, claim=claim) is None


# The step after a first sync that refreshes the planner's statistics (metrics.table_stats) is
# made to fail here: a worker's shutdown landing in that instant, or PostgreSQL refusing the
# ANALYZE, cannot be timed from a test.
@pytest.mark.parametrize("failure", [SystemExit(), DatabaseError("canceling statement")])
def test_a_failure_after_the_run_is_recorded_leaves_it_succeeded(
    failure, x_sandbox, frozen, team, monkeypatch
):
    account = sandbox_account(x_sandbox, team, SMALL)

    def analyze_fails():
        raise failure

    monkeypatch.setattr(table_stats, "analyze_stale_tables", analyze_fails)
    if isinstance(failure, SystemExit):
        with pytest.raises(SystemExit):  # the worker still shuts down
            run_sync(account)
    else:
        run_sync(account)

    account.refresh_from_db()
    run = SyncRun.objects.get(account=account)
    assert run.outcome == SyncRun.Outcome.SUCCEEDED and run.error == ""
    assert account.sync_claim == "" and account.last_error == ""
    assert account.next_sync_at - account.last_synced_at == sync.SYNC_EVERY
