"""Posts rows: every metric per context, negative gains kept, unreported stays None, sorting."""

from datetime import UTC, date, datetime

import pytest
from django.db.models import F

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
from tests.metrics.factories import (
    HistoryWriter,
    PostDailyFactory,
    PostFactory,
    PostMetricsFactory,
    sync_ran,
)

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


def test_ranking_a_period_by_its_two_ends_agrees_with_adding_up_its_days():
    """Top Posts rank by what each Post earned in the period, read on its first and last daily
    rows there instead of adding up all its days: the two must agree on every shape of history
    the sync writes (split gains, birth inside the period, a first reading after day 30 whose
    gain is unknown, a count that falls, readings that stop, an unchanged reading)."""
    from metrics.selectors.posts import (
        _first_per_account,
        _first_per_account_sql,
        _rank_activity,
        _rank_activity_by_end_points,
    )

    team = TeamFactory(time_zone="America/New_York")
    account = XAccountFactory(team=team, connected_at=datetime(2026, 1, 1, tzinfo=UTC))
    history = HistoryWriter()

    def read(post, day, hour, context="public", **counts):
        at = datetime(2026, 3, day, hour, tzinfo=UTC)
        history.observe_post(post, at, context, **counts)

    def post(day, hour=9):
        return PostFactory(account=account, created_at=datetime(2026, 3, day, hour, tzinfo=UTC))

    late = PostFactory(account=account, created_at=datetime(2026, 1, 5, tzinfo=UTC))
    steady, born_inside, falling, stopped, unchanged = post(1), post(12), post(2), post(3), post(4)
    for n, day in enumerate((2, 5, 9, 10, 14, 20)):
        read(steady, day, 15, impression_count=400 * (n + 1), like_count=10 * n)
        read(steady, day, 15, "organic", impression_count=300 * (n + 1), url_link_clicks=n)
    read(born_inside, 12, 20, impression_count=900, like_count=4)
    read(born_inside, 16, 3, impression_count=1500, like_count=9)
    read(late, 11, 8, impression_count=70_000, like_count=800)
    read(late, 13, 8, impression_count=70_450, like_count=806)
    read(falling, 3, 10, impression_count=500, like_count=40)
    read(falling, 12, 10, impression_count=520, like_count=31)
    read(stopped, 4, 10, impression_count=800, like_count=5)
    read(unchanged, 5, 10, impression_count=300, like_count=2)
    read(unchanged, 13, 10, impression_count=300, like_count=2)
    history.flush()

    for period in (Period(date(2026, 3, 10), date(2026, 3, 16)),
                   Period(date(2026, 3, 6), date(2026, 3, 12)),
                   Period(date(2026, 3, 12), date(2026, 3, 12))):  # fmt: skip
        scope = Scope(team, (account,), period)
        for sort in map(
            PostSort.parse, ("impression_count", "like_count", "url_link_clicks.organic")
        ):
            order = [F("rank").desc(nulls_last=True), F("post_id").desc()]
            added = _first_per_account(_rank_activity(scope, sort), order, 10, ("post_id", "rank"))
            ends = _first_per_account_sql(*_rank_activity_by_end_points(scope, sort), 10)
            assert ends == added, (period, sort)
            assert ends, (period, sort)
