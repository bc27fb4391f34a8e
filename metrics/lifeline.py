"""A count's life: what X's readings say about the days between them (docs/DESIGN.md "What the
numbers mean").

X's counts are known exactly at each reading and at birth (every count is 0 at `created_at`).
Between two known points the gain is exact; how it falls on the days in between is estimated
with an age curve (a Post earns most of its count in its first hours). Before the first reading
of an object born long before it (past `SPLIT_HORIZON`), its days are unknown: the first
reading gives its lifetime total, nothing about when it was earned.

Everything here is plain values: no database, no Django. `advance` is the one rule the sync and
the test history writer both apply to a new reading.
"""

from __future__ import annotations

import enum
import itertools
import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

Counts = Mapping[str, int | None]

HOUR = 3600.0
# A first reading this soon after birth splits the lifetime over the days since birth. Past it
# the days before the first reading are unknown: an age curve says little about a Post's 40th
# day, and X never reported how the early days went.
SPLIT_HORIZON = timedelta(days=30)


class Basis(enum.StrEnum):
    """How a number is known."""

    OBSERVED = "observed"  # read from X, or a difference of readings (birth counts as one)
    ESTIMATED = "estimated"  # a known total's split over days, by the age curve
    UNKNOWN = "unknown"  # nothing X said determines it


# --- The age curve -----------------------------------------------------------------------------

# Ages (hours) at which a curve is tabulated; between them it is linear.
CURVE_AGES = (0, 1, 2, 4, 6, 9, 12, 18, 24, 36, 48, 72, 96, 120, 168, 240, 336, 504, 720)
REFERENCE_AGE = 168.0  # an account's curve is normalised at 7 days: what dense Posts all reach
MIN_CURVE_POSTS = 20


def _default_share(hours: float) -> float:
    """The sandbox's decay (sandbox/metrics.py `organic_share`): three quarters of the reach in
    the first day (time constant 5 h), the rest over about four days (96 h). X documents no
    decay; this is the shape the sandbox's living data follows, used until an account has
    enough Posts read densely from birth to draw its own."""
    if hours <= 0:
        return 0.0
    return 1.0 - 0.75 * math.exp(-hours / 5) - 0.25 * math.exp(-hours / 96)


@dataclass(frozen=True)
class AgeCurve:
    """The cumulative share of a count earned by each age, tabulated at `CURVE_AGES`.

    Only ratios of its increments are used (to split a gain), so its scale does not matter.
    Beyond the last age it grows linearly, so a gain between two readings of an old Post is
    split in proportion to time.
    """

    shares: tuple[float, ...]
    source: str  # "default" or "account: N Posts read from birth"

    def __post_init__(self):
        if len(self.shares) != len(CURVE_AGES):
            raise ValueError("a curve has one share per tabulated age")

    def at(self, hours: float) -> float:
        if hours <= 0:
            return 0.0
        ages, shares = CURVE_AGES, self.shares
        for n in range(1, len(ages)):
            if hours <= ages[n]:
                a0, a1 = ages[n - 1], ages[n]
                return shares[n - 1] + (shares[n] - shares[n - 1]) * (hours - a0) / (a1 - a0)
        slope = (shares[-1] - shares[-2]) / (ages[-1] - ages[-2])
        # A floor on the tail's slope: a flat tail would leave old Posts' gains nowhere to go.
        slope = max(slope, shares[-1] * 1e-4 / 24)
        return shares[-1] + slope * (hours - ages[-1])

    @property
    def is_default(self) -> bool:
        return self.source == "default"


DEFAULT_CURVE = AgeCurve(tuple(_default_share(a) for a in CURVE_AGES), "default")


def curve_from_histories(
    histories: Iterable[Sequence[tuple[float, int]]], *, minimum: int = MIN_CURVE_POSTS
) -> AgeCurve:
    """The account's own curve: the median share of its 7-day count reached at each age, over
    its Posts read densely from birth (first reading within an hour, readings no further apart
    than a quarter of the age they bracket, and one at 7 days or later). Each history is the
    Post's (age in hours, count) readings in time order. With fewer than `minimum` such Posts,
    the default curve. Past 7 days the curve follows the default's shape."""
    by_age: list[list[float]] = [[] for _ in CURVE_AGES]
    used = 0
    for history in histories:
        shares = _dense_shares(history)
        if shares is None:
            continue
        used += 1
        for n, share in enumerate(shares):
            by_age[n].append(share)
    if used < minimum:
        return DEFAULT_CURVE
    reference = _default_share(REFERENCE_AGE)
    medians: list[float] = []
    for n, age in enumerate(CURVE_AGES):
        if age <= REFERENCE_AGE:
            value = statistics.median(by_age[n])
        else:
            value = _default_share(age) / reference  # the default's shape past 7 days
        medians.append(max(value, medians[-1] if medians else 0.0))  # never decreasing
    return AgeCurve(tuple(medians), f"account: {used} Posts read from birth")


