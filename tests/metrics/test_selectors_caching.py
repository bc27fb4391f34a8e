"""Reads are cached per account and moved by its syncs: final days once, today until it syncs."""

from datetime import date, datetime, timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from metrics.ingest import forget_deleted_posts
from metrics.models import Context
from metrics.rollups import account_rollups_rebuild
from metrics.selectors import (
    Period,
    PostSort,
    Scope,
    history_revised,
    overview,
    team_accounts,
    team_today,
    top_posts,
)
from metrics.selectors.cache import CACHE_VERSION, REVISIONS_KEPT
from metrics.selectors.days import scope_days
from tests.factories import TeamFactory, XAccountFactory
from tests.metrics.factories import PostDailyFactory, PostFactory, sync_ran

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    return TeamFactory(time_zone="UTC")


def _scope(team, period):
    return Scope(team, tuple(team_accounts(team=team)), period)


def _impressions(post, day, gain):
    PostDailyFactory(post=post, day=day, context=Context.PUBLIC, impression_count_gain=gain)


def test_final_days_are_read_from_the_database_once(team, django_assert_num_queries):
    account = XAccountFactory(team=team, connected_at=datetime(2026, 1, 1, tzinfo=team.tzinfo))
    post = PostFactory(account=account, created_at=datetime(2026, 3, 1, tzinfo=team.tzinfo))
    sync_ran(account, datetime(2026, 3, 2, 12, tzinfo=team.tzinfo))
    _impressions(post, date(2026, 3, 2), 100)
    period = Period(date(2026, 3, 2), date(2026, 3, 3))

    first = overview(scope=_scope(team, period)).kpis[0].current.total
    _impressions(post, date(2026, 3, 3), 5)  # a final day cannot change: this never happens
    with django_assert_num_queries(0):
        again = overview(scope=Scope(team, (account,), period)).kpis[0].current.total

    assert first == again == 100


def test_a_sync_of_an_account_refreshes_what_it_changed_today(team):
    now = timezone.now()
    brand = XAccountFactory(team=team, username="brand", connected_at=now - timedelta(days=9))
    small = XAccountFactory(team=team, username="small", connected_at=now - timedelta(days=9))
    today = team_today(team)
    posts = {a: PostFactory(account=a, created_at=now - timedelta(days=2)) for a in (brand, small)}
    for account in (brand, small):
        sync_ran(account, now - timedelta(minutes=30))
        _impressions(posts[account], today, 10)
    period = Period(today, today)
    assert overview(scope=_scope(team, period)).kpis[0].current.total == 20

    PostDailyFactory._meta.model.objects.filter(post=posts[brand], day=today).update(
        impression_count_gain=50
    )
    account_rollups_rebuild(account_ids=[brand.pk])  # as the sync moves them with its rows
    sync_ran(brand, now - timedelta(minutes=1))

    assert overview(scope=_scope(team, period)).kpis[0].current.total == 60


def test_top_posts_merge_each_accounts_first_posts_and_follow_their_syncs(team):
    now = timezone.now()
    today = team_today(team)
    accounts = [XAccountFactory(team=team, connected_at=now - timedelta(days=9)) for _ in range(2)]
    gains = {0: [5, 40, 10], 1: [30, 20, 1]}
    posts = {}
    for n, account in enumerate(accounts):
        sync_ran(account, now - timedelta(minutes=30))
        for gain in gains[n]:
            post = PostFactory(account=account, created_at=now - timedelta(days=1))
            _impressions(post, today, gain)
            posts[gain] = post
    period = Period(today, today)

    top, total = top_posts(scope=_scope(team, period), sort=PostSort(), limit=3)

    assert [r.metrics["impression_count"].public for r in top] == [40, 30, 20]
    assert total == 6

    _impressions(PostFactory(account=accounts[1], created_at=now - timedelta(hours=2)), today, 99)
    sync_ran(accounts[1], now - timedelta(minutes=1))
    top, total = top_posts(scope=_scope(team, period), sort=PostSort(), limit=3)

    assert [r.metrics["impression_count"].public for r in top] == [99, 40, 30]
    assert total == 7


