"""Which Posts count: all, paid partnerships (X's `paid_partnership`), or the rest. Every read
of a scope follows it: KPIs, daily sums, Top Posts, the Posts table and CSV, videos, snapshots.
A paid and an unpaid view add up to the whole."""

from datetime import datetime, timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from metrics.models import Context, Post
from metrics.selectors import (
    Period,
    PeriodMode,
    PostKind,
    PostSort,
    Scope,
    overview,
    post_table,
    snapshot_table,
    team_accounts,
    team_today,
    top_posts,
    top_videos,
    video_funnel,
    warm_reads,
)
from tests.factories import TeamFactory, XAccountFactory
from tests.metrics.factories import PostDailyFactory, PostFactory, sync_ran
from tests.metrics.histories import seed_synced_team

pytestmark = pytest.mark.django_db


@pytest.fixture
def synced(team):
    synced = seed_synced_team(team)
    # Every third Post without media, and the carriers of one video, disclosed as paid
    # partnerships: the other videos are carried by unpaid Posts only.
    plain = Post.objects.filter(account__team=team, media__isnull=True).order_by("pk")
    paid = [p.pk for n, p in enumerate(plain) if n % 3 == 0]
    paid += list(Post.objects.filter(media=synced.videos[0]).values_list("pk", flat=True))
    Post.objects.filter(pk__in=paid).update(paid_partnership=True)
    return synced


def _scope(synced, kind, mode=PeriodMode.ACTIVITY, days=14):
    period = Period.last(days, today=team_today(synced.team))
    return Scope(synced.team, tuple(synced.accounts), period, mode, posts=kind)


def _kpis(scope):
    return {k.key: k.current.total for k in overview(scope=scope).kpis if not k.is_rate}


@pytest.mark.parametrize("mode", list(PeriodMode))
def test_paid_and_unpaid_kpis_add_up_to_all_posts(synced, mode):
    every, paid, rest = (_kpis(_scope(synced, kind, mode)) for kind in PostKind)

    assert paid["impression_count"] > 0 and rest["impression_count"] > 0
    for key, total in every.items():
        if key != "view_count":  # a video counts once in each view one of its carriers is in
            assert total == (paid[key] or 0) + (rest[key] or 0), key
    assert 0 < paid["view_count"] < every["view_count"]


def test_the_daily_charts_count_only_the_posts_that_count(synced):
    def daily(kind):
        rows = overview(scope=_scope(synced, kind)).series("impression_count")
        return [row.parts.total if row.parts else None for row in rows]

    every, paid, rest = map(daily, PostKind)
    assert any(paid) and paid != every
    assert every == [
        None if a is None and b is None else (a or 0) + (b or 0)
        for a, b in zip(paid, rest, strict=True)
    ]


def test_the_posts_table_and_top_posts_list_only_the_posts_that_count(synced):
    paid = {p.pk for p in Post.objects.filter(paid_partnership=True)}
    for kind, wanted in ((PostKind.PAID, True), (PostKind.UNPAID, False)):
        scope = _scope(synced, kind)
        table = [row for chunk in post_table(scope=scope) for row in chunk]
        assert table and all((row[0] in paid) is wanted for row in table)
        top, total = top_posts(scope=scope, sort=PostSort(), limit=5)
        assert top and all((row.post_id in paid) is wanted for row in top)
        assert total == len(table)


def test_a_kept_ranking_of_all_posts_never_serves_a_filtered_view(synced):
    for account in synced.accounts:
        warm_reads(account=account)
    cache.clear()
    paid = {p.pk for p in Post.objects.filter(paid_partnership=True)}
    scope = _scope(synced, PostKind.PAID, days=28)

    top, _ = top_posts(scope=scope, sort=PostSort(), limit=20)

    assert top and {row.post_id for row in top} <= paid


def test_videos_count_through_the_posts_that_count(synced):
    funnel = {kind: video_funnel(scope=_scope(synced, kind)) for kind in PostKind}
    videos = {
        kind: top_videos(scope=_scope(synced, kind), sort="views", limit=50) for kind in PostKind
    }

    carried_by_paid = set(
        Post.objects.filter(paid_partnership=True, media__isnull=False).values_list(
            "media__media_key", flat=True
        )
    )
    paid_rows, _ = videos[PostKind.PAID]
    assert {row.media_key for row in paid_rows} <= carried_by_paid
    starts = {kind: steps[0].counts.total or 0 for kind, steps in funnel.items()}
    assert (
        starts[PostKind.PAID] + starts[PostKind.UNPAID]
        >= starts[PostKind.ALL]
        > starts[PostKind.PAID]
    )


def test_the_snapshots_table_keeps_the_posts_that_count(synced):
    paid = {
        str(x)
        for x in Post.objects.filter(paid_partnership=True).values_list("x_post_id", flat=True)
    }
    rows = [
        row
        for chunk in snapshot_table(scope=_scope(synced, PostKind.PAID), kinds=("post",))
        for row in chunk
    ]
    assert rows and {row[3] for row in rows} <= paid


def test_a_post_marked_paid_later_moves_the_paid_view_of_days_already_final():
    """X may mark a Post paid after its days are final, without any revision of them."""
    team = TeamFactory(time_zone="UTC")
    day = team_today(team) - timedelta(days=3)
    at = datetime.combine(day, datetime.min.time(), team.tzinfo) + timedelta(hours=12)
    account = XAccountFactory(team=team, connected_at=at - timedelta(days=9))
    post = PostFactory(account=account, created_at=at - timedelta(days=2))
    PostDailyFactory(post=post, day=day, context=Context.PUBLIC, impression_count_gain=100)
    sync_ran(account, at)

    def paid():
        scope = Scope(team, tuple(team_accounts(team=team)), Period(day, day), posts=PostKind.PAID)
        return overview(scope=scope).kpis[0].current.total

    assert not paid()
    # The next sync reads the Post with paid_partnership true (store_page's update_fields)
    Post.objects.filter(pk=post.pk).update(paid_partnership=True)
    sync_ran(account, timezone.now() - timedelta(minutes=1))
    shown = paid()
    cache.clear()
    assert shown == paid() == 100
