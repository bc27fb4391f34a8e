"""A count's life: exact at readings and at birth, estimated between them, unknown before the
first reading of an object born long before it. Pure functions: no database."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from metrics.lifeline import (
    DEFAULT_CURVE,
    Basis,
    advance,
    allocate,
    curve_from_histories,
    day_weights,
)
from tests.metrics.factories import LINEAR_CURVE

NEW_YORK = ZoneInfo("America/New_York")
NAMES = ("impression_count",)
LINEAR = LINEAR_CURVE


def at(day, hour, minute=0, tz=NEW_YORK):
    return datetime(2026, 3, day, hour, minute, tzinfo=tz)


def readings(values, *, born, curve=LINEAR, tz=NEW_YORK):
    """Feed (instant, count) readings through `advance`; the days as they stand at the end."""
    latest, days = None, {}
    for instant, value in values:
        latest, changed = advance(
            latest,
            {"impression_count": value},
            observed_at=instant,
            born=born,
            tz=tz,
            curve=curve,
            names=NAMES,
        )
        days.update({d.day: d for d in changed})
    return latest, days


def test_the_worked_example_splits_each_known_gain_over_its_days_and_keeps_the_total():
    born = at(2, 10)  # Monday 10:00
    _, days = readings([(at(2, 12), 100), (at(3, 9), 400), (at(4, 20), 500)], born=born)

    gains = {d: v.gains["impression_count"] for d, v in days.items()}
    assert gains == {date(2026, 3, 2): 271, date(2026, 3, 3): 172, date(2026, 3, 4): 57}
    assert sum(gains.values()) == 500
    assert {v.basis("impression_count") for v in days.values()} == {Basis.ESTIMATED}
    # Monday's 100 from birth to noon is exact; only the 171 after noon is a split.
    assert days[date(2026, 3, 2)].estimated["impression_count"] == 171
    assert days[date(2026, 3, 4)].counts["impression_count"] == 500


def test_a_first_reading_is_measured_from_birth_at_zero():
    born = at(2, 10)
    latest, days = readings([(at(2, 22), 640)], born=born)

    (monday,) = days.values()
    assert monday.gains == {"impression_count": 640}
    assert monday.basis("impression_count") == Basis.OBSERVED
    assert latest.start == {"impression_count": 0}


def test_a_first_reading_days_after_birth_spreads_the_lifetime_from_the_birth_day():
    born = at(2, 10)
    _, days = readings([(at(5, 10), 7200)], born=born, curve=DEFAULT_CURVE)

    gains = [days[date(2026, 3, d)].gains["impression_count"] for d in (2, 3, 4, 5)]
    assert sum(gains) == 7200
    assert gains == sorted(gains, reverse=True)  # most of it on the first day
    assert all(days[date(2026, 3, d)].basis("impression_count") == Basis.ESTIMATED for d in (2, 5))


def test_a_first_reading_past_the_horizon_leaves_the_days_unknown_and_the_lifetime_known():
    born = at(2, 10) - timedelta(days=40)
    _, days = readings([(at(2, 12), 9000)], born=born)

    (day,) = days.values()
    assert day.gains == {"impression_count": None}
    assert day.basis("impression_count") == Basis.UNKNOWN
    assert day.counts == {"impression_count": 9000}

    # The next day's gain is exact as a total again, split over the two days.
    _, later = readings([(at(2, 12), 9000), (at(3, 12), 9240)], born=born)
    assert later[date(2026, 3, 2)].gains == {"impression_count": None}
    assert later[date(2026, 3, 3)].gains["impression_count"] == 9240 - 9000 - (
        later[date(2026, 3, 2)].counts["impression_count"] - 9000
    )


def test_readings_within_one_day_are_exact():
    born = at(2, 10)
    _, days = readings([(at(2, 11), 10), (at(2, 15), 90), (at(2, 23), 120)], born=born)

    assert days[date(2026, 3, 2)].gains == {"impression_count": 120}
    assert days[date(2026, 3, 2)].estimated == {"impression_count": 0}


def test_a_count_that_falls_is_split_like_any_gain():
    born = at(2, 10)
    _, days = readings([(at(2, 12), 100), (at(3, 12), 94)], born=born)

    assert (
        days[date(2026, 3, 2)].gains["impression_count"]
        + days[date(2026, 3, 3)].gains["impression_count"]
        == 94
    )
    assert days[date(2026, 3, 3)].gains["impression_count"] < 0


def test_days_are_the_team_s_days_across_a_daylight_saving_change():
    # New York springs forward on 8 March 2026: that day has 23 hours.
    start = datetime(2026, 3, 7, 12, tzinfo=NEW_YORK)
    end = datetime(2026, 3, 9, 12, tzinfo=NEW_YORK)
    weights = dict(
        day_weights(start, end, born=start - timedelta(days=60), tz=NEW_YORK, curve=LINEAR)
    )

    hours = (end.astimezone(UTC) - start.astimezone(UTC)).total_seconds() / 3600
    assert hours == 47
    assert weights[date(2026, 3, 8)] == pytest.approx(23 / hours)
    assert sum(weights.values()) == pytest.approx(1.0)


def test_the_same_instants_fall_on_other_days_in_another_time_zone():
    born = datetime(2026, 3, 2, 3, tzinfo=UTC)  # 22:00 on 1 March in New York
    _, days = readings([(datetime(2026, 3, 2, 6, tzinfo=UTC), 50)], born=born, tz=NEW_YORK)

    assert set(days) == {date(2026, 3, 1), date(2026, 3, 2)}


def test_allocation_is_whole_and_adds_up_exactly():
    assert allocate(10, [1 / 3, 1 / 3, 1 / 3]) == [3, 4, 3]
    assert sum(allocate(-7, [0.2, 0.5, 0.3])) == -7
    assert allocate(0, [0.5, 0.5]) == [0, 0]


def _dense_history(reach, *, hours=200, every=0.5):
    ages = [every * n for n in range(1, int(hours / every) + 1)]
    return [(age, int(reach * (1 - 0.9**age))) for age in ages]


def test_an_account_s_curve_comes_from_its_posts_read_densely_from_birth():
    histories = [_dense_history(1000 + n) for n in range(20)]

    curve = curve_from_histories(histories)

    assert curve.source == "account: 20 Posts read from birth"
    assert curve.at(24) == pytest.approx(1 - 0.9**24, abs=0.01)
    assert list(curve.shares) == sorted(curve.shares)


def test_with_fewer_than_twenty_dense_posts_the_default_curve_serves():
    sparse = [[(30.0, 500), (200.0, 900)]] * 40  # first read a day after birth: not dense
    dense = [_dense_history(1000)] * 19

    assert curve_from_histories(sparse + dense) is DEFAULT_CURVE
    assert DEFAULT_CURVE.is_default
    # The default puts about three quarters of a Post's first week in its first day.
    assert DEFAULT_CURVE.at(24) / DEFAULT_CURVE.at(168) == pytest.approx(0.8, abs=0.05)


def test_a_count_left_out_of_one_answer_keeps_its_last_value_and_its_days_known():
    born = at(2, 10)
    latest, days = None, {}
    for instant, value in ((at(2, 12), 5), (at(3, 12), None), (at(4, 12), 9)):
        latest, changed = advance(
            latest, {"impression_count": value}, observed_at=instant, born=born,
            tz=NEW_YORK, curve=LINEAR, names=NAMES,
        )  # fmt: skip
        days.update({d.day: d for d in changed})

    assert latest.counts == {"impression_count": 9}
    assert sum(d.gains["impression_count"] for d in days.values()) == 9
    assert all(d.gains["impression_count"] is not None for d in days.values())
