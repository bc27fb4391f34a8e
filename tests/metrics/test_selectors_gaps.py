"""Days without a successful sync are "no data", never zero; synced days without rows are zero."""

from datetime import date, datetime, timedelta

import pytest

from accounts.models import XAccount
from metrics.models import Context, SyncRun
from metrics.selectors import (
    Coverage,
    GapNote,
    Period,
    Scope,
    daily_series_rows,
    overview,
    scope_coverage,
)
from tests.factories import TeamFactory, XAccountFactory
from tests.metrics.factories import PostDailyFactory, PostFactory, sync_ran

pytestmark = pytest.mark.django_db

MAR = [date(2026, 3, d) for d in range(1, 8)]


@pytest.fixture
def team():
    return TeamFactory(time_zone="UTC")


def _account(team, username):
    return XAccountFactory(
        team=team, username=username, connected_at=datetime(2026, 2, 1, tzinfo=team.tzinfo)
    )


def _at(team, day, hour=12):
    return datetime(day.year, day.month, day.day, hour, tzinfo=team.tzinfo)


def _organic(post, day, gain):
    PostDailyFactory(post=post, day=day, context=Context.ORGANIC, impression_count_gain=gain)


def _series(team, accounts, start, end):
    scope = Scope(team, tuple(accounts), Period(start, end))
    return overview(scope=scope).series("impression_count")


def test_a_day_without_a_successful_sync_is_no_data_not_zero(team):
    brand = _account(team, "brand")
    post = PostFactory(account=brand, created_at=_at(team, MAR[0], 8))
    sync_ran(brand, _at(team, MAR[0]))
    sync_ran(brand, _at(team, MAR[2]))
    _organic(post, MAR[0], 100)
    _organic(post, MAR[2], 40)

    series = _series(team, [brand], MAR[0], MAR[2])

    assert [r.parts and r.parts.organic for r in series] == [100, None, 40]
    assert [r.coverage for r in series] == [Coverage.FULL, Coverage.NONE, Coverage.FULL]
    assert series[1].missing == (GapNote("brand", "no successful sync"),)


def test_today_before_its_first_sync_is_no_data_not_yet_synced_rather_than_failed(team):
    today = datetime.now(team.tzinfo).date()
    yesterday = today - timedelta(days=1)
    brand = _account(team, "brand")
    post = PostFactory(account=brand, created_at=_at(team, yesterday, 0))
    sync_ran(brand, _at(team, yesterday))
    _organic(post, yesterday, 100)

    series = _series(team, [brand], yesterday, today)

    assert [r.coverage for r in series] == [Coverage.FULL, Coverage.NONE]
    assert series[1].missing == (GapNote("brand", "not synced yet today"),)


def test_a_synced_day_without_rows_had_zero_gain(team):
    brand = _account(team, "brand")
    post = PostFactory(account=brand, created_at=_at(team, MAR[0], 8))
    for day in MAR[:3]:
        sync_ran(brand, _at(team, day))
    _organic(post, MAR[0], 100)

    series = _series(team, [brand], MAR[0], MAR[2])

    assert [r.parts.organic for r in series] == [100, 0, 0]


def test_a_sync_that_failed_after_saving_pages_still_covers_its_day(team):
    brand = _account(team, "brand")
    sync_ran(brand, _at(team, MAR[0]), outcome=SyncRun.Outcome.FAILED, pages_done=2)
    sync_ran(brand, _at(team, MAR[1]), outcome=SyncRun.Outcome.FAILED, pages_done=0)

    coverage = scope_coverage(scope=Scope(team, (brand,), Period(MAR[0], MAR[1])))

    assert coverage.coverage(MAR[0]) == Coverage.FULL
    assert coverage.missing(MAR[1]) == (GapNote("brand", "sync failed"),)


def test_a_day_some_accounts_missed_is_partial_and_says_who_and_why(team):
    brand, small = _account(team, "brand"), _account(team, "smallco")
    sync_ran(brand, _at(team, MAR[0]))
    sync_ran(small, _at(team, MAR[0]), outcome=SyncRun.Outcome.DEFERRED, pages_done=0)

    (row,) = _series(team, [brand, small], MAR[0], MAR[0])

    assert row.coverage == Coverage.PARTIAL
    assert row.missing == (GapNote("smallco", "deferred (rate limit or read budget)"),)
    assert row.parts.organic == 0  # brand's share is known: zero


def test_days_before_an_account_was_connected_or_after_it_was_disconnected_say_so(team):
    account = XAccountFactory(
        team=team,
        username="late",
        connected_at=_at(team, MAR[2], 9),
        status=XAccount.Status.DISCONNECTED,
        disconnected_at=_at(team, MAR[4], 9),
    )
    sync_ran(account, _at(team, MAR[3]))

    coverage = scope_coverage(scope=Scope(team, (account,), Period(MAR[1], MAR[5])))

    assert [coverage.missing(d)[0].reason if coverage.missing(d) else None for d in MAR[1:6]] == [
        "not yet connected",
        "no successful sync",
        None,
        "disconnected",
        "disconnected",
    ]


def test_days_that_have_not_happened_yet_are_not_gaps(team):
    brand = _account(team, "brand")
    today = datetime.now(team.tzinfo).date()

    coverage = scope_coverage(scope=Scope(team, (brand,), Period(today, today)))

    assert coverage.missing(today)  # today, no sync yet: a gap so far
    future = Period(today, today + timedelta(days=7))
    assert not scope_coverage(scope=Scope(team, (brand,), future)).missing(future.end)


def test_the_daily_csv_rows_of_a_gap_day_carry_no_numbers_but_the_reason(team):
    brand = _account(team, "brand")
    post = PostFactory(account=brand, created_at=_at(team, MAR[0], 8))
    sync_ran(brand, _at(team, MAR[0]))
    PostDailyFactory(
        post=post, day=MAR[0], context=Context.ORGANIC,
        impression_count=100, impression_count_gain=100,
    )  # fmt: skip

    rows = list(daily_series_rows(scope=Scope(team, (brand,), Period(MAR[0], MAR[1]))))

    assert [(r.day, r.gain, r.end_of_day, r.note) for r in rows] == [
        (MAR[0], 100, 100, ""),
        (MAR[1], None, None, "no data: no successful sync"),
    ]
