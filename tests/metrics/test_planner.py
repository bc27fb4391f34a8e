"""The planner asks for the floor: ceil(n/100) per group, nothing forbidden, nothing known."""

from datetime import UTC, date, datetime, timedelta

from metrics.planner import (
    PRIVATE,
    PUBLIC,
    Cadence,
    PostState,
    is_promoted,
    plan_lookups,
    private_cutoff,
    promoted_batches,
)

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
TODAY = NOW.date()


def posts(n, *, age, refreshed=None, start=1, read_on=None):
    return [
        PostState(
            x_post_id=start + i,
            created_at=NOW - age,
            public_refreshed_at=refreshed,
            private_refreshed_at=refreshed,
            last_read_on=read_on,
        )
        for i in range(n)
    ]


def plan(states, *, fresh=(), budget=1_000_000, now=NOW):
    return plan_lookups(
        posts=states, now=now, fresh_ids=set(fresh), reads_left_today=budget, billing_day=TODAY
    )


def test_young_and_old_posts_never_share_a_batch():
    result = plan(
        posts(150, age=timedelta(days=2)) + posts(250, age=timedelta(days=40), start=1000)
    )
    groups = [(b.group, b.metrics, len(b.ids)) for b in result.batches]
    assert groups == [
        ("young", PRIVATE, 100), ("young", PRIVATE, 50),
        ("old", PUBLIC, 100), ("old", PUBLIC, 100), ("old", PUBLIC, 50),
    ]  # fmt: skip


def test_posts_just_read_from_the_timeline_are_not_asked_again():
    states = posts(10, age=timedelta(hours=1))
    assert plan(states, fresh={s.x_post_id for s in states}).batches == []


def test_fresh_posts_refresh_every_15_minutes_and_young_ones_hourly():
    fresh = posts(3, age=timedelta(hours=5), refreshed=NOW - timedelta(minutes=16))
    young_recent = posts(4, age=timedelta(days=5), refreshed=NOW - timedelta(minutes=16), start=100)
    young_due = posts(5, age=timedelta(days=5), refreshed=NOW - timedelta(minutes=61), start=200)
    ids = {int(i) for b in plan(fresh + young_recent + young_due).batches for i in b.ids}
    assert ids == {s.x_post_id for s in fresh + young_due}


def test_old_posts_refresh_daily():
    done_today = posts(3, age=timedelta(days=60), refreshed=NOW - timedelta(hours=3))
    due = posts(2, age=timedelta(days=60), refreshed=NOW - timedelta(days=1), start=50)
    assert [b.ids for b in plan(done_today + due).batches] == [("51", "50")]


def test_posts_close_to_day_30_count_as_old():
    near_line = posts(1, age=timedelta(days=30) - timedelta(minutes=5))
    assert plan(near_line).batches[0].group == "old"
    assert private_cutoff(NOW) == NOW - timedelta(days=30) + timedelta(minutes=10)


def test_when_the_budget_runs_short_old_posts_are_skipped_first():
    young = posts(30, age=timedelta(days=3))
    old = posts(50, age=timedelta(days=90), start=1000)
    result = plan(young + old, budget=40)
    by_group = {
        g: sum(len(b.ids) for b in result.batches if b.group == g) for g in ("young", "old")
    }
    assert by_group == {"young": 30, "old": 10}
    assert result.skipped_for_budget == 40


def test_on_short_days_old_posts_take_turns_longest_unread_first():
    long_ago = posts(5, age=timedelta(days=90), refreshed=NOW - timedelta(days=6), start=10)
    yesterday = posts(5, age=timedelta(days=60), refreshed=NOW - timedelta(days=1), start=500)
    never = posts(2, age=timedelta(days=200), start=1)
    result = plan(yesterday + long_ago + never, budget=7)
    asked = {int(i) for b in result.batches for i in b.ids}
    # Never read, then read 6 days ago; the newest, read yesterday, wait for another day.
    assert asked == {1, 2, 10, 11, 12, 13, 14}
    assert result.skipped_for_budget == 5


def test_a_post_already_read_today_costs_nothing_more():
    old = posts(20, age=timedelta(days=90), read_on=TODAY, refreshed=NOW - timedelta(days=2))
    result = plan(old, budget=0)
    assert sum(len(b.ids) for b in result.batches) == 20
    assert [b.billed_at_most for b in result.batches] == [0]


def test_each_batch_says_how_many_of_its_posts_x_can_bill_today():
    read_today = posts(30, age=timedelta(days=2), read_on=TODAY, start=1)
    unread = posts(90, age=timedelta(days=2), start=1000)
    result = plan(read_today + unread)
    # Newest first: 90 unread and 10 read today, then 20 read today.
    assert [(len(b.ids), b.billed_at_most) for b in result.batches] == [(100, 90), (20, 0)]
    assert promoted_batches({5})[0].billed_at_most is None  # the sync asks the store


def test_promoted_metrics_are_asked_only_for_promoted_posts():
    assert [b.ids for b in promoted_batches({5, 3})] == [("5", "3")]
    assert promoted_batches(set()) == []
    assert is_promoted(non_public_impressions=500, organic_impressions=300) is True
    assert is_promoted(non_public_impressions=300, organic_impressions=300) is False
    assert is_promoted(non_public_impressions=None, organic_impressions=300) is None


def test_the_cadence_is_configurable():
    slow = Cadence(fresh_every=timedelta(hours=1))
    states = posts(1, age=timedelta(hours=1), refreshed=NOW - timedelta(minutes=20))
    result = plan_lookups(
        posts=states, now=NOW, fresh_ids=set(), reads_left_today=10, billing_day=date.today(),
        cadence=slow,
    )  # fmt: skip
    assert result.batches == []
