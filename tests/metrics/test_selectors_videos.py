"""A video's metrics belong to its media key: carried by two Posts, it counts once."""

from datetime import date, datetime

import pytest

from metrics.models import Context
from metrics.rollups import account_rollups_rebuild
from metrics.selectors import (
    Period,
    PeriodMode,
    Scope,
    overview,
    post_rows,
    video_funnel,
    video_rows,
)
from tests.factories import TeamFactory, XAccountFactory
from tests.metrics.factories import (
    MediaDailyFactory,
    MediaMetricsFactory,
    PostDailyFactory,
    PostFactory,
    sync_ran,
    video_for,
)

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 2)


@pytest.fixture
def shared_video():
    team = TeamFactory(time_zone="UTC")
    tz = team.tzinfo
    account = XAccountFactory(team=team, connected_at=datetime(2026, 2, 1, tzinfo=tz))
    first = PostFactory(
        account=account, created_at=datetime(2026, 3, 2, 9, tzinfo=tz), text="First"
    )
    second = PostFactory(
        account=account, created_at=datetime(2026, 3, 2, 15, tzinfo=tz), text="Again"
    )
    video = video_for(first, second)
    sync_ran(account, datetime(2026, 3, 2, 20, tzinfo=tz))
    funnel = dict(zip(("0", "25", "50", "75", "100"), (1000, 700, 500, 300, 200), strict=True))
    for context, share in ((Context.ORGANIC, 1.0), (Context.PROMOTED, 0.5)):
        counts = {f"playback_{q}_count_gain": int(v * share) for q, v in funnel.items()}
        MediaDailyFactory(
            media=video, day=DAY, context=context, view_count_gain=int(800 * share), **counts
        )
        MediaMetricsFactory(
            media=video, context=context, view_count=int(800 * share),
            **{f"playback_{q}_count": int(v * share) for q, v in funnel.items()},
        )  # fmt: skip
    totals = {f"playback_{q}_count_gain": int(v * 1.5) for q, v in funnel.items()}
    MediaDailyFactory(media=video, day=DAY, context=Context.NON_PUBLIC, **totals)
    MediaDailyFactory(media=video, day=DAY, context=Context.PUBLIC, view_count_gain=1200)
    MediaMetricsFactory(media=video, context=Context.PUBLIC, view_count=1200)
    MediaMetricsFactory(
        media=video, context=Context.NON_PUBLIC,
        **{f"playback_{q}_count": int(v * 1.5) for q, v in funnel.items()},
    )  # fmt: skip
    return team, account, video, (first, second)


@pytest.mark.parametrize("mode", [PeriodMode.ACTIVITY, PeriodMode.CREATED])
def test_a_video_carried_by_two_posts_counts_once(shared_video, mode):
    team, account, video, posts = shared_video
    scope = Scope(team, (account,), Period(DAY, DAY), mode)

    views = next(k for k in overview(scope=scope).kpis if k.key == "view_count")
    (row,) = video_rows(scope=scope)

    assert (views.current.total, views.current.organic, views.current.promoted) == (1200, 800, 400)
    assert views.current.after_30 == 0
    assert row.media_key == video.media_key
    assert [p.post_id for p in row.posts] == [p.pk for p in posts]


def test_the_funnel_shows_retention_from_starts_per_context(shared_video):
    team, account, _, _ = shared_video
    scope = Scope(team, (account,), Period(DAY, DAY))

    steps = video_funnel(scope=scope)

    assert [s.counts.organic for s in steps] == [1000, 700, 500, 300, 200]
    assert [s.counts.promoted for s in steps] == [500, 350, 250, 150, 100]
    assert [s.retention.organic for s in steps] == [1.0, 0.7, 0.5, 0.3, 0.2]
    assert [s.retention.promoted for s in steps] == [1.0, 0.7, 0.5, 0.3, 0.2]


def test_plays_beyond_the_starts_x_counted_show_no_share_rather_than_one_above_100_percent(
    shared_video,
):
    team, account, video, _ = shared_video
    # X's own sample: no start counted, two plays past 25 %.
    video.daily.filter(context=Context.ORGANIC).update(playback_0_count_gain=0)
    account_rollups_rebuild(account_ids=[account.pk])
    scope = Scope(team, (account,), Period(DAY, DAY))

    steps = video_funnel(scope=scope)

    assert [s.counts.organic for s in steps] == [0, 700, 500, 300, 200]
    assert {s.retention.organic for s in steps} == {None}
    assert [s.retention.promoted for s in steps] == [1.0, 0.7, 0.5, 0.3, 0.2]


def test_completion_rate_is_complete_plays_over_starts(shared_video):
    team, account, _, _ = shared_video
    scope = Scope(team, (account,), Period(DAY, DAY))

    completion = next(k for k in overview(scope=scope).kpis if k.key == "completion_rate")
    (row,) = video_rows(scope=scope)

    assert completion.current.organic == pytest.approx(0.2)
    assert completion.current.total == pytest.approx(0.2)
    assert row.completion.promoted == pytest.approx(0.2)


def test_no_video_means_no_funnel_numbers_rather_than_zeros():
    team = TeamFactory()
    account = XAccountFactory(team=team)
    scope = Scope(team, (account,), Period(DAY, DAY))

    steps = video_funnel(scope=scope)

    assert {s.counts.organic for s in steps} == {None}
    assert list(video_rows(scope=scope)) == []


@pytest.mark.parametrize("mode", [PeriodMode.ACTIVITY, PeriodMode.CREATED])
def test_in_the_posts_rows_a_shared_video_counts_on_its_first_carrier_only(shared_video, mode):
    team, account, _, (first, second) = shared_video
    for post in (first, second):
        PostDailyFactory(post=post, day=DAY, context=Context.PUBLIC, impression_count_gain=10)
    scope = Scope(team, (account,), Period(DAY, DAY), mode)

    rows = {row.post_id: row for row in post_rows(scope=scope)}

    assert rows[first.pk].video["view_count"].total == 1200
    assert rows[second.pk].video["view_count"].total is None
    assert rows[first.pk].video_counted_on == rows[second.pk].video_counted_on == (first.x_post_id,)
    assert rows[second.pk].video_counted_elsewhere == (first.x_post_id,)
    assert sum(r.video["view_count"].total or 0 for r in rows.values()) == 1200


def test_a_scope_counts_a_video_through_its_carriers_inside_it(shared_video):
    team, account, _, (_, second) = shared_video
    PostDailyFactory(post=second, day=DAY, context=Context.PUBLIC, impression_count_gain=10)
    scope = Scope(team, (account,), Period(DAY, DAY))

    (row,) = post_rows(scope=scope)  # the first carrier had no activity: it is not in the table

    assert row.post_id == second.pk
    assert row.video["view_count"].total == 1200
    assert row.video_counted_on == (second.x_post_id,)
