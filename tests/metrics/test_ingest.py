"""Writing X's answers: snapshots only on change, drops kept as negative gains, NULL never 0,
rollups by the team's day, duplicates within a page, deleted Posts, idempotence."""

import dataclasses
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

import xapi
from metrics.ingest import store_page
from metrics.lifeline import DEFAULT_CURVE
from metrics.models import (
    AccountDaily,
    AccountMediaDaily,
    Context,
    MediaDaily,
    Post,
    PostDaily,
    PostMetrics,
    PostSnapshot,
)
from metrics.rollups import account_rollups_rebuild
from tests.factories import XAccountFactory
from tests.metrics.factories import LINEAR_CURVE

pytestmark = pytest.mark.django_db

PRIVATE = xapi.MetricGroup.PUBLIC | xapi.MetricGroup.NON_PUBLIC | xapi.MetricGroup.ORGANIC
UTC_TZ = ZoneInfo("UTC")
MONDAY = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


def post(x_id="1001", *, created_at=MONDAY, likes=1, impressions=100, organic=None, media_keys=()):
    return xapi.Post(
        id=x_id,
        text="Hello &amp; welcome",
        created_at=created_at,
        author_id=None,
        media_keys=tuple(media_keys),
        public_metrics=xapi.PostPublicMetrics(
            retweet_count=0, reply_count=0, like_count=likes, quote_count=None,
            bookmark_count=0, impression_count=impressions,
        ),
        organic_metrics=organic,
    )  # fmt: skip


def store(
    account, *posts, at, metrics=xapi.MetricGroup.PUBLIC, tz=UTC_TZ, errors=(), asked=(),
    curve=DEFAULT_CURVE,
):  # fmt: skip
    return store_page(
        curve=curve,
        account=account,
        page=xapi.Page(posts=tuple(posts), errors=tuple(errors)),
        metrics=metrics,
        observed_at=at,
        team_tz=tz,
        billing_day=at.date(),
        asked_ids=asked,
    )


def daily(account, day, context=Context.PUBLIC):
    return PostDaily.objects.get(post__account=account, day=day, context=context)


def test_a_snapshot_is_appended_only_when_a_value_changed():
    account = XAccountFactory()
    store(account, post(likes=1), at=MONDAY + timedelta(hours=1))
    store(account, post(likes=1), at=MONDAY + timedelta(hours=2))
    store(account, post(likes=2), at=MONDAY + timedelta(hours=3))
    assert PostSnapshot.objects.filter(context=Context.PUBLIC).count() == 2


def test_a_count_that_falls_is_stored_as_observed_and_shows_as_a_negative_gain():
    account = XAccountFactory()
    store(account, post(likes=10), at=MONDAY + timedelta(hours=1), curve=LINEAR_CURVE)
    store(account, post(likes=7), at=MONDAY + timedelta(days=1), curve=LINEAR_CURVE)
    latest = PostMetrics.objects.get(context=Context.PUBLIC)
    assert latest.like_count == 7
    monday, tuesday = daily(account, date(2026, 11, 2)), daily(account, date(2026, 11, 3))
    # The fall of 3 between the readings is split in proportion to time: 13 h then 10 h.
    assert (monday.like_count_gain, tuesday.like_count_gain) == (8, -1)
    assert (monday.like_count, tuesday.like_count) == (8, 7)


def test_a_metric_x_did_not_return_is_null_never_zero():
    account = XAccountFactory()
    store(account, post(), at=MONDAY + timedelta(hours=1))
    latest = PostMetrics.objects.get(context=Context.PUBLIC)
    assert latest.quote_count is None
    assert latest.url_link_clicks is None  # not a public metric at all
    assert not PostMetrics.objects.filter(context=Context.ORGANIC).exists()


def test_gains_follow_the_design_worked_example():
    """docs/DESIGN.md: snapshots Mon 12:00 100, Tue 09:00 400, Wed 20:00 500 organic impressions."""
    account = XAccountFactory()
    for at, value in [
        (MONDAY.replace(hour=12), 100),
        (MONDAY.replace(hour=9) + timedelta(days=1), 400),
        (MONDAY.replace(hour=20) + timedelta(days=2), 500),
    ]:
        organic = xapi.PostContextMetrics(value, 0, 0, 0, 0, 0)
        store(
            account, post(impressions=value, organic=organic), at=at, metrics=PRIVATE,
            curve=LINEAR_CURVE,
        )  # fmt: skip
    rows = [daily(account, date(2026, 11, d), Context.ORGANIC) for d in (2, 3, 4)]
    # Exact: 100, 300 and 100 between the known points; their split over midnight, estimated.
    assert [r.impression_count_gain for r in rows] == [271, 172, 57]
    assert [r.impression_count_estimated for r in rows] == [171, 172, 57]
    assert [r.impression_count for r in rows] == [271, 443, 500]


