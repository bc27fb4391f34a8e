"""Reads for the dashboard: typed rows that the pages chart and the CSV exports write.

The numbers follow DESIGN.md "What the numbers mean":
- A `PostDaily`/`MediaDaily` row holds the end-of-day values of one object in one context on one
  day of the team's time zone, and the gain over the previous observed day (NULL when unknown).
  A day without a row but with a successful sync of the account had zero gain; a day without a
  successful sync of the account is a gap ("no data"), never zero.
- Organic and promoted parts exist while a Post is under 30 days old. The growth X no longer
  splits is `after_30` ("after 30 days, split not reported"), never organic: it is what public
  growth exceeds organic + promoted growth by. While X splits a Post or a video it keeps
  `public = organic + promoted` (x-metrics.md), so this is zero before day 30 and all of the
  public growth after it, and the day the split froze it is the growth after the last split
  reading. Metrics X never publishes (link and profile clicks, engagements, quartiles) have no
  such part: after day 30 they are not reported.
- "Activity in the period" sums daily gains over the period's days; "Posts created in the
  period" sums the latest totals of the Posts created in it (and the videos they carry, each
  media key once).
- The comparison period has the same length and ends the day before the range starts.

Every function takes a `Scope` (team, accounts, period, mode) and returns frozen rows; a metric
X did not report stays None all the way to the page ("—") and the CSV (an empty cell). Reads
that would scan many rows are cached per account (see "Account-days" below).
"""

from __future__ import annotations

import enum
import hashlib
import time as clock
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from functools import cached_property
from itertools import islice
from operator import itemgetter
from zoneinfo import ZoneInfo

from django.core.cache import cache
from django.db import connection
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    Exists,
    F,
    FilteredRelation,
    FloatField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.expressions import CombinedExpression
from django.db.models.functions import Cast, Coalesce, NullIf, RowNumber, TruncDate
from django.utils import timezone

from accounts.models import Team, XAccount
from metrics.lifeline import Basis
from metrics.models import (
    MEDIA_COUNTS,
    POST_COUNTS,
    PRIVATE_METRICS_DAYS,
    AccountDaily,
    AccountMediaDaily,
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
    post_url,
)

Number = int | float
PRIVATE_WINDOW = timedelta(days=PRIVATE_METRICS_DAYS)
VIDEO_TYPES = ("video", "animated_gif")
CONTEXTS = (Context.PUBLIC, Context.NON_PUBLIC, Context.ORGANIC, Context.PROMOTED)


# --- What each metric is -------------------------------------------------------------------


@dataclass(frozen=True)
class MetricInfo:
    """One count X reports, and the contexts it reports it in (x-api.md §1.2)."""

    key: str
    label: str
    help: str
    public: bool = False  # in public_metrics: reported for every Post, at any age
    non_public: bool = False  # in non_public_metrics: the total, Posts under 30 days only
    split: bool = False  # in organic_metrics and promoted_metrics, Posts under 30 days only

    @property
    def total_context(self) -> str:
        """Where the total lives: public when X publishes it, non-public otherwise."""
        return Context.PUBLIC if self.public else Context.NON_PUBLIC

    @cached_property
    def contexts(self) -> tuple[str, ...]:
        """The contexts X reports it in, and "after_30" when its public growth goes unsplit."""
        reported = {
            Context.PUBLIC: self.public,
            Context.NON_PUBLIC: self.non_public,
            Context.ORGANIC: self.split,
            Context.PROMOTED: self.split,
            "after_30": self.public and self.split,
        }
        return tuple(context for context, yes in reported.items() if yes)


_PRIVATE = "X reports it for a Post's first 30 days only."
POST_METRICS: dict[str, MetricInfo] = {
    m.key: m
    for m in (
        MetricInfo(
            "impression_count",
            "Impressions",
            "Times the Post was on screen (not unique people).",
            public=True,
            non_public=True,
            split=True,
        ),
        MetricInfo(
            "engagements",
            "Engagements",
            "Every interaction with the Post: clicks, likes, replies, reposts, expands… "
            f"X reports it as a total only (no organic/promoted split). {_PRIVATE}",
            non_public=True,
        ),
        MetricInfo(
            "url_link_clicks",
            "Link clicks",
            f"Clicks on a link or link card in the Post. {_PRIVATE}",
            non_public=True,
            split=True,
        ),
        MetricInfo(
            "user_profile_clicks",
            "Profile clicks",
            f"Clicks on the author's name, handle or picture. {_PRIVATE}",
            non_public=True,
            split=True,
        ),
        MetricInfo("like_count", "Likes", "Likes of the Post.", public=True, split=True),
        MetricInfo("reply_count", "Replies", "Replies to the Post.", public=True, split=True),
        MetricInfo(
            "retweet_count", "Reposts", "Reposts (quotes not included).", public=True, split=True
        ),
        MetricInfo("quote_count", "Quotes", "Reposts with a comment.", public=True),
        MetricInfo("bookmark_count", "Bookmarks", "Times the Post was bookmarked.", public=True),
    )
}
MEDIA_METRICS: dict[str, MetricInfo] = {
    m.key: m
    for m in (
        MetricInfo(
            "view_count",
            "Video views",
            "Views of the video, across every Post that carries it.",
            public=True,
            split=True,
        ),
        *(
            MetricInfo(f"playback_{q}_count", label, help, non_public=True, split=True)
            for q, label, help in (
                (0, "Starts", "Plays that started."),
                (25, "25 %", "Plays that reached a quarter of the video."),
                (50, "50 %", "Plays that reached half of the video."),
                (75, "75 %", "Plays that reached three quarters of the video."),
                (100, "Complete", "Plays watched to the end."),
            )
        ),
    )
}
assert set(POST_METRICS) == set(POST_COUNTS) and set(MEDIA_METRICS) == set(MEDIA_COUNTS)
FUNNEL_STEPS = tuple(k for k in MEDIA_COUNTS if k.startswith("playback_"))
# The charts of the Overview, in page order.
DAILY_CHART_METRICS = ("impression_count", "url_link_clicks", "user_profile_clicks")


# --- Filters --------------------------------------------------------------------------------


class PeriodMode(enum.StrEnum):
    ACTIVITY = "activity"  # gains during the period's days
    CREATED = "created"  # lifetime totals of the Posts created in the period

    @property
    def label(self) -> str:
        return {
            "activity": "Activity in the period",
            "created": "Posts created in the period",
        }[self.value]


@dataclass(frozen=True)
class Period:
    """Days of the team's time zone, both ends included."""

    start: date
    end: date

    def __post_init__(self):
        if self.start > self.end:
            raise ValueError("a period starts before it ends")

    @classmethod
    def last(cls, days: int, *, today: date) -> Period:
        return cls(today - timedelta(days=days - 1), today)

    @property
    def length(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def previous(self) -> Period:
        """The period of equal length that ends the day before this one starts."""
        end = self.start - timedelta(days=1)
        return Period(end - timedelta(days=self.length - 1), end)

    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range(self.length)]

    def __contains__(self, day: date) -> bool:
        return self.start <= day <= self.end


def day_start(day: date, tz: ZoneInfo) -> datetime:
    """The instant a day of the team's time zone begins."""
    return datetime.combine(day, time.min, tzinfo=tz)


@dataclass(frozen=True)
class Scope:
    """What a page shows: some accounts of one team, a period, and which Posts count."""

    team: Team
    accounts: tuple[XAccount, ...]
    period: Period
    mode: PeriodMode = PeriodMode.ACTIVITY

    @cached_property
    def tz(self) -> ZoneInfo:
        return self.team.tzinfo

    @cached_property
    def account_ids(self) -> list[int]:
        return [a.pk for a in self.accounts]

    @cached_property
    def usernames(self) -> dict[int, str]:
        return {a.pk: a.username for a in self.accounts}

    @property
    def compared(self) -> Period:
        """The current and the previous period together: what one query reads."""
        return Period(self.period.previous.start, self.period.end)

    def bounds(self, period: Period | None = None) -> tuple[datetime, datetime]:
        period = period or self.period
        return day_start(period.start, self.tz), day_start(period.end + timedelta(1), self.tz)


def team_today(team: Team) -> date:
    return timezone.localdate(timezone=team.tzinfo)


# --- Rows -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Parts:
    """A metric as the pages show it: the total and what X attributes to each context."""

    total: Number | None = None
    organic: Number | None = None
    promoted: Number | None = None
    after_30: Number | None = None  # public growth after day 30, split not reported
    # Posts first read after their day 30: X never reported how their counts split.
    unreported: Number | None = None


@dataclass(frozen=True)
class MetricValues:
    """One metric of one Post or video in every context X reports it in."""

    metric: str
    public: int | None = None
    non_public: int | None = None
    organic: int | None = None
    promoted: int | None = None
    after_30: int | None = None

    @property
    def info(self) -> MetricInfo:
        return POST_METRICS.get(self.metric) or MEDIA_METRICS[self.metric]

    @property
    def total(self) -> int | None:
        return getattr(self, self.info.total_context)

    @property
    def parts(self) -> Parts:
        return Parts(self.total, self.organic, self.promoted, self.after_30)

    def get(self, context: str) -> int | None:
        return self.total if context == "total" else getattr(self, context)


class Coverage(enum.StrEnum):
    FULL = "full"  # complete: a reading after the day's end covers every account
    SO_FAR = "so_far"  # today: complete up to the latest reading
    PARTIAL = "partial"  # some of the day is unknown: before a connection, the connection day…
    NONE = "none"  # nothing is known of the day: no data

    @property
    def label(self) -> str:
        return {
            "full": "Complete",
            "so_far": "So far today",
            "partial": "Partly known",
            "none": "No data",
        }[self.value]


@dataclass(frozen=True)
class GapNote:
    account: str
    reason: str

    def __str__(self) -> str:
        return f"@{self.account}: {self.reason}"


@dataclass(frozen=True)
class KpiRow:
    key: str
    label: str
    help: str
    is_rate: bool
    current: Parts
    previous: Parts
    # Days of the period on which some account in scope has no data or only part of it.
    incomplete_days: int = 0
    # How much of the current total is exact (None: not said, a rate); the rest is estimated.
    exact: Number | None = None
    # How much of it was earned on days nothing says (Posts first read after their day 30).
    undated: Number | None = None
    # Parts that cannot be compared with the previous period, and why.
    incomparable: Mapping[str, str] = field(default_factory=dict)

    @property
    def not_comparable(self) -> str:
        return self.incomparable.get("total", "") or next(iter(self.incomparable.values()), "")

    def change(self, part: str = "total") -> float | None:
        """Relative change for counts; the difference in percentage points for rates; None when
        either side is unknown or the two periods are not known on the same basis."""
        if part in self.incomparable:
            return None
        now, before = getattr(self.current, part), getattr(self.previous, part)
        if now is None or before is None:
            return None
        if self.is_rate:
            return (now - before) * 100
        return None if before == 0 else (now - before) / before


@dataclass(frozen=True)
class DailyTotalRow:
    """One metric on one day over the accounts in scope (what a daily chart draws)."""

    day: date
    metric: str
    parts: Parts | None  # None: no data at all that day
    coverage: Coverage
    missing: tuple[GapNote, ...] = ()
    # How much of each part is an estimated split of a known total (the rest was read).
    estimated: Parts | None = None

    @property
    def missing_summary(self) -> list[str]:
        """The accounts without data, by reason: "deferred: @a, @b" (a count beyond five)."""
        by_reason: dict[str, list[str]] = defaultdict(list)
        for note in self.missing:
            by_reason[note.reason].append(f"@{note.account}")
        return [
            f"{reason}: {', '.join(names) if len(names) <= 5 else f'{len(names)} accounts'}"
            for reason, names in by_reason.items()
        ]


