"""docs/DESIGN.md's worked example, exactly: Post P goes out Monday 10:00; readings Mon 12:00
organic 100 promoted 0, Tue 09:00 organic 400 promoted 250, Wed 20:00 organic 500 promoted 600.
Exact: 100 between birth and Mon 12:00, 300 and 100 between the readings; split in proportion to
time, the days hold organic 271/172/57 and promoted 143/257/200, each marked estimated, and the
Posts rows carry organic 500, promoted 600.
"""

import pytest

from metrics.selectors import (
    Coverage,
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


def test_the_daily_series_carries_the_split_gains_marked_estimated(example):
    team, account, _ = example

    rows = list(daily_series_rows(scope=_scope(team, account)))

    assert [(r.day, r.context, r.gain, r.end_of_day, r.basis) for r in rows] == [
        (MON, "organic", 271, 271, "estimated"),
        (MON, "promoted", 143, 143, "estimated"),
        (TUE, "organic", 172, 443, "estimated"),
        (TUE, "promoted", 257, 400, "estimated"),
        (WED, "organic", 57, 500, "estimated"),
        (WED, "promoted", 200, 600, "estimated"),
    ]
    # Monday's 100 from birth to noon was read exactly; the rest of each day is a split.
    assert [r.estimated for r in rows if r.context == "organic"] == [171, 172, 57]


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
        (MON, 271, 143),
        (TUE, 172, 257),
        (WED, 57, 200),
    ]
    assert [(r.estimated.organic, r.estimated.promoted) for r in series] == [
        (171, 143),
        (172, 257),
        (57, 200),
    ]
    # Wednesday's last reading was at 20:00: the rest of it is not known yet.
    assert [r.coverage for r in series] == [Coverage.FULL, Coverage.FULL, Coverage.PARTIAL]


def test_the_impressions_kpi_splits_the_period_total(example):
    team, account, _ = example

    kpi = overview(scope=_scope(team, account)).kpis[0]

    assert kpi.key == "impression_count"
    assert (kpi.current.organic, kpi.current.promoted) == (500, 600)
    # The previous three days (Fri to Sun) are before the account was connected: no data.
    assert (kpi.previous.organic, kpi.previous.promoted) == (None, None)
    assert kpi.change("organic") is None
