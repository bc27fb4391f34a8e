"""DESIGN.md's worked example, exactly: Post P goes out Monday 10:00; snapshots Mon 12:00
organic 100 promoted 0, Tue 09:00 organic 400 promoted 250, Wed 20:00 organic 500 promoted 600.
Daily gains: Mon 100/0, Tue 300/250, Wed 100/350; the Posts rows carry organic 500, promoted 600.
"""

import pytest

from metrics.selectors import (
    Coverage,
    DailySeriesRow,
    Period,
    PeriodMode,
    Scope,
    daily_series_rows,
    overview,
    post_rows,
)
from tests.factories import TeamFactory
from tests.metrics.histories import WORKED_EXAMPLE_DAYS, seed_worked_example

pytestmark = pytest.mark.django_db

MON, TUE, WED = WORKED_EXAMPLE_DAYS


@pytest.fixture
def example():
    team = TeamFactory(time_zone="America/New_York")
    post = seed_worked_example(team)
    return team, post.account, post


def _scope(team, account, mode=PeriodMode.ACTIVITY):
    return Scope(team, (account,), Period(MON, WED), mode)


def test_the_daily_series_carries_exactly_the_six_gains(example):
    team, account, _ = example

    rows = list(daily_series_rows(scope=_scope(team, account)))

    assert rows == [
        DailySeriesRow(MON, "acme", "impression_count", "organic", 100, 100),
        DailySeriesRow(MON, "acme", "impression_count", "promoted", 0, 0),
        DailySeriesRow(TUE, "acme", "impression_count", "organic", 300, 400),
        DailySeriesRow(TUE, "acme", "impression_count", "promoted", 250, 250),
        DailySeriesRow(WED, "acme", "impression_count", "organic", 100, 500),
        DailySeriesRow(WED, "acme", "impression_count", "promoted", 350, 600),
    ]


@pytest.mark.parametrize("mode", [PeriodMode.ACTIVITY, PeriodMode.CREATED])
def test_the_posts_rows_carry_organic_500_and_promoted_600(example, mode):
    team, account, post = example

    (row,) = post_rows(scope=_scope(team, account, mode))

    impressions = row.metrics["impression_count"]
    assert (row.post_id, impressions.organic, impressions.promoted) == (post.pk, 500, 600)


def test_the_impressions_chart_draws_the_same_gains(example):
    team, account, _ = example

    series = overview(scope=_scope(team, account)).series("impression_count")

    assert [(r.day, r.parts.organic, r.parts.promoted) for r in series] == [
        (MON, 100, 0),
        (TUE, 300, 250),
        (WED, 100, 350),
    ]
    assert {r.coverage for r in series} == {Coverage.FULL}


def test_the_impressions_kpi_splits_the_period_total(example):
    team, account, _ = example

    kpi = overview(scope=_scope(team, account)).kpis[0]

    assert kpi.key == "impression_count"
    assert (kpi.current.organic, kpi.current.promoted) == (500, 600)
    # The previous three days (Fri to Sun) are before the account was connected: no data.
    assert (kpi.previous.organic, kpi.previous.promoted) == (None, None)
    assert kpi.change("organic") is None