@dataclass(frozen=True)
class DailySeriesRow:
    """One metric of one account in one context on one day (the daily series CSV)."""

    day: date
    account: str
    metric: str
    context: str  # public, non_public, organic, promoted or after_30_days
    gain: int | None
    end_of_day: int | None
    note: str = ""
    estimated: int | None = None  # the part of `gain` that is an estimated split

    @property
    def basis(self) -> str:
        """observed, estimated or unknown (metrics.lifeline.Basis)."""
        if self.gain is None:
            return Basis.UNKNOWN
        return Basis.ESTIMATED if self.estimated else Basis.OBSERVED


@dataclass(frozen=True)
class FunnelStep:
    key: str
    label: str
    counts: Parts  # total = non-public
    retention: Parts  # count / starts of the same context


@dataclass(frozen=True)
class PostRef:
    post_id: int
    x_post_id: int
    url: str
    text: str


@dataclass(frozen=True)
class PostRow:
    post_id: int
    x_post_id: int
    url: str
    account: str
    created_at: datetime  # in the team's time zone
    text: str
    is_reply: bool
    promoted: str  # Post.Promoted
    deleted: bool
    metrics: Mapping[str, MetricValues]
    # Summed over the videos this Post is the first carrier of (in the table): a video shared
    # by several Posts counts once, on its first carrier.
    video: Mapping[str, MetricValues]
    media_keys: tuple[str, ...] = ()
    # For each of its videos, the X id of the Post whose row counts it (its own when first).
    video_counted_on: tuple[int, ...] = ()

    @property
    def video_counted_elsewhere(self) -> tuple[int, ...]:
        return tuple(x_id for x_id in self.video_counted_on if x_id != self.x_post_id)

    @property
    def engagement_rate(self) -> float | None:
        return _ratio(
            self.metrics["engagements"].non_public, self.metrics["impression_count"].non_public
        )

    @property
    def is_promoted(self) -> bool:
        return self.promoted == Post.Promoted.YES


@dataclass(frozen=True)
class VideoRow:
    media_id: int
    media_key: str
    account: str
    type: str
    duration_ms: int | None
    preview_image_url: str
    metrics: Mapping[str, MetricValues]
    posts: tuple[PostRef, ...]

    @property
    def completion(self) -> Parts:
        starts, complete = self.metrics["playback_0_count"], self.metrics["playback_100_count"]
        return _ratio_parts(complete.parts, starts.parts)

    def funnel(self) -> list[FunnelStep]:
        return _funnel_steps({k: self.metrics[k].parts for k in FUNNEL_STEPS})


@dataclass(frozen=True)
class SnapshotRow:
    captured_at: datetime  # in the team's time zone
    account: str
    object_type: str  # post | media
    object_id: str  # X's Post id or the media key
    context: str
    counts: Mapping[str, int | None]


@dataclass(frozen=True)
class AccountState:
    """How fresh one account's data is and what its sync is doing."""

    account_id: int
    username: str
    status: str
    last_synced_at: datetime | None
    next_sync_at: datetime | None
    deferral_reason: str
    running: bool = False
    pages_done: int = 0
    pages_planned: int = 0

    @property
    def progress(self) -> float:
        if not self.running:
            return 1.0
        return min(self.pages_done / self.pages_planned, 1.0) if self.pages_planned else 0.0


@dataclass(frozen=True)
class Freshness:
    """How fresh the numbers of a scope are: as fresh as its least recently synced account."""

    updated_at: datetime | None
    accounts: tuple[AccountState, ...] = ()

    @property
    def running(self) -> tuple[AccountState, ...]:
        return tuple(a for a in self.accounts if a.running)

    @property
    def attention(self) -> tuple[AccountState, ...]:
        """Accounts whose data is not being refreshed normally."""
        return tuple(
            a
            for a in self.accounts
            if a.status != XAccount.Status.ACTIVE or a.deferral_reason or a.last_synced_at is None
        )


@dataclass(frozen=True)
class GrowthPoint:
    """Cumulative values of one metric of one Post at the end of one day."""

    day: date
    metric: str
    organic: int | None
    promoted: int | None
    after_30: int | None
    total: int | None
    gap: bool = False
    estimated: bool = False  # the day's value rests on an estimated split


@dataclass(frozen=True)
class PostDetail:
    row: PostRow
    media: tuple[VideoRow, ...]
    growth: tuple[GrowthPoint, ...]
    private_metrics_until: datetime
    frozen: bool  # past day 30: organic and promoted no longer move
    observed_at: datetime | None
    # X reported the Post's private metrics (it was read before its day 30): without them its
    # split into organic and promoted was never reported.
    split_reported: bool = True

    def growth_of(self, metric: str) -> list[GrowthPoint]:
        return [point for point in self.growth if point.metric == metric]


# --- Arithmetic that keeps None as "not reported" --------------------------------------------


def _add(*values: Number | None) -> Number | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def _ratio(part: Number | None, whole: Number | None) -> float | None:
    if part is None or not whole:
        return None
    return part / whole


def _ratio_parts(part: Parts, whole: Parts) -> Parts:
    """Each of `part`'s total, organic and promoted as a share of `whole`'s."""
    return Parts(
        _ratio(part.total, whole.total),
        _ratio(part.organic, whole.organic),
        _ratio(part.promoted, whole.promoted),
    )


def _funnel_steps(counts: Mapping[str, Parts]) -> list[FunnelStep]:
    starts = counts["playback_0_count"]
    return [
        FunnelStep(
            key=key,
            label=MEDIA_METRICS[key].label,
            counts=counts[key],
            retention=_ratio_parts(counts[key], starts),
        )
        for key in FUNNEL_STEPS
    ]


# --- The after-30 rule ----------------------------------------------------------------------
#
# While X splits a Post or a video (its first 30 days) it keeps public = organic + promoted
# (x-metrics.md); after that it reports public totals only. What an object gains after its
# day 30 is "after 30 days (split not reported)", never organic: public growth minus the split
# growth, on the days that end after its day 30 (`after_day_30`; before them the difference is
# zero but for rounding of estimated splits). An object first read after its day 30 never had a
# split: its whole count is "split not reported (first read after day 30)", not "after 30
# days". One rule, in the forms the reads need:

AFTER_30 = "after_30"
UNREPORTED = "unreported"
UNSPLIT_CONTEXTS = (Context.PUBLIC, Context.ORGANIC, Context.PROMOTED)  # the rule's order


def after_30_gains(gain: str, prefix: str = "") -> CombinedExpression:
    """Daily rows, in SQL: public - organic - promoted gains over the days after day 30."""
    zero = Value(0, output_field=BigIntegerField())

    def part(context: str) -> Coalesce:
        late = Q(**{f"{prefix}context": context, f"{prefix}after_day_30": True})
        return Coalesce(Sum(f"{prefix}{gain}", filter=late), zero)

    public, organic, promoted = map(part, UNSPLIT_CONTEXTS)
    return public - organic - promoted


def after_30_of_gains(late: Mapping[str, int | None]) -> int:
    """`after_30_gains` in Python, from each context's gains over the days after day 30."""
    public, organic, promoted = (late.get(c) or 0 for c in UNSPLIT_CONTEXTS)
    return public - organic - promoted


def after_30_of_totals(public, organic, promoted) -> CombinedExpression:
    """Latest totals, in SQL: public - organic - promoted; NULL when X never split the object
    (no organic total), and a promoted total X did not report counts as 0."""
    return public - organic - Coalesce(promoted, Value(0, output_field=BigIntegerField()))


def after_30_value(public: int | None, organic: int | None, promoted: int | None) -> int | None:
    """`after_30_of_totals` in Python."""
    if public is None or organic is None:
        return None
    return public - organic - (promoted or 0)


# --- Sums by context ------------------------------------------------------------------------

# Sums of one group of daily rows or latest values: context -> {metric: sum}. Besides X's
# contexts: AFTER_30 and UNREPORTED (above, part of the public sum), and "<context>:estimated",
# the estimated part of each daily gain (metrics.lifeline).
ContextSums = dict[str, dict[str, int | None]]
ESTIMATED = ":estimated"


def _estimated(sums: ContextSums) -> ContextSums:
    """The estimated parts of daily sums, keyed like the sums themselves."""
    return {c[: -len(ESTIMATED)]: v for c, v in sums.items() if c.endswith(ESTIMATED)}


def _parts(info: MetricInfo, sums: ContextSums, *, zero: bool = False) -> Parts:
    """Total, organic, promoted, after-30 and unreported parts of one metric.

    `zero`: the group is known to have had no change (a synced day without rows), so a metric
    X reports is 0 there rather than unreported.
    """

    def s(context: str) -> int | None:
        return sums.get(context, {}).get(info.key)

    default = 0 if zero else None
    organic = promoted = after_30 = unreported = None
    if info.split:
        organic = _add(s(Context.ORGANIC), default)
        promoted = _add(s(Context.PROMOTED), default)
        if info.public:
            after_30 = _add(s(AFTER_30), default)
            unreported = s(UNREPORTED)
    return Parts(_add(s(info.total_context), default), organic, promoted, after_30, unreported)


def _has_part(parts: Parts) -> bool:
    return any(v is not None for v in (parts.total, parts.organic, parts.promoted))


def _merge(groups: Iterable[ContextSums]) -> ContextSums:
    """Sum groups metric by metric; None (not reported) stays None only if it is all there is."""
    merged: ContextSums = {}
    for sums in groups:
        for context, values in sums.items():
            target = merged.setdefault(context, {})
            for metric, value in values.items():
                current = target.get(metric)
                if current is None:
                    target[metric] = value
                elif value is not None:
                    target[metric] = current + value
    return merged


def _daily_grouped(rows: QuerySet, keys: tuple[str, ...], names: tuple[str, ...]):
    """Daily gains by `keys` and context, with their estimated parts and the after-30 part of
    the public gains: {key tuple: ContextSums}."""
    out: dict[tuple, ContextSums] = defaultdict(dict)
    grouped = (
        rows.values(*keys, "context")
        .annotate(
            **{f"sum_{n}": Sum(f"{n}_gain") for n in names},
            **{f"est_{n}": Sum(f"{n}_estimated") for n in names},
            **{f"late_{n}": Sum(f"{n}_gain", filter=Q(after_day_30=True)) for n in names},
            **{f"late_est_{n}": Sum(f"{n}_estimated", filter=Q(after_day_30=True)) for n in names},
        )
        .order_by()
    )
    late: dict[tuple, dict[str, dict[str, dict]]] = defaultdict(lambda: defaultdict(dict))
    for row in grouped:
        key, context = tuple(row[k] for k in keys), row["context"]
        sums = out[key]
        sums[context] = {n: row[f"sum_{n}"] for n in names}
        sums[context + ESTIMATED] = {n: row[f"est_{n}"] for n in names}
        for n in names:
            late[key]["gain"].setdefault(n, {})[context] = row[f"late_{n}"]
            late[key]["estimated"].setdefault(n, {})[context] = row[f"late_est_{n}"]
    for key, parts in late.items():
        public = out[key].get(Context.PUBLIC)
        if public is None:
            continue
        known = [n for n in names if public[n] is not None]
        out[key][AFTER_30] = {n: after_30_of_gains(parts["gain"][n]) for n in known}
        out[key][AFTER_30 + ESTIMATED] = {
            n: after_30_of_gains(parts["estimated"][n]) for n in known
        }
    return out


def _lifetime_grouped(rows: QuerySet, keys: tuple[str, ...], names: tuple[str, ...], owner: str):
    """Latest totals by `keys` and context, with the after-30 and unreported parts of the
    public totals (`after_30_of_totals`, summed): {key tuple: ContextSums}. `owner` is the
    rows' foreign key to their Post or video."""
    split = rows.model.objects.filter(**{owner: OuterRef(owner)}, context=Context.ORGANIC)
    grouped = (
        rows.annotate(split=Exists(split))
        .values(*keys, "context", "split")
        .annotate(**{f"sum_{n}": Sum(n) for n in names})
        .order_by()
    )
    out: dict[tuple, ContextSums] = defaultdict(dict)
    split_public: dict[tuple, dict[str, int | None]] = {}
    for row in grouped:
        key, context = tuple(row[k] for k in keys), row["context"]
        values = {n: row[f"sum_{n}"] for n in names}
        sums = out[key] = _merge([out[key], {context: values}])
        if context == Context.PUBLIC:
            if row["split"]:
                split_public[key] = values
            else:
                sums[UNREPORTED] = values
    for key, public in split_public.items():
        sums = out[key]
        organic, promoted = sums.get(Context.ORGANIC, {}), sums.get(Context.PROMOTED, {})
        sums[AFTER_30] = {
            n: after_30_value(public[n], organic.get(n), promoted.get(n)) for n in names
        }
    return out


