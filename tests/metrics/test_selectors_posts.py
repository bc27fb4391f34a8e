"""Posts rows: every metric per context, negative gains kept, unreported stays None, sorting."""

from datetime import date, datetime

import pytest

from metrics.models import Context
from metrics.selectors import (
    Period,
    PeriodMode,
    PostSort,
    Scope,
    daily_series_rows,
    overview,
    post_rows,
    top_posts,
)
from tests.factories import TeamFactory, XAccountFactory
from tests.metrics.factories import PostDailyFactory, PostFactory, PostMetricsFactory, sync_ran

pytestmark = pytest.mark.django_db

MON, TUE = date(2026, 3, 2), date(2026, 3, 3)


@pytest.fixture
def account():
    team = TeamFactory(time_zone="UTC")
    account = XAccountFactory(
        team=team, username="brand", connected_at=datetime(2026, 2, 1, tzinfo=team.tzinfo)
    )
    for day in (MON, TUE):
        sync_ran(account, datetime(day.year, day.month, day.day, 12, tzinfo=team.tzinfo))
    return account


def _post(account, **kwargs):
    return PostFactory(
        account=account, created_at=datetime(2026, 3, 1, 9, tzinfo=account.team.tzinfo), **kwargs
    )


def test_a_negative_gain_stays_negative_everywhere(account):
    post = _post(account)
    PostDailyFactory(post=post, day=MON, context=Context.PUBLIC, like_count=10, like_count_gain=10)
    PostDailyFactory(post=post, day=TUE, context=Context.PUBLIC, like_count=7, like_count_gain=-3)
    scope = Scope(account.team, (account,), Period(TUE, TUE))

    (row,) = post_rows(scope=scope)
    daily = [r for r in daily_series_rows(scope=scope) if r.metric == "like_count"]

    assert row.metrics["like_count"].public == -3
    assert [(r.context, r.gain, r.end_of_day) for r in daily if r.context == "public"] == [
        ("public", -3, 7)
    ]


def test_metrics_x_did_not_report_stay_none(account):
    post = _post(account)
    PostMetricsFactory(post=post, context=Context.PUBLIC, impression_count=50, like_count=2)
    scope = Scope(account.team, (account,), Period(date(2026, 3, 1), TUE), PeriodMode.CREATED)

    (row,) = post_rows(scope=scope)

    assert row.metrics["impression_count"].total == 50
    assert row.metrics["url_link_clicks"].total is None
    assert row.metrics["impression_count"].organic is None
    assert row.engagement_rate is None
    assert overview(scope=scope).kpis[3].current.total is None  # link clicks: "—", not 0


def test_posts_sort_by_the_chosen_metric_and_context(account):
    posts = [_post(account, text=t) for t in ("few", "many", "promoted")]
    for post, organic, promoted in zip(posts, (10, 90, 40), (0, 0, 80), strict=True):
        PostDailyFactory(post=post, day=MON, context=Context.ORGANIC, url_link_clicks_gain=organic)
        PostDailyFactory(
            post=post, day=MON, context=Context.PROMOTED, url_link_clicks_gain=promoted
        )
        PostDailyFactory(
            post=post, day=MON, context=Context.NON_PUBLIC, url_link_clicks_gain=organic + promoted
        )
    scope = Scope(account.team, (account,), Period(MON, TUE))

    def order(sort):
        return [r.text for r in post_rows(scope=scope, sort=PostSort.parse(sort))]

    assert order("url_link_clicks.organic") == ["many", "promoted", "few"]
    # Ties (no promoted clicks) keep the newest first.
    assert order("url_link_clicks.promoted") == ["promoted", "many", "few"]
    assert order("url_link_clicks") == ["promoted", "many", "few"]


def test_an_unknown_sort_falls_back_to_impressions():
    assert PostSort.parse("password.organic") == PostSort("impression_count", "total")
    assert PostSort.parse("quote_count.organic") == PostSort("quote_count", "total")
    assert str(PostSort.parse("like_count.after_30")) == "like_count.after_30"


def test_the_top_posts_are_the_first_rows_of_the_whole_list(account):
    posts = [_post(account, text=f"p{n}") for n in range(7)]
    for n, post in enumerate(posts):
        PostDailyFactory(post=post, day=MON, context=Context.PUBLIC, impression_count_gain=n * 10)
    scope = Scope(account.team, (account,), Period(MON, TUE))

    chunked = [r.post_id for r in post_rows(scope=scope, chunk_size=3)]
    top, total = top_posts(scope=scope, sort=PostSort(), limit=4)

    assert chunked == [p.pk for p in reversed(posts)]
    assert [r.post_id for r in top] == chunked[:4]
    assert total == 7
