"""The stored history against the sandbox's truth, over days of syncs on the sandbox's clock:
every Post's total is exact, a day marked observed is exact, and the days split by the age
curve come close to what the sandbox earned on them."""

from datetime import UTC, datetime, timedelta

import pytest

from metrics.models import AccountDaily, AccountMediaDaily
from metrics.rollups import account_rollups_rebuild
from tests.factories import TeamFactory
from tests.metrics.replay import compare, replay

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_three_days_of_syncs_every_three_hours_keep_totals_exact_and_days_close(x_sandbox):
    team = TeamFactory(time_zone="America/New_York")
    start = (datetime.now(UTC) - timedelta(days=4)).replace(minute=7, second=0, microsecond=0)

    run = replay(x_sandbox, team, ["quartile_brand"], start=start, days=3, every=timedelta(hours=3))
    (account,) = run.accounts
    result = compare(x_sandbox, run, account)

    assert result.posts_born > 0
    assert result.posts_exact == result.posts_born  # exact at a reading, from birth
    assert len(result.days) >= 2
    for day in result.days:
        if day.basis == "observed":
            assert day.ours == day.truth, day
    _, worst = result.summary()
    # Split over a midnight three hours apart at most: within a few percent of the truth.
    assert worst < 0.05, result.days


def test_the_accounts_daily_sums_the_sync_moves_equal_its_rows_summed_afresh(x_sandbox):
    team = TeamFactory(time_zone="Asia/Tokyo")
    start = (datetime.now(UTC) - timedelta(days=3)).replace(minute=41, second=0, microsecond=0)
    run = replay(x_sandbox, team, ["quartile_brand"], start=start, days=2, every=timedelta(hours=5))
    (account,) = run.accounts

    moved = _sums(account)
    account_rollups_rebuild(account_ids=[account.pk])

    assert all(moved.values()), "the sync wrote daily sums of Posts and of videos"
    assert moved == _sums(account)


def _sums(account) -> dict[str, list[tuple]]:
    """Each table's rows of the account, without their ids, in a stable order."""
    return {
        model.__name__: sorted(
            (
                tuple(value for column, value in row.items() if column != "id")
                for row in model.objects.filter(account=account).values()
            ),
            key=repr,
        )
        for model in (AccountDaily, AccountMediaDaily)
    }
