"""Which requests a sync makes: the floor that X's rules allow (docs/DESIGN.md "Spending API
requests").

Pure functions over plain values, so the rules are tested without HTTP or a database.

- A request never mixes Posts that X would answer differently: one private field that a Post
  cannot show drops that Post from the response (docs/x-api.md §1.3). So young Posts (private
  metrics) and old Posts (public only) travel in separate batches, and promoted metrics are
  asked only for Posts known to be promoted (non-public totals above organic ones).
- Each group costs ceil(n / 100) requests and nothing is asked whose answer is known.
- The freshest Posts change fastest and are refreshed most often.

A sync first reads the timeline (new Posts, or on a first sync every Post X still serves);
X's answer also tells its clock, by which the 30-day line is drawn. Then `plan_lookups` decides
the id batches, and `promoted_batches` follows once the young batches have said which Posts
are promoted.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from xapi import MAX_IDS_PER_LOOKUP, MetricGroup

PRIVATE_WINDOW = timedelta(days=30)
# Posts this close to day 30 are treated as old, so none crosses the line between the plan and
# X's answer (which would drop it from a private batch).
PRIVATE_WINDOW_MARGIN = timedelta(minutes=10)

PRIVATE = MetricGroup.PUBLIC | MetricGroup.NON_PUBLIC | MetricGroup.ORGANIC
PROMOTED = MetricGroup.PROMOTED
PUBLIC = MetricGroup.PUBLIC


@dataclass(frozen=True)
class Cadence:
    """How often a Post is refreshed, by age."""

    fresh_for: timedelta = timedelta(hours=48)
    fresh_every: timedelta = timedelta(minutes=15)
    young_every: timedelta = timedelta(hours=1)
    old_every: timedelta = timedelta(days=1)
    # A Post due a little after this sync would otherwise wait a whole interval more.
    slack: timedelta = timedelta(minutes=2)

    def private_interval(self, age: timedelta) -> timedelta:
        return self.fresh_every if age < self.fresh_for else self.young_every


@dataclass(frozen=True)
class PostState:
    """What the planner needs to know of a stored Post."""

    x_post_id: int
    created_at: datetime
    public_refreshed_at: datetime | None
    private_refreshed_at: datetime | None
    last_read_on: date | None


@dataclass(frozen=True)
class LookupBatch:
    group: str  # "young" | "promoted" | "old" | "edits"
    metrics: MetricGroup
    ids: tuple[str, ...]
    # The Post reads X can bill for it at most (those not read yet today); None: unknown.
    billed_at_most: int | None = None


@dataclass
class LookupPlan:
    batches: list[LookupBatch] = field(default_factory=list)
    skipped_for_budget: int = 0


def private_cutoff(now: datetime) -> datetime:
    """Posts created after this instant get private metrics."""
    return now - PRIVATE_WINDOW + PRIVATE_WINDOW_MARGIN


def batches(
    group: str, metrics: MetricGroup, ids: Iterable[int], *, billed: set[int] | None = None
) -> list[LookupBatch]:
    """ceil(n / 100) batches, newest Posts first. `billed`: the ids X would bill today."""
    ordered = sorted(set(ids), reverse=True)
    chunks = [
        ordered[i : i + MAX_IDS_PER_LOOKUP] for i in range(0, len(ordered), MAX_IDS_PER_LOOKUP)
    ]
    return [
        LookupBatch(
            group,
            metrics,
            tuple(str(x) for x in chunk),
            None if billed is None else sum(1 for x in chunk if x in billed),
        )
        for chunk in chunks
    ]


def _is_due(last: datetime | None, every: timedelta, now: datetime, cadence: Cadence) -> bool:
    return last is None or now - last >= every - cadence.slack


def plan_lookups(
    *,
    posts: Sequence[PostState],
    now: datetime,
    fresh_ids: set[int],
    reads_left_today: int,
    billing_day: date,
    cadence: Cadence = Cadence(),
) -> LookupPlan:
    """The id batches of one sync, after its timeline pages (`fresh_ids` came with them).

    `reads_left_today` is what is left of today's share of the team's monthly X budget, in
    billed Post reads (metrics.spend). X bills a Post once per UTC day, so a Post already read
    today costs nothing more. When the share runs short, young Posts' private metrics come
    first, newest first (they change fastest, and freeze at day 30); old Posts get what is
    left, the longest unread first, so that on short days they take turns instead of the same
    newest ones being read every day.
    """
    cutoff = private_cutoff(now)
    waiting = [p for p in posts if p.x_post_id not in fresh_ids]
    young = [
        p
        for p in waiting
        if p.created_at > cutoff
        and _is_due(
            p.private_refreshed_at, cadence.private_interval(now - p.created_at), now, cadence
        )
    ]
    old = [
        p
        for p in waiting
        if p.created_at <= cutoff
        and _is_due(p.public_refreshed_at, cadence.old_every, now, cadence)
    ]
    newest_first = sorted(young, key=lambda p: p.x_post_id, reverse=True)
    young_kept, budget = _within_budget(newest_first, reads_left_today, billing_day)
    longest_unread_first = sorted(
        old, key=lambda p: (p.public_refreshed_at is not None, p.public_refreshed_at or now)
    )
    old_kept, _ = _within_budget(longest_unread_first, budget, billing_day)
    plan = LookupPlan(skipped_for_budget=len(young) + len(old) - len(young_kept) - len(old_kept))
    billed = {p.x_post_id for p in (*young_kept, *old_kept) if p.last_read_on != billing_day}
    plan.batches += batches("young", PRIVATE, (p.x_post_id for p in young_kept), billed=billed)
    plan.batches += batches("old", PUBLIC, (p.x_post_id for p in old_kept), billed=billed)
    return plan


def _within_budget(
    posts: Sequence[PostState], budget: int, billing_day: date
) -> tuple[list[PostState], int]:
    """The Posts, in their order, whose billed reads fit in `budget`, and what is left of it."""
    kept = []
    for p in posts:
        cost = 0 if p.last_read_on == billing_day else 1
        if cost <= budget:
            kept.append(p)
            budget -= cost
    return kept, budget


def promoted_batches(promoted_ids: Iterable[int]) -> list[LookupBatch]:
    """Promoted metrics, only for Posts whose non-public totals exceed their organic ones."""
    return batches("promoted", PROMOTED, promoted_ids)


def is_promoted(
    *, non_public_impressions: int | None, organic_impressions: int | None
) -> bool | None:
    """X keeps non_public = organic + promoted, so a promoted share shows as a difference."""
    if non_public_impressions is None or organic_impressions is None:
        return None
    return non_public_impressions > organic_impressions
