"""factory_boy factories for Posts, media, their metric history and sync runs.

The row factories write exactly what a test says (hand-computed dailies). `HistoryWriter` stores
readings of X the way the sync does (snapshot, latest values, the daily rows of the team's days
that the reading changes), for tests that need a consistent history rather than hand-picked rows;
`sync_ran` records a sync so that its day is not a gap.
"""

from datetime import UTC, datetime, timedelta

import factory
from django.utils import timezone

from metrics.ingest import latest_reading, reading_rows
from metrics.lifeline import CURVE_AGES, DEFAULT_CURVE, AgeCurve, LatestReading
from metrics.models import (
    MEDIA_COUNTS,
    POST_COUNTS,
    Context,
    Media,
    MediaDaily,
    MediaMetrics,
    MediaSnapshot,
    Post,
    PostDaily,
    PostMedia,
    PostMetrics,
    PostSnapshot,
    SyncRun,
)
from metrics.rollups import account_rollups_rebuild
from tests.factories import XAccountFactory

# In proportion to time: docs/DESIGN.md's worked example is computed that way.
LINEAR_CURVE = AgeCurve(tuple(float(a) for a in CURVE_AGES), "linear, for the worked example")


def _team_day(obj, at: datetime):
    return at.astimezone(obj.account.team.tzinfo).date()


class PostFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Post

    account = factory.SubFactory(XAccountFactory)
    x_post_id = factory.Sequence(lambda n: 1_800_000_000_000_000_000 + n)
    text = factory.Sequence(lambda n: f"Post number {n}")
    created_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    first_seen_at = factory.LazyAttribute(lambda o: o.created_at)
    promoted = Post.Promoted.NO


class MediaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Media

    account = factory.SubFactory(XAccountFactory)
    media_key = factory.Sequence(lambda n: f"13_{1_700_000_000_000_000_000 + n}")
    type = "video"
    duration_ms = 30_000


def video_for(*posts: Post, **kwargs) -> Media:
    """A video carried by the given Posts (of one account)."""
    media = MediaFactory(account=posts[0].account, **kwargs)
    for post in posts:
        PostMedia.objects.create(post=post, media=media)
    return media


class PostSnapshotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PostSnapshot

    post = factory.SubFactory(PostFactory)
    context = Context.PUBLIC
    captured_at = factory.LazyFunction(timezone.now)


class _LatestFactory(factory.django.DjangoModelFactory):
    """An object's latest values in a context: one row, which a daily row's factory may have
    written already (`_DailyFactory`); the values given here replace it."""

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        field = _DAILY_OWNERS[model_class]
        key = {field: kwargs.pop(field), "context": kwargs.pop("context")}
        return model_class.objects.update_or_create(**key, defaults=kwargs)[0]


class PostMetricsFactory(_LatestFactory):
    class Meta:
        model = PostMetrics

    post = factory.SubFactory(PostFactory)
    context = Context.PUBLIC
    observed_at = factory.LazyFunction(timezone.now)
    day = factory.LazyAttribute(lambda o: _team_day(o.post, o.observed_at))


class _DailyFactory(factory.django.DjangoModelFactory):
    """A daily row written by hand, kept as the sync keeps one: a count given only as a gain
    ends the day at the previous row's count plus the gain; the object's latest values follow
    its newest row; its account's daily sums are rebuilt to include it (the sync moves them
    with each row it writes)."""

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        field, counts, latest_model = _DAILY_OWNERS[model_class]
        owner = kwargs[field]
        earlier = (
            model_class.objects.filter(
                **{field: owner}, context=kwargs["context"], day__lt=kwargs["day"]
            )
            .order_by("-day")
            .first()
        )
        for name in counts:
            gain = kwargs.get(f"{name}_gain")
            if kwargs.get(name) is None and gain is not None:
                kwargs[name] = max(0, (getattr(earlier, name, None) or 0) + gain)
        row = super()._create(model_class, *args, **kwargs)
        latest = latest_model.objects.filter(**{field: owner}, context=row.context)
        if not latest.filter(day__gte=row.day).exists():
            tz = owner.account.team.tzinfo
            values = {name: getattr(row, name) for name in counts}
            observed = datetime.combine(row.day, datetime.min.time(), tz) + timedelta(hours=23)
            latest_model.objects.update_or_create(
                **{field: owner},
                context=row.context,
                defaults={"day": row.day, "observed_at": observed, **values},
            )
        account_rollups_rebuild(account_ids=[row.account_id])
        return row


class PostDailyFactory(_DailyFactory):
    class Meta:
        model = PostDaily

    post = factory.SubFactory(PostFactory)
    account = factory.LazyAttribute(lambda o: o.post.account)
    context = Context.PUBLIC
    day = factory.LazyFunction(lambda: timezone.localdate())


