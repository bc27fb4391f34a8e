"""Posts, media and their metric history.

A snapshot holds X's cumulative totals for one object in one context at one instant, and is
appended only when a value changed. `PostMetrics`/`MediaMetrics` keep the latest values per
context (what tables sort by); `PostDaily`/`MediaDaily` hold end-of-day values and the day's
gain in the team's time zone (what charts read). A metric X did not return is NULL, never 0;
counts are PositiveBigIntegerFields, so the database checks `count >= 0`; gains may be negative.
"""

from datetime import date, timedelta
from decimal import Decimal

from django.db import models
from django.utils import timezone

from accounts.models import Team, XAccount

PRIVATE_METRICS_DAYS = 30
PRIVATE_WINDOW = timedelta(days=PRIVATE_METRICS_DAYS)


class Context(models.TextChoices):
    PUBLIC = "public", "Public"
    NON_PUBLIC = "non_public", "Non-public"
    ORGANIC = "organic", "Organic"
    PROMOTED = "promoted", "Promoted"


PRIVATE_CONTEXTS = (Context.NON_PUBLIC, Context.ORGANIC, Context.PROMOTED)

POST_COUNTS = (
    "impression_count",
    "like_count",
    "reply_count",
    "retweet_count",
    "quote_count",
    "bookmark_count",
    "url_link_clicks",
    "user_profile_clicks",
    "engagements",
)
MEDIA_COUNTS = (
    "view_count",
    "playback_0_count",
    "playback_25_count",
    "playback_50_count",
    "playback_75_count",
    "playback_100_count",
)


def _abstract_model(name: str, base: type[models.Model], fields: dict[str, models.Field]):
    """An abstract model with one column per metric name, so the names are listed only once."""
    # Keeps the base's own Meta (its constraints, say), abstract too.
    meta = type("Meta", (getattr(base, "Meta", object),), {"abstract": True})
    return type(name, (base,), {"__module__": __name__, "Meta": meta, **fields})


def _counts(names: tuple[str, ...]) -> dict[str, models.Field]:
    return {name: models.PositiveBigIntegerField(null=True, blank=True) for name in names}


def gain_columns(names: tuple[str, ...]) -> list[str]:
    """`<name>_gain` and `<name>_estimated` of each count: the day's gain, and how much of it
    is an estimated split (metrics.lifeline); `gain - estimated` was read within the day."""
    return [f"{name}_{part}" for name in names for part in ("gain", "estimated")]


def _gains(names: tuple[str, ...]) -> dict[str, models.Field]:
    return {c: models.BigIntegerField(null=True, blank=True) for c in gain_columns(names)}


PostCounts = _abstract_model("PostCounts", models.Model, _counts(POST_COUNTS))
MediaCounts = _abstract_model("MediaCounts", models.Model, _counts(MEDIA_COUNTS))


def post_url(username: str, x_post_id: int) -> str:
    """The Post's address on X (selectors.post_table_sql writes the same in SQL)."""
    return f"https://x.com/{username}/status/{x_post_id}"


class Post(models.Model):
    class Promoted(models.TextChoices):
        UNKNOWN = "unknown", "Unknown"
        YES = "yes", "Promoted"
        NO = "no", "Not promoted"

    account = models.ForeignKey(XAccount, on_delete=models.CASCADE, related_name="posts")
    x_post_id = models.BigIntegerField()
    text = models.TextField()
    created_at = models.DateTimeField()
    is_reply = models.BooleanField(default=False)
    # Disclosed by its author as paid promotion (X's `paid_partnership`).
    paid_partnership = models.BooleanField(default=False, db_default=False)
    promoted = models.CharField(max_length=10, choices=Promoted.choices, default=Promoted.UNKNOWN)
    first_seen_at = models.DateTimeField(default=timezone.now)
    public_refreshed_at = models.DateTimeField(null=True, blank=True)
    private_refreshed_at = models.DateTimeField(null=True, blank=True)
    # X bills a Post read once per UTC day: the last day this Post was read.
    last_read_on = models.DateField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    # An edit on X makes a new Post (a new id): this earlier version's is the latest's text from
    # then on (X's Developer Policy: stored content follows edits), and its counts stop.
    edited_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="earlier_versions"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "x_post_id"], name="post_account_xid_unique")
        ]
        indexes = [models.Index(fields=["account", "-created_at"], name="post_account_recent")]
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Post {self.x_post_id}"

    @property
    def x_url(self) -> str:
        return post_url(self.account.username, self.x_post_id)

    @property
    def private_metrics_until(self):
        return self.created_at + timedelta(days=PRIVATE_METRICS_DAYS)


