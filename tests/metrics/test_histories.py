"""The seeded history that the dashboard tests read must not depend on the time of day."""

from datetime import datetime, time, timedelta

import pytest

from tests.metrics.histories import seed_synced_team

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "clock",
    [time(0, 1), time(17, 59, 59), time(18, 0), time(18, 0, 30), time(18, 1, 30), time(23, 59)],
)
def test_the_last_sync_ended_minutes_before_now_at_any_time_of_day(team, clock):
    # Pages say "just now" for a sync under a minute old; the tests expect "N min ago".
    now = datetime.combine(datetime.now(team.tzinfo).date(), clock, tzinfo=team.tzinfo)

    synced = seed_synced_team(team, now=now)

    for account in synced.accounts:
        assert now - account.last_synced_at >= timedelta(minutes=1)
