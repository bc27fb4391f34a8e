"""Kept reads and cached Top Posts follow every write to an account, also those that do not
move its own fields: a Post tracked while the sync is due, a sync that fails halfway."""

from datetime import timedelta

import pytest
from django.core.cache import cache

from metrics import sync
from metrics.models import KeptRead, Post, PostDaily, SyncRun
from metrics.selectors import Period, PostSort, Scope, team_accounts, team_today, top_posts
from metrics.tracking import track_post
from tests.metrics.syncing import run_sync, sandbox_account
from tests.sandbox.flows import BRAND, SMALL

pytestmark = pytest.mark.django_db


def _top(team, days=7):
    scope = Scope(team, tuple(team_accounts(team=team)), Period.last(days, today=team_today(team)))
    rows, total = top_posts(scope=scope, sort=PostSort(), limit=20)
    return [(r.post_id, r.metrics["impression_count"].total) for r in rows], total


def _truth(team, days=7):
    KeptRead.objects.all().delete()
    cache.clear()
    return _top(team, days)


def test_a_post_tracked_once_the_sync_is_due_shows_in_the_top_posts(x_sandbox, frozen, team):
    account = sandbox_account(x_sandbox, team, SMALL)
    assert run_sync(account).outcome == SyncRun.Outcome.SUCCEEDED  # kept: next sync in 15 min
    before = _top(team)
    later = frozen + timedelta(minutes=20)  # the sync is due; the beat has not claimed it yet
    x_sandbox.set_clock(later)
    ad = x_sandbox.add_nullcast(SMALL, "Ads-only creative")
    tracked = track_post(account=account, reference=ad, now=later)
    assert PostDaily.objects.filter(post=tracked.post).exists()
    cache.clear()  # even with empty caches: the kept ranking is read

    shown = _top(team)
    assert shown == _truth(team), (before, shown)


def test_a_sync_that_fails_halfway_leaves_no_stale_top_posts(x_sandbox, frozen, team):
    account = sandbox_account(x_sandbox, team, BRAND)
    assert run_sync(account).outcome == SyncRun.Outcome.SUCCEEDED
    before = _top(team)  # cached under the account's state
    x_sandbox.set_clock(frozen + timedelta(minutes=50))
    x_sandbox.add_post(BRAND, "a new Post")
    x_sandbox.fault("503", count=1, path="/2/tweets")  # the lookups, after the timeline pages
    with pytest.raises(sync.TransientSyncError):
        run_sync(account)
    assert SyncRun.objects.filter(account=account).latest("started_at").pages_done >= 1

    shown = _top(team)
    assert shown == _truth(team), (before, shown)


def test_a_sync_that_fails_halfway_is_not_hidden_by_a_kept_ranking(x_sandbox, frozen, team):
    account = sandbox_account(x_sandbox, team, BRAND)
    assert run_sync(account).outcome == SyncRun.Outcome.SUCCEEDED
    x_sandbox.set_clock(frozen + timedelta(minutes=50))
    new = x_sandbox.add_post(BRAND, "a new Post")
    x_sandbox.fault("503", count=1, path="/2/tweets")
    with pytest.raises(sync.TransientSyncError):
        run_sync(account)
    assert Post.objects.filter(x_post_id=int(new)).exists()
    cache.clear()
    shown = _top(team)
    assert shown == _truth(team)