def _dense_shares(history: Sequence[tuple[float, int]]) -> list[float] | None:
    points = [(0.0, 0), *((age, value) for age, value in history if age > 0)]
    if len(points) < 3 or points[1][0] > 1.0 or points[-1][0] < REFERENCE_AGE:
        return None
    total = _interpolate(points, REFERENCE_AGE)
    if total is None or total <= 0:
        return None
    shares = []
    for age in CURVE_AGES:
        if age > REFERENCE_AGE:
            shares.append(0.0)  # not used: past 7 days the default's shape is
            continue
        value = _interpolate(points, age)
        if value is None:
            return None
        shares.append(value / total)
    return shares


def _interpolate(points: Sequence[tuple[float, int]], age: float) -> float | None:
    """The count at `age` between the readings that bracket it, when they are close enough."""
    for (a0, v0), (a1, v1) in itertools.pairwise(points):
        if a0 <= age <= a1:
            if a1 - a0 > max(1.0, age / 4):
                return None  # too far apart to say how the count grew between them
            return v0 if a1 == a0 else v0 + (v1 - v0) * (age - a0) / (a1 - a0)
    return None


# --- Splitting a known gain over days -----------------------------------------------------------


def day_start(day: date, tz: tzinfo) -> datetime:
    """The instant a day of the team's time zone begins."""
    return datetime.combine(day, time.min, tzinfo=tz)


def day_weights(
    start: datetime, end: datetime, *, born: datetime, tz: tzinfo, curve: AgeCurve
) -> list[tuple[date, float]]:
    """Each team day from `start`'s to `end`'s, with the share of a gain between the two
    instants that the curve puts on it (the shares add up to 1)."""
    first, last = start.astimezone(tz).date(), end.astimezone(tz).date()
    edges = [start]
    day = first
    while day < last:
        day += timedelta(days=1)
        edges.append(day_start(day, tz))
    edges.append(end)

    # In UTC: Python subtracts two times of one zone by the wall clock, across DST changes too.
    edges = [edge.astimezone(UTC) for edge in edges]
    born = born.astimezone(UTC)

    def age(instant: datetime) -> float:
        return (instant - born).total_seconds() / HOUR

    pairs = list(itertools.pairwise(edges))
    raw = [curve.at(age(b)) - curve.at(age(a)) for a, b in pairs]
    total = sum(raw)
    if total <= 0:  # a flat curve: in proportion to time
        raw = [(b - a).total_seconds() for a, b in pairs]
        total = sum(raw)
        if total <= 0:  # two readings at one instant: all of it on the last day
            raw, total = [0.0] * (len(raw) - 1) + [1.0], 1.0
    days = [first + timedelta(days=n) for n in range(len(raw))]
    return list(zip(days, (w / total for w in raw), strict=True))


def allocate(gain: int, weights: Sequence[float]) -> list[int]:
    """Whole numbers in proportion to `weights` that add up to `gain` exactly (each day gets the
    rounded cumulative share minus what the days before it got)."""
    out, given, cumulative = [], 0, 0.0
    for n, weight in enumerate(weights):
        cumulative += weight
        target = gain if n == len(weights) - 1 else math.floor(gain * cumulative + 0.5)
        out.append(target - given)
        given = target
    return out


# --- One reading after another ----------------------------------------------------------------


@dataclass(frozen=True)
class LatestReading:
    """The latest reading of one object in one context, and what its day is known to hold.

    `start`: the count when its day began (None when unknown: first read past the horizon).
    `estimated`: how much of the day's gain so far is an estimated split (the rest is exact).
    """

    observed_at: datetime
    day: date
    counts: Counts
    start: Counts | None
    estimated: Counts | None

    def to_json(self) -> dict:
        return {"start": self.start, "estimated": self.estimated}


@dataclass(frozen=True)
class DayValues:
    """One object's day in one context: the count at the day's end (or at the latest reading,
    today), the day's gain and how much of that gain is estimated. None: unknown."""

    day: date
    counts: dict[str, int | None]
    gains: dict[str, int | None]
    estimated: dict[str, int | None]

    def basis(self, name: str) -> Basis:
        if self.gains[name] is None:
            return Basis.UNKNOWN
        return Basis.ESTIMATED if self.estimated[name] else Basis.OBSERVED