def test_a_page_says_from_which_earlier_day_it_changed_the_days_it_split_a_gain_over():
    account = XAccountFactory()
    first = store(account, post(impressions=100), at=MONDAY + timedelta(hours=1))
    same_day = store(account, post(impressions=150), at=MONDAY + timedelta(hours=5))
    two_days_on = store(account, post(impressions=400), at=MONDAY + timedelta(days=2))

    assert first.revised_from is None  # born the same day: nothing before its day
    assert same_day.revised_from is None
    assert two_days_on.revised_from == date(2026, 11, 2)  # the gain since Monday 15:00


def test_a_first_reading_within_30_days_of_birth_splits_the_lifetime_from_the_birth_day():
    account = XAccountFactory()
    store(account, post(created_at=MONDAY - timedelta(days=5)), at=MONDAY)
    rows = PostDaily.objects.filter(context=Context.PUBLIC).order_by("day")
    assert [r.day for r in rows] == [date(2026, 10, 28) + timedelta(days=n) for n in range(6)]
    assert sum(r.impression_count_gain for r in rows) == 100
    assert all(r.impression_count_estimated == r.impression_count_gain for r in rows)


def test_the_first_reading_of_a_post_past_day_30_leaves_its_days_unknown():
    account = XAccountFactory()
    store(account, post(created_at=MONDAY - timedelta(days=45)), at=MONDAY)
    row = daily(account, MONDAY.date())
    assert PostDaily.objects.count() == 1 and row.after_day_30
    assert row.impression_count == 100
    assert row.impression_count_gain is None


def test_days_are_the_team_s_days():
    account = XAccountFactory()
    tokyo = ZoneInfo("Asia/Tokyo")
    # 20:00 UTC on Monday is already Tuesday in Tokyo.
    evening = MONDAY.replace(hour=20)
    store(account, post(created_at=evening - timedelta(hours=1)), at=evening, tz=tokyo)
    assert PostDaily.objects.get().day == date(2026, 11, 3)


def test_a_page_with_a_post_twice_writes_it_once():
    account = XAccountFactory()
    store(account, post(likes=1), post(likes=1), at=MONDAY + timedelta(hours=1))
    assert Post.objects.count() == 1
    assert PostSnapshot.objects.count() == 1


def test_writing_the_same_page_twice_leaves_the_same_rows():
    account = XAccountFactory()
    at = MONDAY + timedelta(hours=1)
    store(account, post(likes=1), at=at)
    rows = (PostSnapshot.objects.count(), PostDaily.objects.count(), PostMetrics.objects.count())
    store(account, post(likes=1), at=at)
    assert (
        PostSnapshot.objects.count(),
        PostDaily.objects.count(),
        PostMetrics.objects.count(),
    ) == rows


def test_text_is_stored_unescaped_once():
    account = XAccountFactory()
    store(account, post(), at=MONDAY)
    assert Post.objects.get().text == "Hello &amp; welcome"  # xapi unescapes; ingest keeps it


def test_a_post_x_no_longer_finds_loses_its_content_and_history_but_not_the_team_sums():
    """X's Developer Policy: what a user deleted on X is deleted here within 24 hours."""
    account = XAccountFactory()
    store(account, post(), post("1002"), at=MONDAY)
    sums = list(AccountDaily.objects.values_list("day", "context", "impression_count_gain"))
    gone = xapi.PartialError(type_suffix="resource-not-found", resource_id="1001")
    store(account, at=MONDAY + timedelta(days=1), errors=[gone], asked=["1001"])

    deleted, kept = Post.objects.get(x_post_id=1001), Post.objects.get(x_post_id=1002)
    assert deleted.deleted_at is not None and deleted.text == ""
    for related in (deleted.snapshots, deleted.latest, deleted.daily):
        assert not related.exists()
    assert kept.text and kept.snapshots.exists()
    # The team's past days keep what the deleted Post earned.
    assert list(AccountDaily.objects.values_list("day", "context", "impression_count_gain")) == sums


def _version(x_id, text, history, *, impressions=100):
    return dataclasses.replace(post(x_id, impressions=impressions), text=text, edit_history=history)


