"""What is known of each day: complete once a reading after its end covers it, so far today,
partly known before a connection and on the connection day, no data after the last reading
(with the reason), never zero; a day between two readings is known, its split estimated."""

from datetime import date, datetime, timedelta

import pytest

from accounts.models import XAccount
from metrics.models import Context, SyncRun
from metrics.selectors import (
    Coverage,
    DailyTotalRow,
    GapNote,
    Period,
    Scope,
    daily_series_rows,
    overview,
    scope_coverage,
)
from tests.factories import TeamFactory, XAccountFactory
from tests.metrics.factories import HistoryWriter, PostDailyFactory, PostFactory, sync_ran

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


def test_a_day_without_a_sync_between_two_readings_is_estimated_not_a_gap(team):
    brand = _account(team, "brand")
    post = PostFactory(account=brand, created_at=_at(team, MAR[0], 8))
    history = HistoryWriter()
    for day, value in ((MAR[0], 100), (MAR[2], 140), (MAR[3], 150)):
        sync_ran(brand, _at(team, day))
        history.observe_post(post, _at(team, day), Context.ORGANIC, impression_count=value)
    history.flush()

    series = _series(team, [brand], MAR[0], MAR[2])

    assert [r.coverage for r in series] == [Coverage.FULL] * 3
    # 140 by the reading of MAR[2], plus the share of the next 10 that falls after it.
    assert 140 < sum(r.parts.organic for r in series) < 150
    missed = series[1]
    assert missed.parts.organic > 0 and missed.estimated.organic == missed.parts.organic


def test_a_day_after_the_last_reading_is_no_data_with_the_reason_never_zero(team):
    brand = _account(team, "brand")
    post = PostFactory(account=brand, created_at=_at(team, MAR[0], 8))
    sync_ran(brand, _at(team, MAR[0]), finished_at=_at(team, MAR[0]))
    sync_ran(brand, _at(team, MAR[1]), outcome=SyncRun.Outcome.DEFERRED, pages_done=0)
    _organic(post, MAR[0], 100)

    series = _series(team, [brand], MAR[0], MAR[1])

    assert [r.parts and r.parts.organic for r in series] == [100, None]
    assert [r.coverage for r in series] == [Coverage.PARTIAL, Coverage.NONE]
    assert series[0].missing == (GapNote("brand", "last reading at 12:00"),)
    assert series[1].missing == (GapNote("brand", "deferred (rate limit or read budget)"),)


def test_today_before_its_first_sync_is_no_data_not_yet_synced_rather_than_failed(team):
    today = datetime.now(team.tzinfo).date()
    yesterday = today - timedelta(days=1)
    brand = _account(team, "brand")
    post = PostFactory(account=brand, created_at=_at(team, yesterday, 0))
    sync_ran(brand, _at(team, yesterday))
    _organic(post, yesterday, 100)

    series = _series(team, [brand], yesterday, today)

    assert series[1].coverage == Coverage.NONE
    assert series[1].missing == (GapNote("brand", "not synced yet today"),)


def test_today_after_a_sync_is_so_far(team):
    now = datetime.now(team.tzinfo)
    brand = _account(team, "brand")
    sync_ran(brand, now - timedelta(minutes=1))

    coverage = scope_coverage(scope=Scope(team, (brand,), Period(now.date(), now.date())))

    assert coverage.coverage(now.date()) == Coverage.SO_FAR
    assert coverage.coverage(now.date()).label == "So far today"


def test_a_synced_day_without_rows_had_zero_gain(team):
    brand = _account(team, "brand")
    post = PostFactory(account=brand, created_at=_at(team, MAR[0], 8))
    for day in MAR[:4]:
        sync_ran(brand, _at(team, day))
    _organic(post, MAR[0], 100)

    series = _series(team, [brand], MAR[0], MAR[2])

    assert [r.parts.organic for r in series] == [100, 0, 0]
    assert {r.coverage for r in series} == {Coverage.FULL}


def test_a_sync_that_failed_after_saving_pages_still_read_its_day(team):
    brand = _account(team, "brand")
    sync_ran(brand, _at(team, MAR[0]), outcome=SyncRun.Outcome.FAILED, pages_done=2)
    sync_ran(brand, _at(team, MAR[1]), outcome=SyncRun.Outcome.FAILED, pages_done=0)

    coverage = scope_coverage(scope=Scope(team, (brand,), Period(MAR[0], MAR[1])))

    assert coverage.coverage(MAR[0]) == Coverage.PARTIAL  # read, its end not yet
    assert not coverage.is_gap(brand.pk, MAR[0])
    assert coverage.missing(MAR[1]) == (GapNote("brand", "sync failed"),)


def test_a_day_some_accounts_missed_is_partial_and_says_who_and_why(team):
    brand, small = _account(team, "brand"), _account(team, "smallco")
    for day in MAR[:2]:
        sync_ran(brand, _at(team, day))
    sync_ran(small, _at(team, MAR[0]), outcome=SyncRun.Outcome.DEFERRED, pages_done=0)

    (row,) = _series(team, [brand, small], MAR[0], MAR[0])

    assert row.coverage == Coverage.PARTIAL
    assert row.missing == (GapNote("smallco", "deferred (rate limit or read budget)"),)
    assert row.parts.organic == 0  # brand's share is known: zero


def test_days_before_a_connection_on_it_and_after_a_disconnection_say_what_is_known(team):
    account = XAccountFactory(
        team=team,
        username="late",
        connected_at=_at(team, date(2026, 4, 2), 9),
        status=XAccount.Status.DISCONNECTED,
        disconnected_at=_at(team, date(2026, 4, 5), 9),
    )
    for day in (2, 3, 4):
        sync_ran(account, _at(team, date(2026, 4, day)))
    days = [date(2026, 3, 2), date(2026, 3, 5), date(2026, 4, 2), date(2026, 4, 3)]
    days += [date(2026, 4, 4), date(2026, 4, 5)]

    coverage = scope_coverage(scope=Scope(team, (account,), Period(days[0], days[-1])))

    assert [coverage.coverage(d) for d in days] == [
        Coverage.NONE, Coverage.PARTIAL, Coverage.PARTIAL, Coverage.FULL, Coverage.PARTIAL,
        Coverage.NONE,
    ]  # fmt: skip
    assert [coverage.missing(d)[0].reason if coverage.missing(d) else None for d in days] == [
        "before it was connected",
        "before it was connected: only its Posts created since 3 Mar count",
        "connected at 09:00: its Posts older than 30 days count from their second reading",
        None,
        "last reading at 12:00",
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

    assert [(r.day, r.gain, r.end_of_day, r.basis, r.note) for r in rows] == [
        (MAR[0], 100, 100, "observed", ""),
        (MAR[1], None, None, "unknown", "no data: no successful sync"),
    ]


def test_a_day_of_many_accounts_without_data_says_so_in_a_few_lines():
    connected_together = [GapNote(f"load_{n:02d}", "before it was connected") for n in range(50)]
    odd_ones = [GapNote(f"odd_{n}", f"reason {n}") for n in range(6)]
    row = DailyTotalRow(
        date(2026, 3, 2), "impression_count", None, Coverage.NONE,
        missing=(*odd_ones, *connected_together),
    )  # fmt: skip

    assert row.missing_summary == [
        "before it was connected: 50 accounts",
        "reason 0: @odd_0",
        "reason 1: @odd_1",
        "reason 2: @odd_2",
        "3 other reasons: 3 accounts",
    ]