def _two_posts_on_2_march(team, impressions):
    """An account with two Posts that earned `impressions` on 2 March: (account, posts)."""
    account = XAccountFactory(team=team, connected_at=datetime(2026, 1, 1, tzinfo=team.tzinfo))
    posts = [
        PostFactory(account=account, created_at=datetime(2026, 3, 1, hour, tzinfo=team.tzinfo))
        for hour in (8, 9)
    ]
    for post, gain in zip(posts, impressions, strict=True):
        _impressions(post, date(2026, 3, 2), gain)
    return account, posts


def test_a_final_periods_top_posts_follow_a_reading_that_splits_back_into_it(team):
    account, (early, late) = _two_posts_on_2_march(team, (100, 50))
    period = Period(date(2026, 3, 2), date(2026, 3, 3))

    def order():
        top, _ = top_posts(scope=_scope(team, period), sort=PostSort(), limit=2)
        return [row.post_id for row in top]

    assert order() == [early.pk, late.pk]
    # A later reading of `late` splits its gain back over days that were final: the sync
    # writes the rows and moves the account's history version.
    _impressions(late, date(2026, 3, 3), 80)
    history_revised(account_id=account.pk, since=date(2026, 3, 3))

    assert order() == [late.pk, early.pk]


def test_a_revision_after_a_final_periods_end_leaves_its_top_posts_cached(
    team, django_assert_num_queries
):
    account = XAccountFactory(team=team, connected_at=datetime(2026, 1, 1, tzinfo=team.tzinfo))
    post = PostFactory(account=account, created_at=datetime(2026, 3, 1, tzinfo=team.tzinfo))
    _impressions(post, date(2026, 3, 2), 100)
    scope = _scope(team, Period(date(2026, 3, 1), date(2026, 3, 2)))
    top_posts(scope=scope, sort=PostSort(), limit=2)

    history_revised(account_id=account.pk, since=date(2026, 3, 3))
    with django_assert_num_queries(1):  # the shown Post's values; its ranking is cached
        top, _ = top_posts(scope=scope, sort=PostSort(), limit=2)

    assert [row.post_id for row in top] == [post.pk]


def _account_days(scope):
    """Each day's public impressions as the Overview reads them (cached or not)."""
    return {
        day: record.posts.get(Context.PUBLIC, {}).get("impression_count", 0)
        for day, record in scope_days(scope=scope, period=scope.period).items()
    }


def test_a_revision_re_reads_the_final_days_from_the_first_it_changed_and_no_earlier(team):
    account = XAccountFactory(team=team, connected_at=datetime(2026, 1, 1, tzinfo=team.tzinfo))
    post = PostFactory(account=account, created_at=datetime(2026, 3, 1, tzinfo=team.tzinfo))
    for day in (2, 3, 4):
        sync_ran(account, datetime(2026, 3, day, 23, tzinfo=team.tzinfo))
        _impressions(post, date(2026, 3, day), 10)
    account_rollups_rebuild(account_ids=[account.pk])
    period = Period(date(2026, 3, 2), date(2026, 3, 4))
    scope = _scope(team, period)
    assert _account_days(scope) == {date(2026, 3, d): 10 for d in (2, 3, 4)}

    # Rows change on the 2nd without a revision (which never happens: it shows what is
    # read again) and on the 3rd and 4th with one from the 3rd.
    PostDailyFactory._meta.model.objects.filter(post=post).update(impression_count_gain=20)
    account_rollups_rebuild(account_ids=[account.pk])
    history_revised(account_id=account.pk, since=date(2026, 3, 3))

    assert _account_days(scope) == {
        date(2026, 3, 2): 10,
        date(2026, 3, 3): 20,
        date(2026, 3, 4): 20,
    }