def _daily_rows_in_scope(scope: Scope, *, post_ids: Sequence[int] | None = None) -> QuerySet:
    """The PostDaily rows a scope counts (any day): its accounts' Posts, or those created in
    the period when the period means "Posts created in the period"."""
    rows = PostDaily.objects.filter(account_id__in=scope.account_ids)
    if scope.mode == PeriodMode.CREATED:
        start, end = scope.bounds()
        rows = rows.filter(post__created_at__gte=start, post__created_at__lt=end)
    if post_ids is not None:
        rows = rows.filter(post_id__in=post_ids)
    return rows


def _created_in(scope: Scope, period: Period, prefix: str = "") -> Q:
    start, end = scope.bounds(period)
    return Q(**{
        f"{prefix}account_id__in": scope.account_ids,
        f"{prefix}created_at__gte": start,
        f"{prefix}created_at__lt": end,
    })  # fmt: skip


def _only(sums: ContextSums, metrics: set[str]) -> ContextSums:
    return {c: {m: v for m, v in values.items() if m in metrics} for c, values in sums.items()}


def _post_total_sums(scope: Scope) -> tuple[dict[date, ContextSums], ContextSums, ContextSums]:
    """Latest totals of the Posts created in the period, by the team day they were created on
    (the charts' metrics only), and in all of the period and of the previous one (cached per
    account: one query for the accounts that synced since)."""
    charted = set(DAILY_CHART_METRICS)

    def compute(part: Scope) -> dict[int, tuple]:
        rows = PostMetrics.objects.filter(_created_in(part, part.compared, "post__")).annotate(
            owner=F("post__account_id"), created_on=TruncDate("post__created_at", tzinfo=part.tz)
        )
        by_account: dict[int, dict[date, ContextSums]] = defaultdict(dict)
        for (account_id, day), sums in _lifetime_grouped(
            rows, ("owner", "created_on"), POST_COUNTS, "post_id"
        ).items():
            by_account[account_id][day] = sums
        return {
            account_id: (
                {day: _only(sums, charted) for day, sums in days.items() if day in part.period},
                dict(_merge(sums for day, sums in days.items() if day in part.period)),
                dict(_merge(sums for day, sums in days.items() if day in part.period.previous)),
            )
            for account_id, days in by_account.items()
        }

    period = (scope.compared.start, scope.period.end)
    per_account = _per_account(scope, "created-sums", period, compute, empty=({}, {}, {}))
    days: dict[date, list[ContextSums]] = defaultdict(list)
    for by_day, _, _ in per_account.values():
        for day, sums in by_day.items():
            days[day].append(sums)
    return (
        {day: _merge(sums) for day, sums in days.items()},
        _merge(now for _, now, _ in per_account.values()),
        _merge(before for _, _, before in per_account.values()),
    )


def _media_carried_by_posts_created_in(scope: Scope, period: Period) -> QuerySet:
    return PostMedia.objects.filter(_created_in(scope, period, "post__")).values("media_id")


def _media_total_sums(scope: Scope, *, with_previous: bool) -> tuple[ContextSums, ContextSums]:
    """Latest totals of the videos carried by Posts created in the period (and in the previous
    one), each media key once per period (cached per account)."""

    def compute(part: Scope) -> dict[int, tuple[ContextSums, ContextSums]]:
        carried_now = _media_carried_by_posts_created_in(part, part.period)
        carried_before = _media_carried_by_posts_created_in(part, part.period.previous)
        rows = MediaMetrics.objects.filter(media__type__in=VIDEO_TYPES).annotate(
            owner=F("media__account_id"),
            in_now=Exists(carried_now.filter(media_id=OuterRef("media_id"))),
            in_before=Exists(carried_before.filter(media_id=OuterRef("media_id")))
            if with_previous
            else Value(False),
        )
        rows = rows.filter(Q(in_now=True) | Q(in_before=True))
        grouped = _lifetime_grouped(
            rows, ("owner", "in_now", "in_before"), MEDIA_COUNTS, "media_id"
        )
        out: dict[int, tuple[ContextSums, ContextSums]] = {}
        for account in part.accounts:
            mine = {k[1:]: v for k, v in grouped.items() if k[0] == account.pk}
            out[account.pk] = (
                dict(_merge(v for (now, _), v in mine.items() if now)),
                dict(_merge(v for (_, before), v in mine.items() if before)),
            )
        return out

    parts = (scope.period.start, scope.period.end, with_previous)
    per_account = _per_account(scope, "created-media", parts, compute, empty=({}, {}))
    return (
        _merge(now for now, _ in per_account.values()),
        _merge(before for _, before in per_account.values()),
    )


# --- Account-days: what each account gained each day, and whether it synced ----------------
#
# Reads are cached per account. A sync writes rollups for the day of its reading (team time)
# and splits the gain since the previous reading back over that reading's days: a day is
# final once the next one has begun and no sync started before midnight can still run
# (RUNNING_AT_MOST), unless a later reading splits into it, which moves the account's history
# version (`history_revised`): final days are cached for long under those versions. Anything
# that may still change is cached under the account's sync state (`account_version`), which
# every sync moves: a sync of one account invalidates that account's entries only.

FINAL_CACHE_SECONDS = 8 * 24 * 3600
LIVE_CACHE_SECONDS = 15 * 60  # a safety net: the version moves with every sync anyway
CACHE_VERSION = 2  # 2: daily sums carry estimated, after-30 and unreported parts
# A run still "running" after this long died with its worker: it shows no progress.
RUNNING_AT_MOST = timedelta(hours=1)


def account_version(account: XAccount) -> str:
    """Changes whenever a sync of the account writes: it ran, is running, or was rescheduled."""
    return ":".join(
        str(value.timestamp() if isinstance(value, datetime) else value)
        for value in (
            account.last_synced_at,
            account.next_sync_at,
            getattr(account, "running_pages_done", None),
        )
    )


def final_until(team: Team) -> date:
    """The last team day whose rollups can no longer change."""
    now = timezone.localtime(timezone=team.tzinfo)
    settled = now - RUNNING_AT_MOST
    return settled.date() - timedelta(days=1)


def _history_key(account_id: int) -> str:
    return f"quartile:history:{CACHE_VERSION}:{account_id}"


def history_revised(*, account_id: int) -> None:
    """A sync rewrote days that were final: a reading splits its gain back over the days since
    the previous one. Final entries of scopes with this account are read anew."""
    cache.set(_history_key(account_id), clock.time_ns(), timeout=None)


def _history_versions(account_ids: Sequence[int]) -> str:
    """Where an account has no version yet (or the cache lost it), a new one: an entry cached
    under a lost version can never be read again."""
    keys = {pk: _history_key(pk) for pk in sorted(account_ids)}
    found = cache.get_many(list(keys.values()))
    missing = {key: clock.time_ns() for key in keys.values() if key not in found}
    if missing:
        cache.set_many(missing, timeout=None)
        found.update(missing)
    return ",".join(f"{pk}={found[key]}" for pk, key in keys.items())


def _cache_key(scope: Scope, kind: str, account: XAccount, *parts, final: bool) -> str:
    version = "final" if final else account_version(account)
    tail = ":".join(str(p) for p in parts)
    return f"quartile:{kind}:{CACHE_VERSION}:{scope.team.time_zone}:{account.pk}:{version}:{tail}"


def _per_account(
    scope: Scope,
    kind: str,
    parts: tuple,
    compute: Callable[[Scope], Mapping[int, object]],
    *,
    empty: object,
    final: bool = False,
) -> dict[int, object]:
    """One value per account in scope: from the cache, or `compute` over the accounts that
    are not cached (a sub-scope) in one go. Cached under each account's sync state, or for
    long when `final` (nothing can change it any more)."""
    keys = {a.pk: _cache_key(scope, kind, a, *parts, final=final) for a in scope.accounts}
    cached = cache.get_many(list(keys.values()))
    values = {pk: cached[key] for pk, key in keys.items() if key in cached}
    stale = tuple(a for a in scope.accounts if a.pk not in values)
    if stale:
        computed = compute(replace(scope, accounts=stale))
        fresh = {a.pk: computed.get(a.pk, empty) for a in stale}
        timeout = FINAL_CACHE_SECONDS if final else LIVE_CACHE_SECONDS
        cache.set_many({keys[pk]: value for pk, value in fresh.items()}, timeout=timeout)
        values.update(fresh)
    return values


@dataclass(frozen=True)
class ScopeDay:
    """One day of a scope: its Posts' and videos' gains by context, summed over its accounts,
    and for each account whether a sync covered the day and how its syncs ended."""

    posts: ContextSums
    media: ContextSums
    syncs: Mapping[int, tuple[bool, tuple[str, ...]]]  # account id -> (covered, outcomes)


def scope_days(*, scope: Scope, period: Period) -> dict[date, ScopeDay]:
    """Every day of the period up to today, from the cache or in three queries.

    Final days are cached for the scope's set of accounts (one entry per day); the others
    (today, and yesterday during the first hour) per account under its sync state.
    """
    today = team_today(scope.team)
    days = [day for day in period.days() if day <= today]
    if not days or not scope.accounts:
        return {}
    final = final_until(scope.team)
    final_days = [day for day in days if day <= final]
    live_days = [day for day in days if day > final]
    accounts = _history_versions(scope.account_ids)
    digest = hashlib.sha1(accounts.encode(), usedforsecurity=False).hexdigest()[:16]
    tz = scope.team.time_zone
    final_keys = {
        day: f"quartile:scope-day:{CACHE_VERSION}:{tz}:{digest}:{day.isoformat()}"
        for day in final_days
    }
    live_keys = {
        (account.pk, day): _cache_key(scope, "account-day", account, day.isoformat(), final=False)
        for account in scope.accounts
        for day in live_days
    }
    cached = cache.get_many([*final_keys.values(), *live_keys.values()])
    result = {day: ScopeDay(*cached[key]) for day, key in final_keys.items() if key in cached}
    live = {pair: ScopeDay(*cached[key]) for pair, key in live_keys.items() if key in cached}
    missing = [day for day in final_days if day not in result]
    stale = [a for a in scope.accounts if any((a.pk, d) not in live for d in live_days)]
    if missing or stale:
        # One read: every account from the first missing final day on, or the stale accounts
        # over the live days only.
        span = Period(min(missing), days[-1]) if missing else Period(live_days[0], days[-1])
        fresh = _read_days(scope, scope.accounts if missing else stale, span)
        final_fresh = {
            day: _merge_accounts(by_account) for day, by_account in fresh.items() if day <= final
        }
        live_fresh = {
            (account_id, day): record
            for day, by_account in fresh.items()
            if day > final
            for account_id, record in by_account.items()
        }
        cache.set_many(
            {final_keys[d]: (r.posts, r.media, r.syncs) for d, r in final_fresh.items()},
            timeout=FINAL_CACHE_SECONDS,
        )
        cache.set_many(
            {live_keys[pair]: (r.posts, r.media, r.syncs) for pair, r in live_fresh.items()},
            timeout=LIVE_CACHE_SECONDS,
        )
        result.update(final_fresh)
        live.update(live_fresh)
    by_day: dict[date, dict[int, ScopeDay]] = defaultdict(dict)
    for (account_id, day), record in live.items():
        by_day[day][account_id] = record
    result.update({day: _merge_accounts(by_account) for day, by_account in by_day.items()})
    return result


def _merge_accounts(by_account: Mapping[int, ScopeDay]) -> ScopeDay:
    records = list(by_account.values())
    syncs = {}
    for record in records:
        syncs.update(record.syncs)
    return ScopeDay(
        posts=dict(_merge(r.posts for r in records)),
        media=dict(_merge(r.media for r in records)),
        syncs=syncs,
    )