def test_an_edit_gives_the_earlier_version_its_text_and_keeps_what_it_earned():
    """X's Developer Policy: stored content follows edits. An edit is a new Post on X."""
    account = XAccountFactory()
    store(account, _version("1001", "Typo", ("1001",)), at=MONDAY + timedelta(minutes=10))
    store(
        account, _version("1002", "Fixed", ("1001", "1002"), impressions=5),
        at=MONDAY + timedelta(hours=2),
    )  # fmt: skip

    earlier, latest = Post.objects.get(x_post_id=1001), Post.objects.get(x_post_id=1002)
    assert (earlier.text, latest.text) == ("Fixed", "Fixed")
    assert earlier.edited_into == latest and latest.edited_into is None
    assert earlier.latest.get(context=Context.PUBLIC).impression_count == 100


def test_an_earlier_version_read_by_its_own_id_keeps_the_latest_text():
    account = XAccountFactory()
    history = ("1001", "1002")
    store(account, _version("1002", "Fixed", history), at=MONDAY + timedelta(hours=1))
    store(account, _version("1001", "Typo", history), at=MONDAY + timedelta(hours=2))

    assert Post.objects.get(x_post_id=1001).text == "Fixed"


def test_deleting_the_latest_version_forgets_every_version():
    """X's edit-posts page: deleting any version deletes the whole chain."""
    account = XAccountFactory()
    store(account, _version("1001", "Typo", ("1001",)), at=MONDAY)
    store(account, _version("1002", "Fixed", ("1001", "1002")), at=MONDAY + timedelta(hours=1))
    gone = xapi.PartialError(type_suffix="resource-not-found", resource_id="1002")
    store(account, at=MONDAY + timedelta(days=1), errors=[gone], asked=["1002"])

    for version in Post.objects.filter(x_post_id__in=[1001, 1002]):
        assert version.deleted_at is not None and version.text == ""
        assert not version.snapshots.exists()


def test_a_retweet_or_someone_else_s_post_is_not_stored():
    account = XAccountFactory(x_user_id="42")
    retweet = xapi.Post(
        id="2002", text="RT", referenced_posts=(xapi.ReferencedPost("retweeted", "1"),)
    )
    foreign = xapi.Post(id="2003", text="not ours", author_id="999")
    store(account, retweet, foreign, at=MONDAY)
    assert not Post.objects.exists()


def test_reads_are_billed_once_per_post_per_utc_day():
    account = XAccountFactory()
    assert store(account, post(), at=MONDAY).billed_reads == 1
    assert store(account, post(likes=3), at=MONDAY + timedelta(hours=2)).billed_reads == 0
    assert store(account, post(likes=4), at=MONDAY + timedelta(days=1)).billed_reads == 1


def test_promoted_is_decided_by_non_public_totals_above_organic_ones():
    account = XAccountFactory()
    promoted = xapi.Post(
        id="3001", text="ad", created_at=MONDAY,
        non_public_metrics=xapi.PostNonPublicMetrics(500, 5, 5, 20),
        organic_metrics=xapi.PostContextMetrics(300, 1, 1, 1, 3, 3),
    )  # fmt: skip
    plain = xapi.Post(
        id="3002", text="no ad", created_at=MONDAY,
        non_public_metrics=xapi.PostNonPublicMetrics(300, 3, 3, 10),
        organic_metrics=xapi.PostContextMetrics(300, 1, 1, 1, 3, 3),
    )  # fmt: skip
    stored = store(account, promoted, plain, at=MONDAY, metrics=PRIVATE)
    assert stored.promoted_ids == {3001}
    assert dict(Post.objects.values_list("x_post_id", "promoted")) == {3001: "yes", 3002: "no"}


def test_the_database_refuses_a_negative_count():
    from django.db import IntegrityError, transaction

    account = XAccountFactory()
    store(account, post(), at=MONDAY)
    with pytest.raises(IntegrityError), transaction.atomic():
        PostMetrics.objects.update(like_count=-1)


