"""Periods: equal-length comparison, the two period meanings, team-local days."""

from datetime import date, datetime

import pytest

from metrics.models import Context
from metrics.selectors import Period, PeriodMode, Scope, overview
from tests.factories import TeamFactory, XAccountFactory
from tests.metrics.factories import PostDailyFactory, PostFactory, PostMetricsFactory, sync_ran

pytestmark = pytest.mark.django_db


def test_the_previous_period_has_equal_length_and_ends_the_day_before():
    period = Period(date(2026, 3, 10), date(2026, 3, 16))

    assert period.length == 7
    assert period.previous == Period(date(2026, 3, 3), date(2026, 3, 9))


def test_the_last_n_days_end_today():
    assert Period.last(28, today=date(2026, 3, 28)) == Period(date(2026, 3, 1), date(2026, 3, 28))


def test_a_period_cannot_end_before_it_starts():
    with pytest.raises(ValueError):
        Period(date(2026, 3, 2), date(2026, 3, 1))


@pytest.fixture
def account():
    team = TeamFactory(time_zone="UTC")
    account = XAccountFactory(
        team=team, connected_at=datetime(2026, 2, 1, 9, 0, tzinfo=team.tzinfo)
    )
    for day in range(1, 15):
        sync_ran(account, datetime(2026, 3, day, 12, 0, tzinfo=team.tzinfo))
    return account


def _impressions(post, day, organic, promoted=0):
    PostDailyFactory(post=post, day=day, context=Context.ORGANIC, impression_count_gain=organic)
    PostDailyFactory(post=post, day=day, context=Context.PROMOTED, impression_count_gain=promoted)
    PostDailyFactory(
        post=post, day=day, context=Context.NON_PUBLIC, impression_count_gain=organic + promoted
    )
    PostDailyFactory(
        post=post, day=day, context=Context.PUBLIC, impression_count_gain=organic + promoted
    )


def test_activity_compares_the_gains_of_this_week_with_the_week_before(account):
    post = PostFactory(
        account=account, created_at=datetime(2026, 3, 1, 8, 0, tzinfo=account.team.tzinfo)
    )
    _impressions(post, date(2026, 3, 2), organic=100, promoted=50)  # previous week
    _impressions(post, date(2026, 3, 9), organic=150, promoted=25)  # this week
    _impressions(post, date(2026, 3, 14), organic=50, promoted=0)  # this week
    scope = Scope(account.team, (account,), Period(date(2026, 3, 8), date(2026, 3, 14)))

    kpi = overview(scope=scope).kpis[0]

    assert (kpi.current.total, kpi.current.organic, kpi.current.promoted) == (225, 200, 25)
    assert (kpi.previous.total, kpi.previous.organic, kpi.previous.promoted) == (150, 100, 50)
    assert kpi.change() == pytest.approx(0.5)
    assert kpi.change("promoted") == pytest.approx(-0.5)


def test_posts_created_in_the_period_count_their_lifetime_totals(account):
    tz = account.team.tzinfo
    inside = PostFactory(account=account, created_at=datetime(2026, 3, 9, 8, 0, tzinfo=tz))
    before = PostFactory(account=account, created_at=datetime(2026, 3, 3, 8, 0, tzinfo=tz))
    outside = PostFactory(account=account, created_at=datetime(2026, 2, 20, 8, 0, tzinfo=tz))
    for post, organic in ((inside, 1000), (before, 400), (outside, 99_999)):
        PostMetricsFactory(post=post, context=Context.ORGANIC, impression_count=organic)
        PostMetricsFactory(post=post, context=Context.PUBLIC, impression_count=organic)
    scope = Scope(
        account.team, (account,), Period(date(2026, 3, 8), date(2026, 3, 14)), PeriodMode.CREATED
    )

    kpi = overview(scope=scope).kpis[0]

    assert (kpi.current.total, kpi.current.organic) == (1000, 1000)
    assert (kpi.previous.total, kpi.previous.organic) == (400, 400)


def test_engagement_rate_is_engagements_over_impressions_and_changes_in_points(account):
    post = PostFactory(
        account=account, created_at=datetime(2026, 3, 1, 8, 0, tzinfo=account.team.tzinfo)
    )
    for day, impressions, engagements in (
        (date(2026, 3, 2), 1000, 20),
        (date(2026, 3, 9), 1000, 50),
    ):
        PostDailyFactory(
            post=post, day=day, context=Context.NON_PUBLIC,
            impression_count_gain=impressions, engagements_gain=engagements,
        )  # fmt: skip
    scope = Scope(account.team, (account,), Period(date(2026, 3, 8), date(2026, 3, 14)))

    rate = next(k for k in overview(scope=scope).kpis if k.key == "engagement_rate")

    assert rate.current.total == pytest.approx(0.05)
    assert rate.previous.total == pytest.approx(0.02)
    assert rate.change() == pytest.approx(3.0)  # percentage points
    assert (rate.current.organic, rate.current.promoted) == (None, None)  # X does not split it
