"""The Overview's default Top Posts are kept by the sync: a page reads them even with empty
caches, and only while the account's sync state is the one they were ranked under."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from metrics.models import Context, KeptRead, PostDaily
from metrics.selectors import (
    PRESET_DAYS,
    Period,
    PostSort,
    Scope,
    team_accounts,
    team_today,
    top_posts,
    warm_reads,
)
from tests.factories import TeamFactory, XAccountFactory
from tests.metrics.factories import PostDailyFactory, PostFactory, sync_ran

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    return TeamFactory(time_zone="Europe/Paris")


def _account_with_posts(team, gains):
    now = timezone.now()
    account = XAccountFactory(team=team, connected_at=now - timedelta(days=9))
    sync_ran(account, now - timedelta(minutes=30))
    posts = []
    for gain in gains:
        post = PostFactory(account=account, created_at=now - timedelta(days=1))
        PostDailyFactory(
            post=post, day=team_today(team), context=Context.PUBLIC, impression_count_gain=gain
        )
        posts.append(post)
    return account, posts


def _top(team, days=28):
    scope = Scope(team, tuple(team_accounts(team=team)), Period.last(days, today=team_today(team)))
    rows, total = top_posts(scope=scope, sort=PostSort(), limit=20)
    return [row.post_id for row in rows], total


def _as_if_the_data_changed_without_a_sync(post, gain):
    """What no code path does (every write to an account moves its sync state): it shows
    whether a page ranked the Posts itself or read the kept ranking."""
    PostDaily.objects.filter(post=post).update(impression_count_gain=gain)


def test_a_page_with_empty_caches_reads_the_ranking_the_sync_kept(team):
    account, (low, high) = _account_with_posts(team, (10, 50))
    warm_reads(account=account)
    cache.clear()
    _as_if_the_data_changed_without_a_sync(low, 500)

    assert _top(team) == ([high.pk, low.pk], 2)


def test_a_sync_after_the_ranking_was_kept_makes_the_page_rank_again(team):
    account, (low, high) = _account_with_posts(team, (10, 50))
    warm_reads(account=account)
    cache.clear()
    _as_if_the_data_changed_without_a_sync(low, 500)
    sync_ran(account, timezone.now() - timedelta(minutes=1))

    assert _top(team) == ([low.pk, high.pk], 2)


def test_a_ranking_kept_in_another_time_zone_is_not_read(team):
    account, (low, high) = _account_with_posts(team, (10, 50))
    warm_reads(account=account)
    cache.clear()
    _as_if_the_data_changed_without_a_sync(low, 500)
    for kept in KeptRead.objects.all():  # as if kept before the team moved to Tokyo
        kept.key = kept.key.replace("Europe/Paris", "Asia/Tokyo")
        kept.save()

    assert _top(team) == ([low.pk, high.pk], 2)


def test_each_sync_keeps_one_ranking_per_preset_period_and_account(team):
    account, _ = _account_with_posts(team, (10, 50))
    other, _ = _account_with_posts(team, (7,))
    for _ in range(2):
        warm_reads(account=account)
    warm_reads(account=other)

    kept = KeptRead.objects.filter(account=account, kind="top-posts")
    today = team_today(team)
    assert sorted(r.key for r in kept) == sorted(
        f"Europe/Paris:all:activity:{today - timedelta(days=days - 1)}:{today}:impression_count:20"
        for days in PRESET_DAYS
    )
    assert KeptRead.objects.filter(account=other, kind="top-posts").count() == len(PRESET_DAYS)


def test_other_orders_limits_and_periods_are_ranked_live(team):
    account, (low, high) = _account_with_posts(team, (10, 50))
    warm_reads(account=account)
    cache.clear()
    _as_if_the_data_changed_without_a_sync(low, 500)
    today = team_today(team)

    def ranked(period, sort=None, limit=20):
        scope = Scope(team, tuple(team_accounts(team=team)), period)  # as pages build it
        rows, _ = top_posts(scope=scope, sort=sort or PostSort(), limit=limit)
        return [r.post_id for r in rows]

    assert ranked(Period.last(28, today=today), limit=5) == [low.pk, high.pk]
    assert ranked(Period(today, today)) == [low.pk, high.pk]
    assert ranked(Period.last(28, today=today), PostSort("created_at")) == [high.pk, low.pk]
    assert ranked(Period.last(28, today=today)) == [high.pk, low.pk]  # the kept one
