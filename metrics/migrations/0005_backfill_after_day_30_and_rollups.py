"""Rows written before the model of a count's life: mark the days past each object's day 30
(their team's days), then sum every account's rows into its daily rollups. The steps are this
migration's own, on the historical models, so later changes to the app cannot change them."""

from collections import defaultdict
from datetime import timedelta
from itertools import islice
from zoneinfo import ZoneInfo

from django.db import migrations
from django.db.models import Min, Sum

WINDOW = timedelta(days=30)
BATCH = 2000
POST_COUNTS = (
    "impression_count", "like_count", "reply_count", "retweet_count", "quote_count",
    "bookmark_count", "url_link_clicks", "user_profile_clicks", "engagements",
)  # fmt: skip
MEDIA_COUNTS = (
    "view_count", "playback_0_count", "playback_25_count", "playback_50_count",
    "playback_75_count", "playback_100_count",
)  # fmt: skip
KEY = ("account_id", "day", "context", "after_day_30")


def _mark(daily, owner: str, born: dict[int, tuple[object, str]]) -> None:
    """A day is past day 30 when it begins on or after the date day 30 ends on (team time)."""
    by_first_day = defaultdict(list)
    for pk, (created_at, time_zone) in born.items():
        first = (created_at + WINDOW).astimezone(ZoneInfo(time_zone)).date()
        by_first_day[first].append(pk)
    for first, ids in by_first_day.items():
        for n in range(0, len(ids), BATCH):
            daily.objects.filter(**{f"{owner}_id__in": ids[n : n + BATCH]}, day__gte=first).update(
                after_day_30=True
            )


def forwards(apps, schema_editor):
    Post, PostMedia = apps.get_model("metrics", "Post"), apps.get_model("metrics", "PostMedia")
    posts = {
        pk: (created_at, tz)
        for pk, created_at, tz in Post.objects.values_list(
            "pk", "created_at", "account__team__time_zone"
        ).iterator(chunk_size=5000)
    }
    _mark(apps.get_model("metrics", "PostDaily"), "post", posts)
    first_carried = PostMedia.objects.values("media_id").annotate(born=Min("post__created_at"))
    media_tz = dict(
        apps.get_model("metrics", "Media").objects.values_list("pk", "account__team__time_zone")
    )
    media = {row["media_id"]: (row["born"], media_tz[row["media_id"]]) for row in first_carried}
    _mark(apps.get_model("metrics", "MediaDaily"), "media", media)
    for daily, rollup, names in (
        ("PostDaily", "AccountDaily", POST_COUNTS),
        ("MediaDaily", "AccountMediaDaily", MEDIA_COUNTS),
    ):
        daily, rollup = apps.get_model("metrics", daily), apps.get_model("metrics", rollup)
        parts = [f"{n}_{part}" for n in names for part in ("gain", "estimated")]
        rows = (
            daily.objects.values(*KEY)
            .annotate(**{f"sum_{p}": Sum(p) for p in parts})
            .order_by()
            .iterator(chunk_size=BATCH)
        )
        while batch := list(islice(rows, BATCH)):
            rollup.objects.bulk_create(
                rollup(**{k: row[k] for k in KEY}, **{p: row[f"sum_{p}"] for p in parts})
                for row in batch
            )


class Migration(migrations.Migration):
    dependencies = [("metrics", "0004_account_daily_rollups")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