class MediaMetricsFactory(_LatestFactory):
    class Meta:
        model = MediaMetrics

    media = factory.SubFactory(MediaFactory)
    context = Context.PUBLIC
    observed_at = factory.LazyFunction(timezone.now)
    day = factory.LazyAttribute(lambda o: _team_day(o.media, o.observed_at))


class MediaDailyFactory(_DailyFactory):
    class Meta:
        model = MediaDaily

    media = factory.SubFactory(MediaFactory)
    account = factory.LazyAttribute(lambda o: o.media.account)
    context = Context.PUBLIC
    day = factory.LazyFunction(lambda: timezone.localdate())


# What a daily row belongs to, its counts and its latest values; what latest values belong to.
_DAILY_OWNERS = {
    PostDaily: ("post", POST_COUNTS, PostMetrics),
    MediaDaily: ("media", MEDIA_COUNTS, MediaMetrics),
    PostMetrics: "post",
    MediaMetrics: "media",
}


class SyncRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SyncRun

    account = factory.SubFactory(XAccountFactory)
    team = factory.LazyAttribute(lambda o: o.account.team)
    started_at = factory.LazyFunction(timezone.now)
    finished_at = factory.LazyAttribute(lambda o: o.started_at + timedelta(seconds=20))
    outcome = SyncRun.Outcome.SUCCEEDED
    pages_planned = 3
    pages_done = 3
    billing_day = factory.LazyAttribute(lambda o: o.started_at.astimezone(UTC).date())


def sync_ran(account, at: datetime, **kwargs) -> SyncRun:
    """A sync of `account` at `at`; a successful one also moves its `last_synced_at`."""
    run = SyncRunFactory(account=account, started_at=at, **kwargs)
    if run.outcome == SyncRun.Outcome.SUCCEEDED and (
        account.last_synced_at is None or account.last_synced_at < at
    ):
        account.last_synced_at = run.finished_at
        account.save(update_fields=["last_synced_at"])
    return run


class HistoryWriter:
    """Stores readings of X the way the sync does (`ingest.reading_rows`), in memory, then in a
    few bulk inserts: a snapshot, the latest values, and the daily rows the reading changes
    (the gain since the previous known point, birth included, split over its days by the
    default age curve). Readings of one object and context must come in time order.
    """

    MODELS = {
        "post": (PostSnapshot, PostMetrics, PostDaily, POST_COUNTS),
        "media": (MediaSnapshot, MediaMetrics, MediaDaily, MEDIA_COUNTS),
    }

    def __init__(self, curve: AgeCurve = DEFAULT_CURVE):
        self.curve = curve
        self.snapshots = {"post": [], "media": []}
        self.latest = {"post": {}, "media": {}}
        self.daily = {"post": {}, "media": {}}
        # (kind, object id, context) -> its latest reading, as the sync keeps it
        self.readings: dict[tuple, LatestReading] = {}
        self.born: dict[tuple, datetime] = {}

    def observe(self, kind: str, obj, at: datetime, context: str, counts: dict) -> None:
        snapshot_model, latest_model, daily_model, names = self.MODELS[kind]
        unknown = set(counts) - set(names)
        assert not unknown, f"not a metric: {unknown}"
        values = {name: counts.get(name) for name in names}
        if (kind, obj.pk) not in self.born:  # media: a query, once
            self.born[kind, obj.pk] = (
                obj.created_at if kind == "post" else min(p.created_at for p in obj.posts.all())
            )
        key = (kind, obj.pk, context)
        reading = reading_rows(
            owner={f"{kind}_id": obj.pk},
            context=context,
            counts=values,
            previous=self.readings.get(key),
            born=self.born[kind, obj.pk],
            observed_at=at,
            team_tz=obj.account.team.tzinfo,
            curve=self.curve,
            names=names,
        )
        latest = reading.latest
        self.readings[key] = latest_reading(at, latest["day"], latest["baseline"], values)
        self.snapshots[kind].append(snapshot_model(**reading.snapshot))
        self.latest[kind][obj.pk, context] = latest_model(**latest)
        for row in reading.dailies:
            self.daily[kind][obj.pk, context, row["day"]] = daily_model(**row, account=obj.account)

    def observe_post(self, post: Post, at: datetime, context: str, **counts) -> None:
        self.observe("post", post, at, context, counts)

    def observe_media(self, media: Media, at: datetime, context: str, **counts) -> None:
        self.observe("media", media, at, context, counts)

    def flush(self) -> None:
        accounts = set()
        for kind, (snapshot_model, latest_model, daily_model, _) in self.MODELS.items():
            snapshot_model.objects.bulk_create(self.snapshots[kind])
            latest_model.objects.bulk_create(self.latest[kind].values())
            daily_model.objects.bulk_create(self.daily[kind].values())
            accounts |= {row.account_id for row in self.daily[kind].values()}
        account_rollups_rebuild(account_ids=sorted(accounts))
        self.__init__(self.curve)