def _read_days(
    scope: Scope, accounts: Sequence[XAccount], period: Period
) -> dict[date, dict[int, ScopeDay]]:
    """Per day and account: gains by context and sync outcomes (three queries)."""
    ids = [a.pk for a in accounts]
    in_period = {"account_id__in": ids, "day__gte": period.start, "day__lte": period.end}
    key = ("day", "account_id")
    # The accounts' daily sums, days x accounts rows, summed as the Posts' rows would be.
    posts = _daily_grouped(AccountDaily.objects.filter(**in_period), key, POST_COUNTS)
    media = _daily_grouped(AccountMediaDaily.objects.filter(**in_period), key, MEDIA_COUNTS)
    covered, outcomes = _sync_outcomes(scope, period, ids)
    return {
        day: {
            account_id: ScopeDay(
                posts=dict(posts.get((day, account_id), {})),
                media=dict(media.get((day, account_id), {})),
                syncs={
                    account_id: (
                        (account_id, day) in covered,
                        tuple(sorted(outcomes.get((account_id, day), ()))),
                    )
                },
            )
            for account_id in ids
        }
        for day in period.days()
    }


def _sync_outcomes(scope: Scope, period: Period, account_ids: Sequence[int] | None = None):
    """Which account-days a sync covered (it succeeded or saved a page), and the outcomes of
    every sync started that day (team time)."""
    start, end = scope.bounds(period)
    succeeded = Q(outcome=SyncRun.Outcome.SUCCEEDED) | Q(pages_done__gt=0)
    ids = scope.account_ids if account_ids is None else account_ids
    runs = (
        SyncRun.objects.filter(account_id__in=ids, started_at__gte=start, started_at__lt=end)
        .annotate(
            day=TruncDate("started_at", tzinfo=scope.tz),
            ok=Case(When(succeeded, then=Value(True)), default=Value(False)),
        )
        .values_list("account_id", "day", "outcome", "ok")
        .distinct()
        .order_by()
    )
    covered: set[tuple[int, date]] = set()
    outcomes: dict[tuple[int, date], set[str]] = defaultdict(set)
    for account_id, day, outcome, ok in runs:
        if ok:
            covered.add((account_id, day))
        outcomes[account_id, day].add(outcome)
    return covered, outcomes


# --- Coverage: which account-days have data -------------------------------------------------

GAP_REASONS = {
    SyncRun.Outcome.NEEDS_REAUTH: "needs reconnecting",
    SyncRun.Outcome.DEFERRED: "deferred (rate limit or read budget)",
    SyncRun.Outcome.FAILED: "sync failed",
    SyncRun.Outcome.RUNNING: "sync still running",
}


@dataclass(frozen=True)
class CoverageMap:
    """For each account in scope, its days without data (`gaps`) or only partly known
    (`partial`), and why."""

    gaps: Mapping[int, Mapping[date, str]]
    usernames: Mapping[int, str]
    partial: Mapping[int, Mapping[date, str]] = field(default_factory=dict)
    today: date | None = None

    def missing(self, day: date) -> tuple[GapNote, ...]:
        return tuple(
            GapNote(self.usernames[account_id], days[day])
            for notes in (self.gaps, self.partial)
            for account_id, days in notes.items()
            if day in days
        )

    def coverage(self, day: date) -> Coverage:
        missing = sum(1 for days in self.gaps.values() if day in days)
        if missing and missing == len(self.usernames):
            return Coverage.NONE
        if missing or any(day in days for days in self.partial.values()):
            return Coverage.PARTIAL
        return Coverage.SO_FAR if day == self.today else Coverage.FULL

    def is_gap(self, account_id: int, day: date) -> bool:
        return day in self.gaps.get(account_id, {})

    def incomplete_days(self, period: Period) -> int:
        return sum(
            1 for day in period.days() if self.coverage(day) in (Coverage.NONE, Coverage.PARTIAL)
        )


def _coverage_map(
    scope: Scope, period: Period, syncs: Callable[[int, date], tuple[bool, Iterable[str]] | None]
) -> CoverageMap:
    """`syncs(account id, day)`: whether a sync saved readings that day, and its syncs'
    outcomes. Days after today are not gaps: they are still to come."""
    today = team_today(scope.team)
    gaps: dict[int, dict[date, str]] = {account.pk: {} for account in scope.accounts}
    partial: dict[int, dict[date, str]] = {account.pk: {} for account in scope.accounts}
    for account in scope.accounts:
        read_on = [d for d in period.days() if (syncs(account.pk, d) or (False,))[0]]
        for day in period.days():
            if day > today:
                break
            outcomes = (syncs(account.pk, day) or (False, ()))[1]
            kind, reason = account_day_state(
                account, day, outcomes, today=today, tz=scope.tz, read_on=max(read_on, default=None)
            )
            if kind is not None:
                (gaps if kind == Coverage.NONE else partial)[account.pk][day] = reason
    return CoverageMap(gaps, scope.usernames, partial, today)


def account_day_state(
    account: XAccount,
    day: date,
    outcomes: Iterable[str],
    *,
    today: date,
    tz: ZoneInfo,
    read_on: date | None = None,
) -> tuple[Coverage | None, str]:
    """What is known of one account's day (DESIGN.md "Coverage"): (NONE or PARTIAL, why), or
    (None, "") for a day covered by a reading after its end, or today up to its latest reading.

    A reading splits the gain since the previous one over the days between, so a day without a
    sync of its own but with readings on both sides is known (estimated). Before the account was
    connected only its Posts created within 30 days of the connection are known (from birth);
    on the connection day, Posts older than 30 days count from their second reading.
    """
    connected_on = account.connected_at.astimezone(tz).date()
    last = account.last_synced_at
    last_on = max(filter(None, (last and last.astimezone(tz).date(), read_on)), default=None)
    name = f"@{account.username}"
    if day < connected_on:
        since = connected_on - PRIVATE_WINDOW
        if day < since:
            return Coverage.NONE, f"before {name} was connected"
        return Coverage.PARTIAL, (
            f"before {name} was connected: only its Posts created since {since:%-d %b} count"
        )
    if last_on is None or day > last_on:
        disconnected_on = account.disconnected_at and account.disconnected_at.astimezone(tz).date()
        return Coverage.NONE, _gap_reason(account, day, outcomes, disconnected_on, today=today)
    if day == connected_on:
        first = account.connected_at.astimezone(tz)
        return Coverage.PARTIAL, (
            f"connected at {first:%H:%M}: its Posts older than 30 days count from their "
            "second reading"
        )
    if day == last_on and day < today:
        if last is not None and last.astimezone(tz).date() == day:
            return Coverage.PARTIAL, f"last reading at {last.astimezone(tz):%H:%M}"
        return Coverage.PARTIAL, "last readings that day, from a sync that did not finish"
    return None, ""


def scope_coverage(*, scope: Scope, period: Period | None = None) -> CoverageMap:
    """Each account-day's coverage (`account_day_state`), from the syncs of the period (a sync
    that succeeded or saved at least one page read the account that day)."""
    period = period or scope.compared
    covered, outcomes = _sync_outcomes(scope, period)
    return _coverage_map(scope, period, lambda a, d: ((a, d) in covered, outcomes.get((a, d), ())))


def _gap_reason(account: XAccount, day: date, outcomes, disconnected_on, *, today: date) -> str:
    for outcome, reason in GAP_REASONS.items():
        if outcome in outcomes:
            return reason
    if disconnected_on and disconnected_on <= day:
        return "disconnected"
    if account.status == XAccount.Status.NEEDS_REAUTH:
        return "needs reconnecting"
    if day == today:
        return "not synced yet today"  # the day has just begun: nothing failed
    return "no successful sync"


# --- Overview: KPIs, daily charts, funnel ---------------------------------------------------


@dataclass(frozen=True)
class Overview:
    kpis: tuple[KpiRow, ...]
    daily: tuple[DailyTotalRow, ...]
    funnel: tuple[FunnelStep, ...]
    coverage: CoverageMap
    # Since when the scope's days are exact: (username, connected at) per account.
    connections: tuple[tuple[str, datetime], ...] = ()

    def series(self, metric: str) -> list[DailyTotalRow]:
        return [row for row in self.daily if row.metric == metric]

    @property
    def not_comparable(self) -> str:
        """Why the totals cannot be compared with the previous period ("" when they can)."""
        return self.kpis[0].incomparable.get("total", "")

    @property
    def split_not_comparable(self) -> str:
        return "" if self.not_comparable else self.kpis[0].incomparable.get("organic", "")


def overview(*, scope: Scope) -> Overview:
    """KPIs against the previous period, the daily charts' rows and the video funnel.

    Activity: gains per day over the accounts in scope (gap days marked). Created: the latest
    totals of the Posts created each day, so the bars add up to the KPIs (no gaps: a Post
    created on a day without a sync is still read later).
    """
    if scope.mode == PeriodMode.ACTIVITY:
        days = scope_days(scope=scope, period=scope.compared)
        by_day = {day: record.posts for day, record in days.items()}
        media_now = _merge(days[d].media for d in scope.period.days() if d in days)
        media_before = _merge(days[d].media for d in scope.period.previous.days() if d in days)

        def syncs(a, d):
            return days[d].syncs.get(a) if d in days else None

        coverage = _coverage_map(scope, scope.period, syncs)
        earlier = _coverage_map(scope, scope.period.previous, syncs)
        undated, media_undated = _undated_sums(scope)
        now = _merge([*(by_day.get(d, {}) for d in scope.period.days()), undated])
        media_now = _merge([media_now, media_undated])
        before = _merge(by_day.get(d, {}) for d in scope.period.previous.days())
        unknown = [n.reason for d in scope.period.previous.days() for n in earlier.missing(d)]
        exact = media_exact = None
        if scope.period.end >= team_today(scope.team):
            # The Posts born in the period earned their whole lives in it: their latest totals
            # are exact. The rest is older Posts' gains, split at the period's start.
            _, exact, _ = _post_total_sums(scope)
            media_exact, _ = _media_total_sums(scope, with_previous=False)
        compared = _Comparison(
            before, media_before, coverage.incomplete_days(scope.period), exact, media_exact,
            undated, media_undated,
            unlike=f"the previous period is only partly known ({unknown[0]})" if unknown else "",
        )  # fmt: skip
    else:
        by_day, now, before = _post_total_sums(scope)
        media_now, media_before = _media_total_sums(scope, with_previous=True)
        coverage = CoverageMap({a.pk: {} for a in scope.accounts}, scope.usernames)
        compared = _Comparison(
            before, media_before, 0, now, media_now,
            unlike_split=SPLIT_NOT_REPORTED if _unreported(now, before, media_now, media_before)
            else "",
        )  # fmt: skip
    daily = tuple(
        DailyTotalRow(day, metric, parts, coverage.coverage(day), coverage.missing(day), estimated)
        for metric in DAILY_CHART_METRICS
        for day, parts, estimated in _daily_parts(
            POST_METRICS[metric], scope.period, by_day, coverage
        )
    )
    funnel = _funnel_steps({k: _parts(MEDIA_METRICS[k], media_now) for k in FUNNEL_STEPS})
    kpis = _kpis(now, media_now, compared)
    connections = tuple(
        (a.username, a.connected_at.astimezone(scope.tz))
        for a in sorted(scope.accounts, key=lambda a: a.connected_at)
    )
    return Overview(kpis, daily, tuple(funnel), coverage, connections)


