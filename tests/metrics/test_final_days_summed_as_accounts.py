"""Final days are summed over the accounts by the database: the same sums, after-30 parts
included, as adding up each account's day (how live days are read)."""

from datetime import date, datetime, timedelta

import pytest

from metrics.models import Context
from metrics.selectors import Period, Scope, team_accounts, team_today
from metrics.selectors.days import _merge_accounts, _read_days, scope_days
from tests.factories import TeamFactory, XAccountFactory
from tests.metrics.factories import PostDailyFactory, PostFactory, sync_ran

pytestmark = pytest.mark.django_db


def test_after_30_of_a_final_day_is_the_sum_of_each_accounts(django_capture_on_commit_callbacks):
    team = TeamFactory(time_zone="UTC")
    today = team_today(team)
    day = today - timedelta(days=3)
    at = datetime.combine(day, datetime.min.time(), team.tzinfo) + timedelta(hours=12)
    a = XAccountFactory(team=team, username="a", connected_at=at - timedelta(days=60))
    b = XAccountFactory(team=team, username="b", connected_at=at - timedelta(days=60))
    old = at - timedelta(days=30, hours=6)  # day 30 ends on `day`
    pa, pb = PostFactory(account=a, created_at=old), PostFactory(account=b, created_at=old)
    # a: X's organic count caught up on the day of its 30-day line, its public one did not move
    PostDailyFactory(
        post=pa, day=day, context=Context.ORGANIC, after_day_30=True, impression_count_gain=5
    )
    # b: public growth after day 30
    PostDailyFactory(
        post=pb, day=day, context=Context.PUBLIC, after_day_30=True, impression_count_gain=100
    )
    for acc in (a, b):
        sync_ran(acc, at)
    scope = Scope(team, tuple(team_accounts(team=team)), Period(day, day))

    per_account = _merge_accounts(
        _read_days(scope, scope.accounts, Period(day, day), merged_until=date.min)[day]
    )
    merged = scope_days(scope=scope, period=Period(day, day))[day]
    assert merged.posts.get("after_30") == per_account.posts.get("after_30")
