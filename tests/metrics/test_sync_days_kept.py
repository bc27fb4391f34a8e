"""A final day's sync outcomes are read from the runs once, then kept (`AccountSyncDay`):
the coverage of a long period reads days x accounts rows, not every run again."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from metrics.models import AccountSyncDay, SyncRun
from metrics.selectors import Period, Scope, team_accounts, team_today
from metrics.selectors.cache import final_until
from metrics.selectors.days import _sync_outcomes
from tests.factories import TeamFactory, XAccountFactory
from tests.metrics.factories import sync_ran

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    return TeamFactory(time_zone="America/New_York")


def _outcomes(team, period):
    scope = Scope(team, tuple(team_accounts(team=team)), period)
    return _sync_outcomes(scope, period)


def _at(team, day, hour):
    return datetime(day.year, day.month, day.day, hour, tzinfo=team.tzinfo)


def test_final_days_are_kept_once_and_read_back_the_same(team):
    today = team_today(team)
    account = XAccountFactory(team=team, connected_at=timezone.now() - timedelta(days=20))
    ok_day, failed_day = today - timedelta(days=3), today - timedelta(days=2)
    sync_ran(account, _at(team, ok_day, 23))  # 23:00 team time: that day, not the next (UTC)
    sync_ran(account, _at(team, failed_day, 9), outcome=SyncRun.Outcome.FAILED, pages_done=0)
    sync_ran(account, _at(team, today, 0) + timedelta(minutes=1))
    period = Period(today - timedelta(days=6), today)

    first = _outcomes(team, period)
    kept = AccountSyncDay.objects.filter(account=account)

    final_days = [d for d in period.days() if d <= final_until(team)]
    assert sorted(k.day for k in kept) == final_days  # every final day, a day without syncs too
    assert first[0] >= {(account.pk, ok_day)} and (account.pk, failed_day) not in first[0]
    assert first[1][account.pk, failed_day] == {SyncRun.Outcome.FAILED}
    assert (account.pk, today) in first[0]  # today: from the runs
    # Kept: a run recorded now on a final day (nothing does this) is not read again.
    sync_ran(account, _at(team, failed_day, 12))
    assert _outcomes(team, period) == first


def test_days_kept_in_another_time_zone_are_not_read(team):
    today = team_today(team)
    account = XAccountFactory(team=team, connected_at=timezone.now() - timedelta(days=20))
    day = today - timedelta(days=3)
    sync_ran(account, _at(team, day, 23))
    period = Period(day, day)
    _outcomes(team, period)
    team.time_zone = "Asia/Tokyo"  # 23:00 in New York is the next day in Tokyo
    team.save()
    team.refresh_from_db()

    covered, _ = _outcomes(team, Period(day, day + timedelta(days=1)))

    assert (account.pk, day + timedelta(days=1)) in covered
    assert set(AccountSyncDay.objects.values_list("time_zone", flat=True)) == {
        "America/New_York", "Asia/Tokyo",
    }  # fmt: skip