def test_a_first_sync_page_of_new_posts_still_finds_a_video_stored_by_an_earlier_page():
    from metrics.models import Media, MediaMetrics

    account = XAccountFactory()
    video = xapi.Media(
        media_key="13_1", type="video", public_metrics=xapi.MediaPublicMetrics(view_count=50)
    )
    first = post("2001", media_keys=["13_1"])
    store_page(
        account=account, page=xapi.Page(posts=(first,), media={"13_1": video}),
        metrics=xapi.MetricGroup.PUBLIC, observed_at=MONDAY, team_tz=UTC_TZ,
        billing_day=MONDAY.date(), all_new=True,
    )  # fmt: skip
    later = xapi.Media(
        media_key="13_1", type="video", public_metrics=xapi.MediaPublicMetrics(view_count=80)
    )
    second = post("2002", media_keys=["13_1"])
    store_page(
        account=account, page=xapi.Page(posts=(second,), media={"13_1": later}),
        metrics=xapi.MetricGroup.PUBLIC, observed_at=MONDAY + timedelta(days=1),
        team_tz=UTC_TZ, billing_day=MONDAY.date(), all_new=True,
    )  # fmt: skip
    media = Media.objects.get()
    assert media.posts.count() == 2
    assert MediaMetrics.objects.get(media=media, context=Context.PUBLIC).view_count == 80
    # The second page knew the first page's value: the 30 between them is split, not unknown.
    monday = media.daily.get(context=Context.PUBLIC, day=date(2026, 11, 2))
    tuesday = media.daily.get(context=Context.PUBLIC, day=date(2026, 11, 3))
    assert monday.view_count_gain + tuesday.view_count_gain == 80
    assert tuesday.view_count == 80
    assert media.snapshots.count() == 2


def _sums_equal_a_rebuild(account) -> bool:
    def rows():
        return sorted(
            (tuple(v for k, v in row.items() if k != "id") for row in
             AccountDaily.objects.filter(account=account).values()),
            key=repr,
        )  # fmt: skip

    moved = rows()
    account_rollups_rebuild(account_ids=[account.pk])
    return moved == rows()


def test_an_unchanged_reading_on_a_later_day_moves_the_latest_reading():
    account = XAccountFactory()
    old = MONDAY - timedelta(days=60)
    for day, value in ((0, 5000), (1, 5000), (2, 5010)):
        store(account, post(created_at=old, impressions=value), at=MONDAY + timedelta(days=day))

    gains = dict(
        PostDaily.objects.filter(context=Context.PUBLIC).values_list("day", "impression_count_gain")
    )
    # The 10 came after Tuesday's reading: none of it goes to Monday.
    assert gains.get(date(2026, 11, 2)) is None  # the first reading's day: unknown
    assert gains[date(2026, 11, 3)] + gains[date(2026, 11, 4)] == 10
    assert _sums_equal_a_rebuild(account)


def test_days_whose_share_rounds_to_nothing_have_no_rows_nor_account_sums():
    account = XAccountFactory()
    old = MONDAY - timedelta(days=400)
    store(account, post(created_at=old, impressions=5001), at=MONDAY)
    store(account, post(created_at=old, impressions=5004), at=MONDAY + timedelta(days=10))

    assert PostDaily.objects.count() < 11
    assert _sums_equal_a_rebuild(account)


def test_a_post_without_a_creation_time_is_not_born_at_its_first_reading():
    account = XAccountFactory()
    store(account, post(created_at=None, impressions=700), at=MONDAY)

    row = daily(account, MONDAY.date())
    assert (row.impression_count, row.impression_count_gain) == (700, None)


def test_a_video_is_as_old_as_its_first_carrier_whichever_page_brings_it():
    account = XAccountFactory()
    video = xapi.Media(
        media_key="13_9", type="video", public_metrics=xapi.MediaPublicMetrics(view_count=10)
    )
    first = post("3001", created_at=MONDAY - timedelta(days=40), media_keys=["13_9"])
    store_page(
        account=account, page=xapi.Page(posts=(first,), media={"13_9": video}),
        metrics=xapi.MetricGroup.PUBLIC, observed_at=MONDAY, team_tz=UTC_TZ,
        billing_day=MONDAY.date(),
    )  # fmt: skip
    later = xapi.Media(
        media_key="13_9", type="video", public_metrics=xapi.MediaPublicMetrics(view_count=60)
    )
    second = post("3002", created_at=MONDAY + timedelta(hours=1), media_keys=["13_9"])
    store_page(
        account=account, page=xapi.Page(posts=(second,), media={"13_9": later}),
        metrics=xapi.MetricGroup.PUBLIC, observed_at=MONDAY + timedelta(hours=3),
        team_tz=UTC_TZ, billing_day=MONDAY.date(),
    )  # fmt: skip

    row = MediaDaily.objects.get(context=Context.PUBLIC, day=MONDAY.date())
    assert row.after_day_30  # its first carrier is 40 days old
    assert row.view_count_gain is None  # first read after that carrier's day 30
    rollup = AccountMediaDaily.objects.filter(account=account)
    account_moved = sorted(rollup.values_list("day", "after_day_30", "view_count_gain"))
    account_rollups_rebuild(account_ids=[account.pk])
    assert account_moved == sorted(rollup.values_list("day", "after_day_30", "view_count_gain"))
