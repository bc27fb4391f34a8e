"""After day 30 X reports public totals only: that growth is its own series, never organic."""

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from metrics.models import Context
from metrics.selectors import (
    Period,
    PeriodMode,
    Scope,
    overview,
    post_detail,
    post_rows,
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

CREATED = datetime(2026, 3, 1, 10, 0)  # private metrics freeze on 31 March, 10:00
DAY_29, FROZE_ON, DAY_31 = date(2026, 3, 30), date(2026, 3, 31), date(2026, 4, 1)


@pytest.fixture
def old_post():
    team = TeamFactory(time_zone="UTC")
    tz = team.tzinfo
    account = XAccountFactory(
        team=team, username="brand", connected_at=datetime(2026, 2, 1, tzinfo=tz)
    )
    post = PostFactory(account=account, created_at=CREATED.replace(tzinfo=tz))
    for day in (DAY_29, FROZE_ON, DAY_31):
        sync_ran(account, datetime(day.year, day.month, day.day, 23, 0, tzinfo=tz))

    def gains(day, **by_context):
        for context, (impressions, link_clicks) in by_context.items():
            PostDailyFactory(
                post=post, day=day, context=context, after_day_30=day >= FROZE_ON,
                impression_count_gain=impressions, url_link_clicks_gain=link_clicks,
            )  # fmt: skip

    gains(DAY_29, public=(500, None), non_public=(500, 20), organic=(400, 15), promoted=(100, 5))
    # The day it froze: the private rows saw the growth until 10:00, the public one all day.
    gains(FROZE_ON, public=(300, None), non_public=(120, 4), organic=(100, 3), promoted=(20, 1))
    gains(DAY_31, public=(90, None))
    return team, account, post


def test_public_growth_from_the_day_the_split_froze_goes_to_after_30(old_post):
    team, account, _ = old_post
    scope = Scope(team, (account,), Period(DAY_29, DAY_31))

    series = overview(scope=scope).series("impression_count")

    assert [(r.parts.organic, r.parts.promoted, r.parts.after_30) for r in series] == [
        (400, 100, 0),
        (100, 20, 180),  # 300 public - 100 organic - 20 promoted
        (0, 0, 90),
    ]
    assert [r.parts.total for r in series] == [500, 300, 90]


def test_private_metrics_after_day_30_are_unreported_rather_than_zero(old_post):
    team, account, _ = old_post
    scope = Scope(team, (account,), Period(DAY_29, DAY_31))

    series = overview(scope=scope).series("url_link_clicks")

    assert [(r.parts.organic, r.parts.after_30) for r in series] == [
        (15, None),
        (3, None),
        (0, None),
    ]


def test_the_posts_rows_carry_the_unsplit_growth(old_post):
    team, account, _ = old_post
    scope = Scope(team, (account,), Period(DAY_29, DAY_31))

    (row,) = post_rows(scope=scope)

    impressions = row.metrics["impression_count"]
    assert (impressions.organic, impressions.promoted, impressions.after_30) == (500, 120, 270)
    assert impressions.total == 890


def test_lifetime_rows_of_a_post_past_day_30_split_what_x_split_and_no_more(old_post):
    team, account, post = old_post
    for context, value in (
        ("public", 2000),
        ("non_public", 1500),
        ("organic", 1200),
        ("promoted", 300),
    ):
        PostMetricsFactory(post=post, context=context, impression_count=value)
    scope = Scope(team, (account,), Period(date(2026, 3, 1), DAY_31), PeriodMode.CREATED)

    (row,) = post_rows(scope=scope)

    impressions = row.metrics["impression_count"]
    assert (impressions.total, impressions.organic, impressions.promoted) == (2000, 1200, 300)
    assert impressions.after_30 == 500


def test_a_post_page_says_its_private_metrics_froze_and_stops_the_split_curves():
    team = TeamFactory(time_zone="UTC")
    account = XAccountFactory(team=team)
    now = timezone.now()
    post = PostFactory(account=account, created_at=now - timedelta(days=31, hours=12))
    # The latest reading is today's, even in the first hour of the day: without one yet,
    # today is a gap day and the curve's last point is empty.
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    before, after = now - timedelta(days=2), max(now - timedelta(hours=1), midnight)
    for at in (before, after):
        sync_ran(account, at)
    history = HistoryWriter()
    history.observe_post(post, before, Context.ORGANIC, impression_count=900)
    history.observe_post(post, before, Context.PUBLIC, impression_count=900)
    history.observe_post(post, after, Context.PUBLIC, impression_count=1000)
    history.flush()

    detail = post_detail(team=team, post=post)

    assert detail.frozen
    last = [p for p in detail.growth if p.metric == "impression_count"][-1]
    assert (last.organic, last.after_30, last.total) == (None, 100, 1000)


def test_a_post_first_read_after_day_30_has_its_lifetime_unreported_not_after_30():
    team = TeamFactory(time_zone="UTC")
    tz = team.tzinfo
    account = XAccountFactory(team=team, connected_at=datetime(2026, 2, 14, tzinfo=tz))
    post = PostFactory(account=account, created_at=datetime(2026, 1, 1, 10, tzinfo=tz))
    first, second = datetime(2026, 2, 15, 12, tzinfo=tz), datetime(2026, 2, 16, 12, tzinfo=tz)
    for at in (first, second):
        sync_ran(account, at)
    history = HistoryWriter()
    history.observe_post(post, first, Context.PUBLIC, impression_count=9000)
    history.observe_post(post, second, Context.PUBLIC, impression_count=9040)
    history.flush()
    lifetime = Scope(
        team, (account,), Period(date(2026, 1, 1), date(2026, 2, 16)), PeriodMode.CREATED
    )
    first_day = Scope(team, (account,), Period(date(2026, 2, 15), date(2026, 2, 15)))
    second_day = Scope(team, (account,), Period(date(2026, 2, 16), date(2026, 2, 16)))

    (row,) = post_rows(scope=lifetime)
    impressions = row.metrics["impression_count"]
    kpi = overview(scope=lifetime).kpis[0]

    assert (impressions.total, impressions.organic, impressions.after_30) == (9040, None, None)
    assert (kpi.current.unreported, kpi.current.after_30) == (9040, None)
    # The first reading's 9000 came at an unknown time: its day is unknown, not after day 30.
    assert overview(scope=first_day).kpis[0].current.total is None
    # Of the 40 between the readings, the half that falls on the 16th was earned after day 30.
    assert overview(scope=second_day).kpis[0].current.after_30 == 20
    assert not post_detail(team=team, post=post).split_reported