def _undated_sums(scope: Scope) -> tuple[ContextSums, ContextSums]:
    """Activity of Posts (and their videos) born in the period but first read after their day
    30: their days before that reading are unknown, but all of it was earned inside the period.
    It is their first reading day's value (its gain is unknown). Only an account connected more
    than 30 days after the period began can have such Posts: otherwise no query."""
    start, end = scope.bounds()
    late = [a.pk for a in scope.accounts if a.connected_at - PRIVATE_WINDOW > start]
    if not late:
        return {}, {}
    unknown_first_day = Q(
        account_id__in=late, day__gte=scope.period.start, day__lte=scope.period.end
    )
    posts = PostDaily.objects.filter(
        unknown_first_day, impression_count_gain__isnull=True, impression_count__isnull=False,
        post__created_at__gte=start, post__created_at__lt=end,
    )  # fmt: skip
    media = MediaDaily.objects.filter(
        unknown_first_day, view_count_gain__isnull=True, view_count__isnull=False,
        media__type__in=VIDEO_TYPES,
    ).exclude(media__posts__created_at__lt=start)  # fmt: skip

    def sums(rows: QuerySet, names: tuple[str, ...]) -> ContextSums:
        grouped = rows.values("context").annotate(**{n: Sum(n) for n in names}).order_by()
        out: ContextSums = {row["context"]: {n: row[n] for n in names} for row in grouped}
        if Context.PUBLIC in out:  # first read after day 30: never split
            out[UNREPORTED] = dict(out[Context.PUBLIC])
        return out

    return sums(posts, POST_COUNTS), sums(media, MEDIA_COUNTS)


def video_funnel(*, scope: Scope) -> list[FunnelStep]:
    """Plays reaching each quartile over the videos in scope, each media key once."""
    if scope.mode == PeriodMode.ACTIVITY:
        media = _merge(d.media for d in scope_days(scope=scope, period=scope.period).values())
    else:
        media, _ = _media_total_sums(scope, with_previous=False)
    return _funnel_steps({k: _parts(MEDIA_METRICS[k], media) for k in FUNNEL_STEPS})


def _daily_parts(
    info: MetricInfo,
    period: Period,
    by_day: Mapping[date, ContextSums],
    coverage: CoverageMap,
) -> Iterator[tuple[date, Parts | None, Parts | None]]:
    """Each day's parts and their estimated parts (None: no data at all, never a zero)."""
    for day in period.days():
        state = coverage.coverage(day)
        sums = by_day.get(day)
        if state == Coverage.NONE and not sums:
            yield day, None, None
        else:
            zero = state != Coverage.NONE
            sums = sums or {}
            yield day, _parts(info, sums, zero=zero), _parts(info, _estimated(sums), zero=zero)


@dataclass(frozen=True)
class _Comparison:
    """What the KPIs are compared with, and what of it is exact."""

    before: ContextSums
    media_before: ContextSums
    incomplete: int
    exact: ContextSums | None = None  # the current sums known exactly (None: not known)
    media_exact: ContextSums | None = None
    undated: ContextSums = field(default_factory=dict)  # `_undated_sums`
    media_undated: ContextSums = field(default_factory=dict)
    unlike: str = ""  # why no part can be compared
    unlike_split: str = ""  # why the split parts cannot be

    def reasons(self, info: MetricInfo) -> dict[str, str]:
        if self.unlike:
            return dict.fromkeys(("total", "organic", "promoted", "after_30"), self.unlike)
        if self.unlike_split and info.split:
            return dict.fromkeys(("organic", "promoted", "after_30"), self.unlike_split)
        return {}


SPLIT_NOT_REPORTED = "X never reported the organic/promoted split of Posts first read after day 30"


def _unreported(*sums: ContextSums) -> bool:
    return any(v for s in sums for v in s.get(UNREPORTED, {}).values())


def _count_kpi(key: str, now: ContextSums, compared: _Comparison) -> KpiRow:
    info = POST_METRICS[key]
    exact = None if compared.exact is None else _parts(info, compared.exact).total
    return KpiRow(
        key, info.label, info.help, False, _parts(info, now), _parts(info, compared.before),
        compared.incomplete, exact, _parts(info, compared.undated).total, compared.reasons(info),
    )  # fmt: skip


def _engagement_rate(sums: ContextSums) -> Parts:
    """Engagements ÷ impressions, both non-public: over the days X reports engagements."""
    non_public = sums.get(Context.NON_PUBLIC, {})
    return Parts(total=_ratio(non_public.get("engagements"), non_public.get("impression_count")))


def _completion(sums: ContextSums) -> Parts:
    starts = _parts(MEDIA_METRICS["playback_0_count"], sums)
    done = _parts(MEDIA_METRICS["playback_100_count"], sums)
    return _ratio_parts(done, starts)


def _kpis(now: ContextSums, media_now: ContextSums, compared: _Comparison) -> tuple[KpiRow, ...]:
    views = MEDIA_METRICS["view_count"]
    before, media_before, incomplete = compared.before, compared.media_before, compared.incomplete
    rate_reasons = {"total": compared.unlike} if compared.unlike else {}
    return (
        _count_kpi("impression_count", now, compared),
        _count_kpi("engagements", now, compared),
        KpiRow(
            "engagement_rate",
            "Engagement rate",
            "Engagements ÷ impressions, over Posts in their first 30 days (the only ones X "
            "reports engagements for). X does not split engagements into organic and promoted.",
            True,
            _engagement_rate(now),
            _engagement_rate(before),
            incomplete,
            incomparable=rate_reasons,
        ),
        _count_kpi("url_link_clicks", now, compared),
        _count_kpi("user_profile_clicks", now, compared),
        KpiRow(
            "view_count",
            views.label,
            "Views of the team's videos; a video carried by several Posts counts once.",
            False,
            _parts(views, media_now),
            _parts(views, media_before),
            incomplete,
            None if compared.media_exact is None else _parts(views, compared.media_exact).total,
            _parts(views, compared.media_undated).total,
            compared.reasons(views),
        ),
        KpiRow(
            "completion_rate",
            "Video completion rate",
            "Plays watched to the end ÷ plays started.",
            True,
            _completion(media_now),
            _completion(media_before),
            incomplete,
            incomparable=compared.reasons(MEDIA_METRICS["playback_100_count"]),
        ),
    )


# --- Daily series, per account (the CSV) -----------------------------------------------------

AFTER_30_CONTEXT = "after_30_days"


def daily_series_rows(*, scope: Scope, post_id: int | None = None) -> Iterator[DailySeriesRow]:
    """Gain and end-of-day value of every reported metric, per day, account and context.

    The end-of-day value of an account is the sum of its Posts' latest values at the end of the
    day. Each daily row adds its gain, or its whole value when the gain is unknown (the first
    time a Post is seen), so the running sum from the first row equals that sum. Gap days carry
    no numbers, only the reason. Summed over accounts, the gains are the daily charts' rows
    ("Posts created in the period": the gains, day by day, of those Posts only).
    """
    rows = _daily_rows_in_scope(scope, post_ids=None if post_id is None else [post_id])
    coverage = scope_coverage(scope=scope, period=scope.period)
    deltas = {m: Sum(Coalesce(f"{m}_gain", m, output_field=BigIntegerField())) for m in POST_COUNTS}
    end_of_day: dict[tuple[int, str, str], int] = {}
    baseline = (
        rows.filter(day__lt=scope.period.start)
        .values("account_id", "context")
        .annotate(**{f"sum_{m}": delta for m, delta in deltas.items()})
        .order_by()
    )
    for row in baseline:
        for m in POST_COUNTS:
            if row[f"sum_{m}"] is not None:
                end_of_day[row["account_id"], row["context"], m] = row[f"sum_{m}"]

    grouped = (
        rows.filter(day__gte=scope.period.start, day__lte=scope.period.end)
        .values("day", "account_id", "context")
        .annotate(
            **{f"sum_{m}_gain": Sum(f"{m}_gain") for m in POST_COUNTS},
            **{f"sum_{m}_est": Sum(f"{m}_estimated") for m in POST_COUNTS},
            **{f"sum_{m}_late": Sum(f"{m}_gain", filter=Q(after_day_30=True)) for m in POST_COUNTS},
            **{
                f"sum_{m}_late_est": Sum(f"{m}_estimated", filter=Q(after_day_30=True))
                for m in POST_COUNTS
            },
            **{f"sum_{m}_delta": delta for m, delta in deltas.items()},
        )
        .order_by("day", "account_id")
    )
    by_account = defaultdict(list)  # one day's groups at a time: memory is one day
    iterator = grouped.iterator(chunk_size=2000)
    pending = next(iterator, None)
    accounts = sorted(scope.accounts, key=lambda a: a.username)
    for day in scope.period.days():
        by_account.clear()
        while pending is not None and pending["day"] == day:
            by_account[pending["account_id"]].append(pending)
            pending = next(iterator, None)
        for account in accounts:
            yield from _account_day_rows(
                day, account, by_account.get(account.pk, []), end_of_day, coverage
            )


def _account_day_rows(day, account, groups, end_of_day, coverage) -> Iterator[DailySeriesRow]:
    gap = coverage.is_gap(account.pk, day) and not groups
    note = f"no data: {coverage.gaps[account.pk][day]}" if gap else ""
    gains: dict[tuple[str, str], int | None] = {}
    estimated: dict[tuple[str, str], int | None] = {}
    late: dict[str, dict[str, dict[str, int | None]]] = {"gain": {}, "estimated": {}}
    for group in groups:
        for m in POST_COUNTS:
            gains[group["context"], m] = group[f"sum_{m}_gain"]
            estimated[group["context"], m] = group[f"sum_{m}_est"]
            late["gain"].setdefault(m, {})[group["context"]] = group[f"sum_{m}_late"]
            late["estimated"].setdefault(m, {})[group["context"]] = group[f"sum_{m}_late_est"]
            if group[f"sum_{m}_delta"] is not None:
                key = (account.pk, group["context"], m)
                end_of_day[key] = end_of_day.get(key, 0) + group[f"sum_{m}_delta"]
    for m, info in POST_METRICS.items():
        for context in CONTEXTS:
            value = end_of_day.get((account.pk, context, m))
            if value is None and gains.get((context, m)) is None:
                continue  # never reported for this account
            if gap:
                yield DailySeriesRow(day, account.username, m, context, None, None, note)
            else:
                gain = gains.get((context, m), 0)  # no row on a synced day: no change
                yield DailySeriesRow(
                    day, account.username, m, context, gain, value,
                    estimated=estimated.get((context, m)) or 0,
                )  # fmt: skip
        if info.public and info.split and (account.pk, Context.PUBLIC, m) in end_of_day:
            after_30 = after_30_estimated = None
            if not gap:
                after_30 = after_30_of_gains(late["gain"].get(m, {}))
                after_30_estimated = after_30_of_gains(late["estimated"].get(m, {}))
            yield DailySeriesRow(
                day, account.username, m, AFTER_30_CONTEXT, after_30, None, note,
                estimated=after_30_estimated,
            )  # fmt: skip


# --- Posts -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PostSort:
    """How the Posts table is ordered: one metric in one context, largest first."""

    metric: str = "impression_count"
    context: str = "total"  # total | organic | promoted | after_30

    EXTRA = ("engagement_rate", "created_at")

    @classmethod
    def parse(cls, value: str | None) -> PostSort:
        metric, _, context = (value or "").partition(".")
        context = context or "total"
        if metric in cls.EXTRA and context == "total":
            return cls(metric, context)
        info = POST_METRICS.get(metric)
        if info is None:
            return cls()
        allowed = {"total", *(c for c in info.contexts if c in ("organic", "promoted", "after_30"))}
        return cls(metric, context) if context in allowed else cls(metric)

    def __str__(self) -> str:
        return self.metric if self.context == "total" else f"{self.metric}.{self.context}"

    def column(self) -> str:
        """The column of the Posts' metric dicts this sort orders by."""
        if self.metric in self.EXTRA:
            return self.metric
        info = POST_METRICS[self.metric]
        context = info.total_context if self.context == "total" else self.context
        return f"{self.metric}_{context}"

    def contexts(self) -> tuple[str, ...]:
        """The contexts whose rows decide the order."""
        if self.metric == "created_at":
            return ()
        if self.metric == "engagement_rate":
            return (Context.NON_PUBLIC,)
        if self.context == "after_30":
            return (Context.PUBLIC, Context.ORGANIC, Context.PROMOTED)
        info = POST_METRICS[self.metric]
        return (info.total_context if self.context == "total" else self.context,)