def _a_cached_day_revised_to_20(team):
    """An account whose 2 March was read and cached at 10 impressions, then rewritten to 20
    by a reading that revises it: (the account, the scope of that day)."""
    account = XAccountFactory(team=team, connected_at=datetime(2026, 1, 1, tzinfo=team.tzinfo))
    post = PostFactory(account=account, created_at=datetime(2026, 3, 1, tzinfo=team.tzinfo))
    sync_ran(account, datetime(2026, 3, 2, 23, tzinfo=team.tzinfo))
    _impressions(post, date(2026, 3, 2), 10)
    account_rollups_rebuild(account_ids=[account.pk])
    scope = _scope(team, Period(date(2026, 3, 2), date(2026, 3, 2)))
    assert _account_days(scope) == {date(2026, 3, 2): 10}

    PostDailyFactory._meta.model.objects.filter(post=post).update(impression_count_gain=20)
    account_rollups_rebuild(account_ids=[account.pk])
    history_revised(account_id=account.pk, since=date(2026, 3, 2))
    return account, scope


def test_final_days_are_read_anew_when_the_cache_lost_an_accounts_revisions(team):
    account, scope = _a_cached_day_revised_to_20(team)
    cache.delete(f"quartile:history:{CACHE_VERSION}:{account.pk}")  # evicted, say

    assert _account_days(scope) == {date(2026, 3, 2): 20}


def test_revisions_beyond_those_kept_still_stop_every_entry_they_would_have(team):
    account, scope = _a_cached_day_revised_to_20(team)
    for n in range(REVISIONS_KEPT + 5):  # later revisions of later days only
        history_revised(account_id=account.pk, since=date(2026, 3, 10) + timedelta(days=n))

    assert _account_days(scope) == {date(2026, 3, 2): 20}


def test_a_post_deleted_after_a_final_ranking_was_cached_is_left_out_of_it(team):
    account, (kept, doomed) = _two_posts_on_2_march(team, (10, 50))
    scope = _scope(team, Period(date(2026, 3, 2), date(2026, 3, 3)))
    top_posts(scope=scope, sort=PostSort(), limit=2)

    since = forget_deleted_posts(
        account=account, x_post_ids=[doomed.x_post_id], deleted_at=timezone.now()
    )
    top, _ = top_posts(scope=scope, sort=PostSort(), limit=2)  # before any revision is recorded
    history_revised(account_id=account.pk, since=since)  # as the sync records it
    again, _ = top_posts(scope=scope, sort=PostSort(), limit=2)

    assert since == date(2026, 3, 2)
    assert [row.post_id for row in top] == [row.post_id for row in again] == [kept.pk]


def test_top_posts_seen_again_before_any_sync_are_read_whole_from_the_cache(
    team, django_assert_num_queries
):
    now = timezone.now()
    today = team_today(team)
    accounts = [XAccountFactory(team=team, connected_at=now - timedelta(days=9)) for _ in range(2)]
    posts = []
    for account, gain in zip(accounts, (30, 20), strict=True):
        sync_ran(account, now - timedelta(minutes=30))
        posts.append(PostFactory(account=account, created_at=now - timedelta(days=1)))
        _impressions(posts[-1], today, gain)
    period = Period(today, today)
    first, total = top_posts(scope=_scope(team, period), sort=PostSort(), limit=5)

    scope = _scope(team, period)
    with django_assert_num_queries(1):  # only whether a shown Post was deleted meanwhile
        again, again_total = top_posts(scope=scope, sort=PostSort(), limit=5)
    assert again == first and again_total == total == 2

    _impressions(PostFactory(account=accounts[1], created_at=now - timedelta(hours=1)), today, 99)
    sync_ran(accounts[1], now - timedelta(minutes=1))  # any account's sync moves the key
    top, total = top_posts(scope=_scope(team, period), sort=PostSort(), limit=5)
    assert [r.metrics["impression_count"].public for r in top] == [99, 30, 20]