class Media(models.Model):
    """A photo or video of an account. A video's metrics belong to it, whichever Posts carry it."""

    account = models.ForeignKey(XAccount, on_delete=models.CASCADE, related_name="media")
    media_key = models.CharField(max_length=40)
    type = models.CharField(max_length=20)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    preview_image_url = models.URLField(max_length=500, blank=True)
    posts = models.ManyToManyField(Post, through="PostMedia", related_name="media")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "media_key"], name="media_account_key_unique"
            )
        ]

    def __str__(self) -> str:
        return self.media_key


class PostMedia(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE)
    media = models.ForeignKey(Media, on_delete=models.CASCADE)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "media"], name="postmedia_unique")]

    def __str__(self) -> str:
        return f"{self.media_id} in {self.post_id}"


class PostSnapshot(PostCounts):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="snapshots")
    context = models.CharField(max_length=12, choices=Context.choices)
    captured_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["post", "context", "captured_at"], name="postsnapshot_unique"
            )
        ]


class PostMetrics(PostCounts):
    """The latest values of a Post in one context."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="latest")
    context = models.CharField(max_length=12, choices=Context.choices)
    observed_at = models.DateTimeField()
    # The team-local day of `observed_at`, and what that day is known to hold
    # (`lifeline.LatestReading.to_json`: the count at its start, the estimated part of its gain).
    day = models.DateField()
    baseline = models.JSONField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["post", "context"], name="postmetrics_unique")
        ]


class MediaSnapshot(MediaCounts):
    media = models.ForeignKey(Media, on_delete=models.CASCADE, related_name="snapshots")
    context = models.CharField(max_length=12, choices=Context.choices)
    captured_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["media", "context", "captured_at"], name="mediasnapshot_unique"
            )
        ]


class MediaMetrics(MediaCounts):
    media = models.ForeignKey(Media, on_delete=models.CASCADE, related_name="latest")
    context = models.CharField(max_length=12, choices=Context.choices)
    observed_at = models.DateTimeField()
    day = models.DateField()
    baseline = models.JSONField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["media", "context"], name="mediametrics_unique")
        ]


PostDailyBase = _abstract_model("PostDailyBase", PostCounts, _gains(POST_COUNTS))
MediaDailyBase = _abstract_model("MediaDailyBase", MediaCounts, _gains(MEDIA_COUNTS))


class PostDaily(PostDailyBase):
    """A Post's day in one context: its count at the day's end (so far, today), the day's gain
    and the part of the gain that is an estimated split of a known total (metrics.lifeline)."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="daily")
    account = models.ForeignKey(XAccount, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    context = models.CharField(max_length=12, choices=Context.choices)
    # The day ends after the Post's day 30: X stops splitting what it gains during the day.
    after_day_30 = models.BooleanField(default=False, db_default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["post", "context", "day"], name="postdaily_unique")
        ]
        indexes = [models.Index(fields=["account", "day"], name="postdaily_account_day")]


class MediaDaily(MediaDailyBase):
    media = models.ForeignKey(Media, on_delete=models.CASCADE, related_name="daily")
    account = models.ForeignKey(XAccount, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    context = models.CharField(max_length=12, choices=Context.choices)
    after_day_30 = models.BooleanField(default=False, db_default=False)  # of its first carrier

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["media", "context", "day"], name="mediadaily_unique")
        ]
        indexes = [models.Index(fields=["account", "day"], name="mediadaily_account_day")]


class SyncRun(models.Model):
    """One sync of one account: what it asked X, what it read, how it ended."""

    class Outcome(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        DEFERRED = "deferred", "Deferred"
        FAILED = "failed", "Failed"
        NEEDS_REAUTH = "needs_reauth", "Needs reconnecting"

    account = models.ForeignKey(XAccount, on_delete=models.CASCADE, related_name="sync_runs")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, default=Outcome.RUNNING)
    pages_planned = models.PositiveIntegerField(default=0)
    pages_done = models.PositiveIntegerField(default=0)
    requests = models.JSONField(default=dict, blank=True)  # endpoint -> count
    posts_read = models.PositiveIntegerField(default=0)
    billed_post_reads = models.PositiveIntegerField(default=0)
    billing_day = models.DateField()  # the UTC day X bills these reads on
    error = models.TextField(blank=True)
    # What X charges for these reads (xapi.pricing), plus, while a request is out, the most it
    # can cost (reserved so that concurrent syncs of the team never pass its monthly budget).
    estimated_dollars = models.DecimalField(
        max_digits=12, decimal_places=3, default=Decimal(0), db_default=Decimal(0)
    )
    # A first sync (or one after a long absence): every Post the timeline still serves.
    backfill = models.BooleanField(default=False, db_default=False)

    class Meta:
        indexes = [
            models.Index(fields=["account", "-started_at"], name="syncrun_account_recent"),
            models.Index(fields=["team", "billing_day"], name="syncrun_team_day"),
        ]
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"sync of {self.account} at {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def progress(self) -> float:
        if self.outcome != self.Outcome.RUNNING:
            return 1.0
        return min(self.pages_done / self.pages_planned, 1.0) if self.pages_planned else 0.0


