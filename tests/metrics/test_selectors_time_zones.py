"""Days are the team's days: syncs, daily rows and creation dates are read in its time zone."""

from datetime import UTC, date, datetime

import pytest

from metrics.models import Context
from metrics.selectors import Coverage, Period, PeriodMode, Scope, overview, scope_coverage
from tests.factories import TeamFactory, XAccountFactory
from tests.metrics.factories import PostFactory, PostMetricsFactory, sync_ran

pytestmark = pytest.mark.django_db


@pytest.fixture
def los_angeles():
    team = TeamFactory(time_zone="America/Los_Angeles")
    account = XAccountFactory(team=team, connected_at=datetime(2026, 2, 1, tzinfo=UTC))
    return team, account


def test_a_sync_covers_the_team_day_on_which_it_started(los_angeles):
    team, account = los_angeles
    # 06:00 UTC on 3 March is 22:00 on 2 March in Los Angeles.
    sync_ran(account, datetime(2026, 3, 3, 6, 0, tzinfo=UTC))

    coverage = scope_coverage(
        scope=Scope(team, (account,), Period(date(2026, 3, 2), date(2026, 3, 3)))
    )

    assert coverage.coverage(date(2026, 3, 2)) == Coverage.PARTIAL
    assert coverage.missing(date(2026, 3, 2))[0].reason == "last reading at 22:00"
    assert coverage.coverage(date(2026, 3, 3)) == Coverage.NONE


def test_posts_created_in_the_period_are_picked_by_their_team_day(los_angeles):
    team, account = los_angeles
    # 03:00 UTC on 3 March is 19:00 on 2 March in Los Angeles: a 2 March Post.
    evening = PostFactory(account=account, created_at=datetime(2026, 3, 3, 3, 0, tzinfo=UTC))
    next_day = PostFactory(account=account, created_at=datetime(2026, 3, 3, 9, 0, tzinfo=UTC))
    PostMetricsFactory(post=evening, context=Context.PUBLIC, impression_count=70)
    PostMetricsFactory(post=next_day, context=Context.PUBLIC, impression_count=5)
    scope = Scope(team, (account,), Period(date(2026, 3, 2), date(2026, 3, 2)), PeriodMode.CREATED)

    kpi = overview(scope=scope).kpis[0]

    assert kpi.current.total == 70