def _reported(metrics: Mapping[str, MetricInfo]) -> list[tuple[str, str]]:
    """(metric, context) pairs X reports (after_30 excluded: it is derived)."""
    return [(m, c) for m, info in metrics.items() for c in info.contexts if c != "after_30"]


def _latest_joins(contexts: Iterable[str] = CONTEXTS) -> dict[str, FilteredRelation]:
    """A Post's or a medium's latest values, one join per context, as `latest_<context>`."""
    return {
        f"latest_{c}": FilteredRelation("latest", condition=Q(latest__context=c)) for c in contexts
    }


def _latest_values(metrics: Mapping[str, MetricInfo]) -> dict[str, F]:
    """`<metric>_<context>`: each reported value, read through `_latest_joins`."""
    return {f"{m}_{c}": F(f"latest_{c}__{m}") for m, c in _reported(metrics)}


MEDIA_LATEST = tuple(f"{m}_{c}" for m, c in _reported(MEDIA_METRICS))


def _with_latest_media_values(media: QuerySet) -> QuerySet:
    """Media with `media_id` and every reported latest value (MEDIA_LATEST)."""
    return media.annotate(**_latest_joins()).annotate(
        media_id=F("pk"), **_latest_values(MEDIA_METRICS)
    )


def _rate_expression():
    return Cast("engagements_non_public", FloatField()) / NullIf(
        Cast("impression_count_non_public", FloatField()), Value(0.0)
    )


POST_FIELDS = (
    "x_post_id", "account__username", "created_at", "text", "is_reply", "promoted", "deleted_at",
)  # fmt: skip


def _post_values(scope: Scope | None, post_ids: Sequence[int] | None) -> QuerySet:
    """One row per Post in scope: its fields and its metrics per context (POST_VALUES).

    Activity: the Posts with any daily row in the period, valued by their gains in it.
    Created (or no scope: one Post's page): their latest totals.
    """
    posts = Post.objects.all()
    activity = scope is not None and scope.mode == PeriodMode.ACTIVITY
    if scope is not None:
        posts = posts.filter(account_id__in=scope.account_ids)
        if not activity:
            posts = posts.filter(_created_in(scope, scope.period))
    if post_ids is not None:
        posts = posts.filter(pk__in=post_ids)
    if activity:
        in_period = Q(daily__day__gte=scope.period.start, daily__day__lte=scope.period.end)
        posts = posts.annotate(period=FilteredRelation("daily", condition=in_period)).filter(
            period__id__isnull=False
        )
        # bigint, not PostgreSQL's numeric sum: the rows are read without Django's converters.
        values = {
            f"{m}_{c}": Cast(
                Sum(f"period__{m}_gain", filter=Q(period__context=c)), BigIntegerField()
            )
            for m, c in _reported(POST_METRICS)
        }
        unsplit = {
            f"{m}_after_30": Cast(after_30_gains(f"{m}_gain", "period__"), BigIntegerField())
            for m, info in POST_METRICS.items()
            if "after_30" in info.contexts
        }
    else:
        posts = posts.annotate(**_latest_joins())
        values = _latest_values(POST_METRICS)
        unsplit = {
            f"{m}_after_30": after_30_of_totals(*(F(f"{m}_{c}") for c in UNSPLIT_CONTEXTS))
            for m, info in POST_METRICS.items()
            if "after_30" in info.contexts
        }
    carried = PostMedia.objects.filter(post_id=OuterRef("pk"))
    posts = posts.annotate(post_id=F("pk"), **values)
    return posts.annotate(**unsplit).annotate(
        engagement_rate=_rate_expression(), has_media=Exists(carried)
    )


POST_VALUES = (
    "post_id", *POST_FIELDS, *(f"{m}_{c}" for m, i in POST_METRICS.items() for c in i.contexts),
    "engagement_rate", "has_media",
)  # fmt: skip


def _ordered(values: QuerySet, sort: PostSort) -> QuerySet:
    if sort.column() == "created_at":
        return values.order_by(F("created_at").desc(), "-post_id")
    return values.order_by(F(sort.column()).desc(nulls_last=True), "-post_id")


# A Posts table row, flat: these columns in this order (the Posts CSV's order too).
POST_METRIC_COLUMNS = tuple(f"{m}_{c}" for m, info in POST_METRICS.items() for c in info.contexts)
VIDEO_METRIC_COLUMNS = tuple(f"{m}_{c}" for m, info in MEDIA_METRICS.items() for c in info.contexts)
POST_TABLE_COLUMNS = (
    "post_id", "x_post_id", "url", "account", "created_at", "text", "is_reply", "promoted",
    "deleted", "engagement_rate", *POST_METRIC_COLUMNS, "media_keys", *VIDEO_METRIC_COLUMNS,
    "video_counted_on",
)  # fmt: skip


def post_table(
    *,
    scope: Scope,
    sort: PostSort | None = None,
    post_ids: Sequence[int] | None = None,
    chunk_size: int = 2000,
) -> Iterator[list[tuple]]:
    """The Posts in scope, ordered by `sort`, as chunks of flat rows (POST_TABLE_COLUMNS).

    Activity: the Posts with any daily row in the period, valued by their gains in it.
    Created: the Posts created in the period, valued by their latest totals.
    Three queries per chunk; the rows are read with a server-side cursor (constant memory).
    """
    ordered = _ordered(_post_values(scope, post_ids), sort or PostSort())
    for chunk in _value_chunks(ordered.values_list(*POST_VALUES), POST_VALUES, chunk_size):
        yield _flat_rows(scope, chunk)


def post_table_sql(
    *, scope: Scope, sort: PostSort | None = None, post_ids: Sequence[int] | None = None
) -> tuple[str, tuple]:
    """PostgreSQL: one SELECT of `post_table`'s rows (POST_TABLE_COLUMNS, same order), so that
    the database can write them itself. The Posts' part is `post_table`'s own query; the videos'
    sums per Post are added here, as `_post_media` computes them."""
    sort = sort or PostSort()
    # Ordered once, below, by the same keys as `post_table`.
    values = _post_values(scope, post_ids).values_list(*POST_VALUES)
    inner, params = values.query.sql_with_params()
    metrics = ", ".join(f'v."{c}"' for c in POST_METRIC_COLUMNS)
    if scope.mode == PeriodMode.ACTIVITY:
        source, suffix = "metrics_mediadaily", "_gain"
        in_period = "AND x.day BETWEEN %s AND %s"
        params = (*params, scope.period.start, scope.period.end)
    else:
        source, suffix, in_period = "metrics_mediametrics", "", ""
    videos = "', '".join(VIDEO_TYPES)
    # A video counts on its first carrier's row only (`_post_media`).
    here = f"md.type IN ('{videos}') AND f.post_id = pm.post_id"
    sums = {
        f"{m}_{c}": f"SUM(x.{m}{suffix}) FILTER (WHERE x.context = '{c}' AND {here})"
        for m, c in _reported(MEDIA_METRICS)
    }
    if scope.mode == PeriodMode.ACTIVITY:  # after_30_gains, in SQL
        sums |= {
            f"{m}_after_30": f"CASE WHEN bool_or({here}) THEN "
            + " - ".join(
                f"coalesce(SUM(x.{m}_gain) FILTER (WHERE x.context = '{c}' "
                f"AND x.after_day_30 AND {here}), 0)"
                for c in UNSPLIT_CONTEXTS
            )
            + " END"
            for m, c in _VIDEO_COLUMN_PARTS
            if c == "after_30"
        }
    video_columns = []
    for m, c in _VIDEO_COLUMN_PARTS:
        if c == "after_30" and scope.mode != PeriodMode.ACTIVITY:  # after_30_of_totals
            video_columns.append(
                f'm."{m}_public" - m."{m}_organic" - coalesce(m."{m}_promoted", 0)'
            )
        else:
            video_columns.append(f'm."{m}_{c}"')
    order = (
        'v."created_at" DESC'
        if sort.column() == "created_at"
        else f'v."{sort.column()}" DESC NULLS LAST'
    )
    # The videos' sums in one grouped pass over the media of the Posts that carry any, joined
    # by hash: no per-Post lookup, whatever the planner believes of the tables' sizes. `f` is
    # each medium's first carrier in the table (`_first_carriers`). The third column is
    # `models.post_url`, in SQL.
    sql = f"""
        WITH v AS ({inner}),
        f AS (
            SELECT DISTINCT ON (pm.media_id) pm.media_id, pm.post_id, v."x_post_id"
            FROM metrics_postmedia pm JOIN v ON v."post_id" = pm.post_id
            WHERE v."has_media"
            ORDER BY pm.media_id, v."created_at", v."post_id"
        )
        SELECT v."post_id", v."x_post_id",
               'https://x.com/' || v."account__username" || '/status/' || v."x_post_id",
               v."account__username", v."created_at", v."text", v."is_reply", v."promoted",
               v."deleted_at" IS NOT NULL, v."engagement_rate", {metrics},
               coalesce(m.media_keys, ''), {", ".join(video_columns)},
               coalesce(c.counted_on, '')
        FROM v
        LEFT JOIN (
            SELECT pm.post_id,
                   string_agg(DISTINCT md.media_key, ' ' ORDER BY md.media_key) AS media_keys,
                   {", ".join(f'{sql} AS "{name}"' for name, sql in sums.items())}
            FROM metrics_postmedia pm
            JOIN metrics_media md ON md.id = pm.media_id
            LEFT JOIN f ON f.media_id = md.id
            LEFT JOIN {source} x ON x.media_id = md.id {in_period}
            WHERE pm.post_id IN (SELECT "post_id" FROM v WHERE "has_media")
            GROUP BY pm.post_id
        ) m ON m.post_id = v."post_id"
        LEFT JOIN (
            SELECT pm.post_id, string_agg(f."x_post_id"::text, ' ' ORDER BY md.media_key)
                   AS counted_on
            FROM metrics_postmedia pm
            JOIN metrics_media md ON md.id = pm.media_id AND md.type IN ('{videos}')
            JOIN f ON f.media_id = md.id
            WHERE pm.post_id IN (SELECT "post_id" FROM v WHERE "has_media")
            GROUP BY pm.post_id
        ) c ON c.post_id = v."post_id"
        ORDER BY {order}, v."post_id" DESC
    """  # noqa: S608 (identifiers come from this module's constants; values are parameters)
    return sql, tuple(params)


def _value_chunks(rows: QuerySet, names: Sequence[str], chunk_size: int) -> Iterator[list]:
    """The tuples of a `values_list` query, in chunks, from a server-side cursor.

    On PostgreSQL the rows come straight from psycopg, whose loaders already give Python values,
    without Django's per-row converters: a large export spends its time writing, not converting.
    """
    if connection.vendor != "postgresql":
        iterator = rows.iterator(chunk_size=chunk_size)
        while chunk := list(islice(iterator, chunk_size)):
            yield chunk
        return
    sql, params = rows.query.sql_with_params()
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        columns = [column.name for column in cursor.description]
        pick = itemgetter(*(columns.index(name) for name in names))
        while chunk := cursor.fetchmany(chunk_size):
            yield list(map(pick, chunk))


def post_rows(
    *,
    scope: Scope,
    sort: PostSort | None = None,
    post_ids: Sequence[int] | None = None,
    chunk_size: int = 2000,
) -> Iterator[PostRow]:
    """`post_table` as typed rows."""
    for chunk in post_table(scope=scope, sort=sort, post_ids=post_ids, chunk_size=chunk_size):
        yield from map(post_row, chunk)


def post_row(flat: tuple) -> PostRow:
    named = dict(zip(POST_TABLE_COLUMNS, flat, strict=True))

    def values(metrics: Mapping[str, MetricInfo]) -> dict[str, MetricValues]:
        return {
            m: MetricValues(m, **{c: named[f"{m}_{c}"] for c in info.contexts})
            for m, info in metrics.items()
        }

    return PostRow(
        post_id=named["post_id"],
        x_post_id=named["x_post_id"],
        url=named["url"],
        account=named["account"],
        created_at=named["created_at"],
        text=named["text"],
        is_reply=named["is_reply"],
        promoted=named["promoted"],
        deleted=named["deleted"],
        metrics=values(POST_METRICS),
        video=values(MEDIA_METRICS),
        media_keys=tuple(named["media_keys"].split()),
        video_counted_on=tuple(int(x_id) for x_id in named["video_counted_on"].split()),
    )