class PostLookup(models.Model):
    """A lookup an admin asked for (a Post added by its address, `metrics.tracking`): what X
    billed for it counts against the team's budget as a sync's reads do."""

    account = models.ForeignKey(XAccount, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    x_post_id = models.BigIntegerField()
    requested_at = models.DateTimeField(default=timezone.now)
    billing_day = models.DateField()  # the UTC day X bills the read on
    billed_post_reads = models.PositiveIntegerField(default=0)
    estimated_dollars = models.DecimalField(
        max_digits=12, decimal_places=3, default=Decimal(0), db_default=Decimal(0)
    )

    class Meta:
        indexes = [models.Index(fields=["team", "billing_day"], name="postlookup_team_day")]

    def __str__(self) -> str:
        return f"lookup of Post {self.x_post_id} at {self.requested_at:%Y-%m-%d %H:%M}"


def billed_post_reads(*, team: Team, day: date) -> int:
    """The Post reads X bills the team for on a UTC day: its syncs' and its admins' lookups."""
    return sum(
        model.objects.filter(team=team, billing_day=day).aggregate(
            total=models.Sum("billed_post_reads")
        )["total"]
        or 0
        for model in (SyncRun, PostLookup)
    )


# What an account's daily sums are keyed by, besides the account.
SUM_KEY = ("day", "context", "after_day_30")


class AccountDaySums(models.Model):
    """One account's sums of its objects' daily rows on one day, in one context, on the days
    before or past the objects' day 30."""

    account = models.ForeignKey(XAccount, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    context = models.CharField(max_length=12, choices=Context.choices)
    after_day_30 = models.BooleanField(default=False)

    class Meta:
        abstract = True
        constraints = [
            models.UniqueConstraint(fields=["account", *SUM_KEY], name="%(class)s_unique")
        ]


class AccountDaily(_abstract_model("AccountDailyBase", AccountDaySums, _gains(POST_COUNTS))):
    """The sum of an account's `PostDaily` gains (and estimated parts): what the Overview
    reads, days x accounts rows instead of every Post's days. The sync moves it by each change
    it makes to `PostDaily`, in the same transaction."""


class AccountMediaDaily(
    _abstract_model("AccountMediaDailyBase", AccountDaySums, _gains(MEDIA_COUNTS))
):
    """`AccountDaily` for the account's videos (`MediaDaily`)."""


class KeptRead(models.Model):
    """One account's part of a page read, as the sync that last wrote the account prepared it
    (`selectors.warm_reads`): the first page views after a sync read it instead of computing
    it, even with empty caches. Exact for the sync state it names (`sync_state`): any later
    write to the account moves that state, and then it is never read."""

    account = models.ForeignKey(XAccount, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=40)  # which read ("top-posts", "created-sums", ...)
    key = models.CharField(max_length=255)  # its time zone, Posts and parameters
    sync_state = models.CharField(max_length=120)  # `selectors.cache.account_version`
    value = models.BinaryField()  # pickled: written and read by this code only
    written_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "kind", "key"], name="keptread_unique")
        ]

    def __str__(self) -> str:
        return f"{self.kind} of {self.account} ({self.key})"


class AccountSyncDay(models.Model):
    """How an account's syncs went on one final team day (`selectors.cache.final_until`):
    whether one saved readings, and the outcomes of those that started. Written once, by the
    first page that needs the day, from `SyncRun`: a final day's runs have all ended, so the
    coverage of a long period reads days x accounts rows instead of every run again."""

    account = models.ForeignKey(XAccount, on_delete=models.CASCADE, related_name="+")
    time_zone = models.CharField(max_length=64)  # the team's, whose day `day` is
    day = models.DateField()
    covered = models.BooleanField()  # a sync succeeded or saved a page
    outcomes = models.CharField(max_length=200, blank=True)  # sorted, comma-separated

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "time_zone", "day"], name="accountsyncday_unique"
            )
        ]

    def __str__(self) -> str:
        return f"syncs of {self.account} on {self.day}"
