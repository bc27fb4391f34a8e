"""The typed rows that pages chart and CSVs write, and arithmetic that keeps None as
"not reported"."""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from accounts.models import XAccount
from metrics.lifeline import Basis
from metrics.models import Post
from metrics.selectors.catalogue import (
    FUNNEL_STEPS,
    MEDIA_METRICS,
    POST_METRICS,
    MetricInfo,
    Number,
)

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


SUMMARY_REASONS = 4


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
    # Whether X splits it into organic and promoted (not engagements: it reports no split).
    split: bool = True

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
        """The accounts without data, by reason: "deferred: @a, @b" (a count beyond five), the
        most common reasons first, at most SUMMARY_REASONS lines."""
        by_reason: dict[str, list[str]] = defaultdict(list)
        for note in self.missing:
            by_reason[note.reason].append(f"@{note.account}")
        reasons = sorted(by_reason.items(), key=lambda item: -len(item[1]))
        lines = [
            f"{reason}: {', '.join(names) if len(names) <= 5 else f'{len(names)} accounts'}"
            for reason, names in reasons[:SUMMARY_REASONS]
        ]
        if rest := reasons[SUMMARY_REASONS:]:
            accounts = sum(len(names) for _, names in rest)
            lines.append(f"{len(rest)} other reasons: {accounts} accounts")
        return lines


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
    paid_partnership: bool
    promoted: str  # Post.Promoted
    deleted: bool
    edited_into: int | None  # an earlier version of an edited Post: the latest's X id
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
    def edited_url(self) -> str:
        """The latest version's address on X (an earlier version of an edited Post)."""
        if self.edited_into is None:
            return ""
        return self.url.rsplit("/", 1)[0] + f"/{self.edited_into}"

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
    """Each of `part`'s total, organic and promoted as a share of `whole`'s (plays of a video
    as a share of its starts). None where the part exceeds the whole: X may count a video's
    starts short (its own sample has 0 starts and 2 plays past 25 %), and a share above 100 %
    would describe no viewer."""

    def share(count: Number | None, starts: Number | None) -> float | None:
        ratio = _ratio(count, starts)
        return None if ratio is not None and ratio > 1 else ratio

    return Parts(
        share(part.total, whole.total),
        share(part.organic, whole.organic),
        share(part.promoted, whole.promoted),
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