def top_posts(*, scope: Scope, sort: PostSort, limit: int) -> tuple[list[PostRow], int]:
    """The first `limit` Posts in scope by `sort`, and how many Posts the scope has.

    A Post belongs to one account, so the first Posts of the scope are among the first Posts
    of each account: each account's ranking is cached under its sync state, and a page reads
    again only the accounts that synced since. Then every metric of the `limit` first Posts.
    """
    rankings = _account_rankings(scope, sort, limit)
    entries = sorted(
        (entry for ranking, _ in rankings.values() for entry in ranking), key=_rank_order
    )
    ids = [post_id for post_id, _ in entries[:limit]]
    if not ids:
        return [], 0
    values = _post_values(scope, ids).values_list(*POST_VALUES)
    by_id = {row.post_id: row for row in map(post_row, _flat_rows(scope, list(values)))}
    return [by_id[i] for i in ids], sum(count for _, count in rankings.values())


def _rank_order(entry: tuple[int, object]) -> tuple:
    """Largest first, unreported last, newest Post first among equals."""
    post_id, rank = entry
    if isinstance(rank, datetime):
        rank = rank.timestamp()
    return (rank is None, -(rank or 0), -post_id)


def _account_rankings(scope: Scope, sort: PostSort, limit: int) -> dict[int, tuple[list, int]]:
    """Per account: its first `limit` (post id, rank) pairs and its number of Posts in scope."""
    activity = scope.mode == PeriodMode.ACTIVITY

    def compute(part: Scope) -> dict[int, tuple[list, int]]:
        ranked = (_rank_activity if activity else _rank_created)(part, sort)
        order = [F("rank").desc(nulls_last=True), F("post_id").desc()]
        return _first_per_account(ranked, order, limit, ("post_id", "rank"))

    parts = (scope.mode, scope.period.start, scope.period.end, sort, limit)
    final = activity and scope.period.end <= final_until(scope.team)
    return _per_account(scope, "top-posts", parts, compute, empty=([], 0), final=final)


def _first_per_account(
    rows: QuerySet, order: list, limit: int, fields: tuple | None = None
) -> dict[int, tuple[list, int]]:
    """{account id: (its first `limit` rows by `order`, its row count)}: each row is the tuple
    of `fields` (a single value for one field), or the whole row as a dict."""
    window = {"partition_by": [F("account_id")]}
    ranked = rows.annotate(
        position=Window(RowNumber(), order_by=order, **window),
        in_account=Window(Count("*"), **window),
    ).filter(position__lte=limit)
    out: dict[int, tuple[list, int]] = {}
    if fields is None:
        for row in ranked:
            first, _ = out.get(row["account_id"], ([], 0))
            first.append(row)
            out[row["account_id"]] = (first, row["in_account"])
        return out
    for account_id, in_account, *values in ranked.values_list("account_id", "in_account", *fields):
        first, _ = out.get(account_id, ([], 0))
        first.append(values[0] if len(values) == 1 else tuple(values))
        out[account_id] = (first, in_account)
    return out


def _rank_activity(scope: Scope, sort: PostSort) -> QuerySet:
    """(account, Post, rank) for every Post with activity in the period."""
    rows = _daily_rows_in_scope(scope).filter(
        day__gte=scope.period.start, day__lte=scope.period.end
    )
    if sort.metric == "created_at":
        return rows.values("account_id", "post_id").annotate(rank=Max("post__created_at"))
    rows = rows.filter(context__in=sort.contexts())
    if sort.metric == "engagement_rate":
        rank = Cast(Sum("engagements_gain"), FloatField()) / NullIf(
            Sum("impression_count_gain"), Value(0)
        )
    elif sort.context == "after_30":
        rank = after_30_gains(f"{sort.metric}_gain")
    else:
        rank = Sum(f"{sort.metric}_gain")
    return rows.values("account_id", "post_id").annotate(rank=rank)


def _rank_created(scope: Scope, sort: PostSort) -> QuerySet:
    """(account, Post, rank) for every Post created in the period."""
    posts = Post.objects.filter(_created_in(scope, scope.period)).annotate(post_id=F("pk"))
    if sort.metric == "created_at":
        return posts.annotate(rank=F("created_at")).values("account_id", "post_id", "rank")
    posts = posts.annotate(**_latest_joins(sort.contexts()))
    if sort.metric == "engagement_rate":
        rank = Cast("latest_non_public__engagements", FloatField()) / NullIf(
            "latest_non_public__impression_count", Value(0)
        )
    elif sort.context == "after_30":
        rank = after_30_of_totals(*(F(f"latest_{c}__{sort.metric}") for c in UNSPLIT_CONTEXTS))
    else:
        rank = F(f"latest_{sort.contexts()[0]}__{sort.metric}")
    return posts.annotate(rank=rank).values("account_id", "post_id", "rank")


def _flat_rows(scope: Scope, chunk: list[tuple]) -> list[tuple]:
    """Flat rows (POST_TABLE_COLUMNS) from POST_VALUES rows: one more query per chunk, for the
    videos of the Posts that carry media."""
    if not chunk:
        return []
    media_keys, video, counted_on = _post_media(
        scope, [values[0] for values in chunk if values[-1]]
    )
    no_video = (None,) * len(VIDEO_METRIC_COLUMNS)
    tz = scope.tz
    rows = []
    for values in chunk:
        pk, x_post_id, username, created_at, text, is_reply, promoted, deleted_at = values[:8]
        rows.append(
            (
                pk, x_post_id, post_url(username, x_post_id), username,
                created_at.astimezone(tz), text, is_reply, promoted, deleted_at is not None,
                values[-2], *values[8:-2], media_keys.get(pk, ""), *video.get(pk, no_video),
                counted_on.get(pk, ""),
            )
        )  # fmt: skip
    return rows


def _video_values(sums: ContextSums) -> dict[str, MetricValues]:
    out = {}
    for m, info in MEDIA_METRICS.items():
        by_context = {c: sums.get(c, {}).get(m) for c in CONTEXTS}
        out[m] = MetricValues(m, **by_context, after_30=_parts(info, sums).after_30)
    return out


_VIDEO_COLUMN_PARTS = tuple((m, c) for m, info in MEDIA_METRICS.items() for c in info.contexts)


def _in_table(scope: Scope) -> Q:
    """The Posts of `post_table` (for `Post` rows): the scope's Posts with a daily row in the
    period (activity) or created in it."""
    if scope.mode == PeriodMode.ACTIVITY:
        in_period = PostDaily.objects.filter(
            post_id=OuterRef("pk"), day__gte=scope.period.start, day__lte=scope.period.end
        )
        return Q(account_id__in=scope.account_ids) & Q(Exists(in_period))
    return _created_in(scope, scope.period)


def _first_carrier(scope: Scope, field: str) -> Subquery:
    """`field` of the medium's first carrier in the table (the earliest created), for rows
    that have a `media_id`."""
    carriers = PostMedia.objects.filter(
        media_id=OuterRef("media_id"), post__in=Post.objects.filter(_in_table(scope))
    ).order_by("post__created_at", "post_id")
    return Subquery(carriers.values(field)[:1])


def _post_media(
    scope: Scope, post_ids: Sequence[int]
) -> tuple[dict[int, str], dict[int, tuple], dict[int, str]]:
    """Per Post: its media keys (space-separated); the metrics of the videos it is the first
    carrier of in the table, summed when several, as a tuple in VIDEO_METRIC_COLUMNS order;
    and, per video it carries, the X id of the Post that counts it (`PostRow.video_counted_on`).
    """
    if not post_ids:
        return {}, {}, {}
    activity = scope.mode == PeriodMode.ACTIVITY
    if activity:
        relation = FilteredRelation(
            "media__daily",
            condition=Q(
                media__daily__day__gte=scope.period.start, media__daily__day__lte=scope.period.end
            ),
        )
        suffix = "_gain"
    else:
        relation, suffix = FilteredRelation("media__latest"), ""
    sums = {
        f"{m}_{c}": Sum(f"metrics__{m}{suffix}", filter=Q(metrics__context=c))
        for m, c in _reported(MEDIA_METRICS)
    }
    if activity:
        sums |= {
            f"{m}_after_30": after_30_gains(f"{m}_gain", "metrics__")
            for m, c in _VIDEO_COLUMN_PARTS
            if c == "after_30"
        }
    rows = (
        PostMedia.objects.filter(post_id__in=post_ids)
        .annotate(
            metrics=relation,
            first_post=_first_carrier(scope, "post_id"),
            first_x_id=_first_carrier(scope, "post__x_post_id"),
        )
        .values("post_id", "media__media_key", "media__type", "first_post", "first_x_id")
        .annotate(**sums)
        .order_by("post_id", "media__media_key")
    )
    keys: dict[int, list[str]] = defaultdict(list)
    counted_on: dict[int, list[str]] = defaultdict(list)
    by_post: dict[int, dict[str, int | None]] = defaultdict(dict)
    for row in rows:
        post_id = row["post_id"]
        keys[post_id].append(row["media__media_key"])
        if row["media__type"] not in VIDEO_TYPES or row["first_post"] is None:
            continue
        counted_on[post_id].append(str(row["first_x_id"]))
        summed = by_post[post_id]
        if row["first_post"] != post_id:
            continue  # counted on its first carrier's row
        for column in sums:
            summed[column] = _add(summed.get(column), row[column])
    video = {
        post_id: tuple(
            after_30_value(s.get(f"{m}_public"), s.get(f"{m}_organic"), s.get(f"{m}_promoted"))
            if c == "after_30" and not activity
            else s.get(f"{m}_{c}")
            for m, c in _VIDEO_COLUMN_PARTS
        )
        for post_id, s in by_post.items()
    }
    return (
        {post_id: " ".join(k) for post_id, k in keys.items()},
        video,
        {post_id: " ".join(ids) for post_id, ids in counted_on.items()},
    )


# --- Videos ----------------------------------------------------------------------------------

VIDEO_SORTS = {
    "views": "Views",
    "starts": "Starts",
    "completion": "Completion rate",
}


def _video_base(scope: Scope) -> QuerySet:
    if scope.mode == PeriodMode.ACTIVITY:
        rows = MediaDaily.objects.filter(
            account_id__in=scope.account_ids,
            day__gte=scope.period.start,
            day__lte=scope.period.end,
            media__type__in=VIDEO_TYPES,
        )
        sums = {
            f"{m}_{c}": Sum(f"{m}_gain", filter=Q(context=c)) for m, c in _reported(MEDIA_METRICS)
        }
        late = {f"{m}_after_30": after_30_gains(f"{m}_gain") for m in VIDEO_AFTER_30}
        return rows.values("account_id", "media_id").annotate(**sums, **late)
    videos = Media.objects.filter(
        pk__in=_media_carried_by_posts_created_in(scope, scope.period), type__in=VIDEO_TYPES
    )
    return _with_latest_video_values(videos).values("account_id", "media_id", *VIDEO_LATEST)


VIDEO_AFTER_30 = tuple(m for m, info in MEDIA_METRICS.items() if "after_30" in info.contexts)
VIDEO_LATEST = (*MEDIA_LATEST, *(f"{m}_after_30" for m in VIDEO_AFTER_30))


def _with_latest_video_values(media: QuerySet) -> QuerySet:
    """Videos with their latest values (MEDIA_LATEST) and their after-30 parts."""
    return _with_latest_media_values(media).annotate(
        **{
            f"{m}_after_30": after_30_of_totals(*(F(f"{m}_{c}") for c in UNSPLIT_CONTEXTS))
            for m in VIDEO_AFTER_30
        }
    )


VIDEO_SORT_COLUMNS = {
    "views": "view_count_public",
    "starts": "playback_0_count_non_public",
    "completion": "sort_completion",
}