def _minus(a: int | None, b: int | None) -> int | None:
    return None if a is None or b is None else a - b


def _plus(a: int | None, b: int | None) -> int | None:
    return None if a is None or b is None else a + b


def advance(
    previous: LatestReading | None,
    counts: Counts,
    *,
    observed_at: datetime,
    born: datetime | None,
    tz: tzinfo,
    curve: AgeCurve,
    names: Sequence[str],
) -> tuple[LatestReading, list[DayValues]]:
    """Apply a new reading: the new latest reading, and the days it changes (oldest first).

    From the previous known point (the previous reading, or birth when this is the first
    reading within `SPLIT_HORIZON` of it) the gain is exact; its split over the days from that
    point's to this reading's is estimated with `curve`. The previous point's day keeps what it
    had and gains its share; days in between get theirs; today starts from the count at
    midnight that the split implies.
    """
    day = observed_at.astimezone(tz).date()
    counts = {n: counts.get(n) for n in names}
    if previous is not None:
        # A count X left out of this answer was not read: its last known value stands (a gap
        # in one answer must not make the rest of its life unknown).
        counts = {n: previous.counts.get(n) if v is None else v for n, v in counts.items()}
    if previous is None:
        if born is None or not (timedelta(0) <= observed_at - born <= SPLIT_HORIZON):
            # First read long after birth: the lifetime is known, its days are not.
            latest = LatestReading(observed_at, day, counts, None, None)
            unknown = dict.fromkeys(names)
            return latest, [DayValues(day, dict(counts), dict(unknown), dict(unknown))]
        zeros = dict.fromkeys(names, 0)
        previous = LatestReading(born, born.astimezone(tz).date(), zeros, zeros, zeros)

    if previous.day == day:
        start, estimated = previous.start, previous.estimated
        gains = {n: _minus(counts[n], start[n]) if start else None for n in names}
        est = {n: estimated[n] if estimated and gains[n] is not None else None for n in names}
        latest = LatestReading(observed_at, day, counts, start, estimated)
        return latest, [DayValues(day, counts, gains, est)]

    weights = day_weights(
        previous.observed_at, observed_at, born=born or previous.observed_at, tz=tz, curve=curve
    )
    shares: dict[str, list[int | None]] = {}
    for n in names:
        gain = _minus(counts[n], previous.counts.get(n))
        shares[n] = (
            [None] * len(weights) if gain is None else allocate(gain, [w for _, w in weights])
        )
    days: list[DayValues] = []
    running = dict(previous.counts)
    for k, (each_day, _) in enumerate(weights):
        share = {n: shares[n][k] for n in names}
        if k == 0:  # the previous point's day: what it had, plus its share
            start = previous.start
            base_gain = {
                n: _minus(previous.counts.get(n), start.get(n)) if start else None for n in names
            }
            base_est = previous.estimated or {}
            gains = {n: _plus(base_gain[n], share[n]) for n in names}
            est = {
                n: _plus(base_est.get(n), share[n]) if gains[n] is not None else None for n in names
            }
        else:
            gains = dict(share)
            est = dict(share)
        running = {n: _plus(running.get(n), share[n]) for n in names}
        if k == len(weights) - 1:
            running = dict(counts)  # exactly the reading, whatever rounding did
        days.append(DayValues(each_day, dict(running), gains, est))
    today = days[-1]
    start_today = {n: _minus(counts[n], today.gains[n]) for n in names}
    latest = LatestReading(observed_at, day, counts, start_today, dict(today.estimated))
    return latest, days


def held_before(previous: LatestReading | None, names: Sequence[str]) -> DayValues | None:
    """What the previous reading's day held before a new reading changes it (None: no row, as
    before a first reading), so that a sum over days can move by the difference."""
    if previous is None:
        return None
    start, estimated = previous.start, previous.estimated or {}
    return DayValues(
        previous.day,
        dict(previous.counts),
        {n: _minus(previous.counts.get(n), start.get(n)) if start else None for n in names},
        {n: estimated.get(n) if start else None for n in names},
    )


def day_change(now: DayValues, before: DayValues | None, names: Sequence[str]) -> DayValues:
    """`now` minus what its day held `before` (gains and estimated parts; None stays None)."""
    held = before if before is not None and before.day == now.day else None

    def minus(value: int | None, old: int | None) -> int | None:
        return None if value is None else value - (old or 0)

    return DayValues(
        now.day,
        {},
        {n: minus(now.gains[n], held and held.gains[n]) for n in names},
        {n: minus(now.estimated[n], held and held.estimated[n]) for n in names},
    )