def _video_ordering(sort: str) -> list:
    column = VIDEO_SORT_COLUMNS.get(sort, VIDEO_SORT_COLUMNS["views"])
    return [F(column).desc(nulls_last=True), F("media_id").desc()]


def _sortable_videos(scope: Scope) -> QuerySet:
    return _video_base(scope).annotate(
        sort_completion=Cast("playback_100_count_non_public", FloatField())
        / NullIf("playback_0_count_non_public", Value(0))
    )


def video_rows(*, scope: Scope, sort: str = "views", chunk_size: int = 2000) -> Iterator[VideoRow]:
    """Each video in scope once (by media key), with the Posts that carry it, in chunks."""
    ordered = _sortable_videos(scope).order_by(*_video_ordering(sort))
    iterator = ordered.iterator(chunk_size=chunk_size)
    while chunk := list(islice(iterator, chunk_size)):
        yield from _video_rows_for(scope, chunk)


def top_videos(*, scope: Scope, sort: str, limit: int) -> tuple[list[VideoRow], int]:
    """The first `limit` videos in scope by `sort`, and how many videos the scope has: each
    account's first videos are cached under its sync state, then merged."""
    column = VIDEO_SORT_COLUMNS.get(sort, VIDEO_SORT_COLUMNS["views"])

    def compute(part: Scope) -> dict:
        return _first_per_account(_sortable_videos(part), _video_ordering(sort), limit)

    parts = (scope.mode, scope.period.start, scope.period.end, sort, limit)
    per_account = _per_account(scope, "top-videos", parts, compute, empty=([], 0))
    first = sorted(
        (row for rows, _ in per_account.values() for row in rows),
        key=lambda row: _rank_order((row["media_id"], row[column])),
    )[:limit]
    return list(_video_rows_for(scope, first)), sum(n for _, n in per_account.values())


def _video_rows_for(scope: Scope, chunk: list[dict]) -> Iterator[VideoRow]:
    if not chunk:
        return
    ids = [values["media_id"] for values in chunk]
    media = {
        m[0]: m
        for m in Media.objects.filter(pk__in=ids).values_list(
            "pk", "media_key", "account__username", "type", "duration_ms", "preview_image_url"
        )
    }
    posts: dict[int, list[PostRef]] = defaultdict(list)
    for media_id, post_id, x_post_id, username, text in (
        PostMedia.objects.filter(media_id__in=ids)
        .order_by("media_id", "post__created_at")
        .values_list(
            "media_id", "post_id", "post__x_post_id", "post__account__username", "post__text"
        )
    ):
        url = post_url(username, x_post_id)
        posts[media_id].append(PostRef(post_id, x_post_id, url, text))
    for values in chunk:
        pk, key, username, kind, duration_ms, preview = media[values["media_id"]]
        sums: ContextSums = defaultdict(dict)
        for m, c in _reported(MEDIA_METRICS):
            sums[c][m] = values[f"{m}_{c}"]
        for m in VIDEO_AFTER_30:
            sums[AFTER_30][m] = values[f"{m}_after_30"]
        yield VideoRow(
            media_id=pk,
            media_key=key,
            account=username,
            type=kind,
            duration_ms=duration_ms,
            preview_image_url=preview,
            metrics=_video_values(sums),
            posts=tuple(posts.get(pk, ())),
        )


# --- Snapshots -------------------------------------------------------------------------------


def snapshot_table(
    *,
    scope: Scope,
    post_id: int | None = None,
    kinds: tuple[str, ...] = ("post", "media"),
    chunk_size: int = 5000,
) -> Iterator[list[tuple]]:
    """Every stored snapshot captured in the period, Posts first then media, by time, as
    chunks of flat rows, read with a server-side cursor. A row's columns, in the snapshots
    CSV's order: captured_at, account, object_type, object_id, context, *POST_COUNTS,
    *MEDIA_COUNTS (None where the object has no such count)."""
    start, end = scope.bounds()
    tz = scope.tz
    no_post, no_media = (None,) * len(POST_COUNTS), (None,) * len(MEDIA_COUNTS)
    if "post" in kinds:
        snapshots = PostSnapshot.objects.filter(
            post__account_id__in=scope.account_ids, captured_at__gte=start, captured_at__lt=end
        )
        if post_id is not None:
            snapshots = snapshots.filter(post_id=post_id)
        fields = ("captured_at", "post__account__username", "post__x_post_id", "context")
        rows = (
            snapshots.order_by("captured_at", "post_id", "context")
            .values_list(*fields, *POST_COUNTS)
            .iterator(chunk_size=chunk_size)
        )
        while chunk := list(islice(rows, chunk_size)):
            yield [
                (r[0].astimezone(tz), r[1], "post", str(r[2]), r[3], *r[4:], *no_media)
                for r in chunk
            ]
    if "media" in kinds:
        snapshots = MediaSnapshot.objects.filter(
            media__account_id__in=scope.account_ids, captured_at__gte=start, captured_at__lt=end
        )
        if post_id is not None:
            snapshots = snapshots.filter(media__postmedia__post_id=post_id)
        fields = ("captured_at", "media__account__username", "media__media_key", "context")
        rows = (
            snapshots.order_by("captured_at", "media_id", "context")
            .values_list(*fields, *MEDIA_COUNTS)
            .iterator(chunk_size=chunk_size)
        )
        while chunk := list(islice(rows, chunk_size)):
            yield [
                (r[0].astimezone(tz), r[1], "media", r[2], r[3], *no_post, *r[4:]) for r in chunk
            ]


def snapshot_rows(
    *, scope: Scope, post_id: int | None = None, kinds: tuple[str, ...] = ("post", "media")
) -> Iterator[SnapshotRow]:
    """`snapshot_table` as typed rows."""
    counts = (*POST_COUNTS, *MEDIA_COUNTS)
    for chunk in snapshot_table(scope=scope, post_id=post_id, kinds=kinds):
        for r in chunk:
            names = POST_COUNTS if r[2] == "post" else MEDIA_COUNTS
            values = dict(zip(counts, r[5:], strict=True))
            yield SnapshotRow(r[0], r[1], r[2], r[3], r[4], {n: values[n] for n in names})


# --- Freshness and sync progress -------------------------------------------------------------


def team_accounts(*, team: Team, account_ids: Sequence[int] | None = None) -> list[XAccount]:
    """The team's X accounts by username, each with its running sync's progress (one query).

    A run still "running" after RUNNING_AT_MOST died with its worker: it shows no progress.
    """
    running = SyncRun.objects.filter(
        account=OuterRef("pk"),
        outcome=SyncRun.Outcome.RUNNING,
        started_at__gte=timezone.now() - RUNNING_AT_MOST,
    ).order_by("-started_at")
    accounts = XAccount.objects.filter(team=team)
    if account_ids is not None:
        accounts = accounts.filter(pk__in=account_ids)
    return list(
        accounts.annotate(
            running_pages_done=Subquery(running.values("pages_done")[:1]),
            running_pages_planned=Subquery(running.values("pages_planned")[:1]),
        ).order_by("username")
    )


def account_state(account: XAccount) -> AccountState:
    """An account from `team_accounts`: how fresh its data is and what its sync is doing."""
    done = getattr(account, "running_pages_done", None)
    return AccountState(
        account_id=account.pk,
        username=account.username,
        status=account.status,
        last_synced_at=account.last_synced_at,
        next_sync_at=account.next_sync_at,
        deferral_reason=account.deferral_reason,
        running=done is not None and bool(account.sync_claim),
        pages_done=done or 0,
        pages_planned=getattr(account, "running_pages_planned", None) or 0,
    )


def scope_freshness(*, scope: Scope) -> Freshness:
    """As fresh as the least recently synced account in scope (no query)."""
    states = tuple(account_state(a) for a in scope.accounts)
    synced = [s.last_synced_at for s in states if s.last_synced_at is not None]
    return Freshness(updated_at=min(synced) if synced else None, accounts=states)


# --- One Post --------------------------------------------------------------------------------


def post_for_team(*, team: Team, post_id: int) -> Post:
    """The team's Post, or Post.DoesNotExist (another team's Post does not exist for it)."""
    return Post.objects.select_related("account").get(pk=post_id, account__team=team)


def post_scope(*, team: Team, post: Post) -> Scope:
    """One Post's lifetime, from the team day it was created on to today: what its page shows
    and its downloads hold."""
    today = team_today(team)
    created_on = post.created_at.astimezone(team.tzinfo).date()
    return Scope(team, (post.account,), Period(min(created_on, today), today), PeriodMode.CREATED)


def post_detail(*, team: Team, post: Post) -> PostDetail:
    """Everything the Post page shows: its totals in every context, its growth since posting,
    its videos' funnels, and whether its private metrics froze at day 30 (six queries)."""
    tz = team.tzinfo
    scope = post_scope(team=team, post=post)
    observed = {f"observed_{c}": F(f"latest_{c}__observed_at") for c in CONTEXTS}
    (values,) = (
        _post_values(None, [post.pk]).annotate(**observed).values_list(*POST_VALUES, *observed)
    )
    values, seen = values[: -len(observed)], [v for v in values[-len(observed) :] if v]
    (row,) = map(post_row, _flat_rows(scope, [values]))
    videos = Media.objects.filter(postmedia__post=post, type__in=VIDEO_TYPES)
    media = tuple(_video_rows_for(scope, list(_video_lifetime_values(videos))))
    return PostDetail(
        row=row,
        media=media,
        growth=tuple(_growth(post, scope)),
        private_metrics_until=post.private_metrics_until.astimezone(tz),
        frozen=timezone.now() >= post.private_metrics_until,
        observed_at=max(seen) if seen else None,
        split_reported=row.metrics["impression_count"].organic is not None,
    )


def _video_lifetime_values(media: QuerySet) -> QuerySet:
    return _with_latest_video_values(media).values("media_id", *VIDEO_LATEST).order_by("media_id")


def _growth(post: Post, scope: Scope) -> Iterator[GrowthPoint]:
    """Cumulative values per day since posting. Organic and promoted stop where X stopped
    reporting them (day 30); the public growth after that is `after_30`. A day with nothing
    known is a gap (None); a day whose value rests on a split is marked estimated."""
    froze_on = post.private_metrics_until.astimezone(scope.tz).date()
    rows: dict[date, dict[str, dict]] = defaultdict(dict)
    names = DAILY_CHART_METRICS
    for values in PostDaily.objects.filter(post=post).values(
        "day", "context", "after_day_30", *names, *(f"{m}_gain" for m in names),
        *(f"{m}_estimated" for m in names),
    ):  # fmt: skip
        rows[values["day"]][values["context"]] = values
    coverage = scope_coverage(scope=scope, period=scope.period)
    last: dict[tuple[str, str], int] = {}
    late: dict[str, int] = {}
    for day in scope.period.days():
        estimated = set()
        for context, values in rows.get(day, {}).items():
            for m in names:
                if values[m] is not None:
                    last[context, m] = values[m]
                if values[f"{m}_estimated"]:
                    estimated.add(m)
                if values["after_day_30"] and context in UNSPLIT_CONTEXTS:  # after_30_gains
                    sign = 1 if context == Context.PUBLIC else -1
                    late[m] = late.get(m, 0) + sign * (values[f"{m}_gain"] or 0)
        gap = coverage.is_gap(post.account_id, day) and day not in rows
        for m in names:
            info = POST_METRICS[m]
            total = last.get((info.total_context, m))
            if gap or (total is None and day not in rows):
                yield GrowthPoint(day, m, None, None, None, None, gap=True)
                continue
            organic = last.get((Context.ORGANIC, m))
            promoted = last.get((Context.PROMOTED, m))
            after_30 = None
            if organic is not None and info.public and day >= froze_on:
                after_30 = late.get(m, 0)
            if day > froze_on:
                organic = promoted = None  # frozen: X no longer reports them
                total = total if info.public else None
            yield GrowthPoint(day, m, organic, promoted, after_30, total, estimated=m in estimated)
