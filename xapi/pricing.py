"""What X charges for reads on pay-per-use, and what a number of reads costs.

X's price list (docs/x-api.md §2.7 and §9; https://docs.x.com/x-api/getting-started/pricing,
changelog 2026-02-06, 2026-04-16, 2026-08-13):

- a Post read is $0.005 per Post returned as data, a User read $0.010 per User returned;
- "Owned Reads" are $0.001 per Post, only on the timeline of the authenticated user
  (`GET /2/users/{id}/tweets` with `{id}` the token's user) *and* only when that user owns the
  developer app: the other accounts of a multi-user dashboard pay the full price;
- a resource returned again within the same UTC day is charged once;
- a pay-per-use Project is capped at 3,000,000 Post reads a monthly billing cycle; past it every
  call answers 429 `UsageCapExceeded` (period Monthly).

Money is `Decimal`, never float. Pure Python, no Django.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_CEILING, Decimal

from xapi.client import TIMELINE_REACH

POST_READ = Decimal("0.005")
USER_READ = Decimal("0.010")
OWNED_READ = Decimal("0.001")
MONTHLY_POST_READ_CAP = 3_000_000
CENT = Decimal("0.01")

TIMELINE_ENDPOINT = "GET /2/users/:id/tweets"


def billing_day(moment: datetime) -> date:
    """The UTC day X bills a read made at `moment` on (and deduplicates it within)."""
    return moment.astimezone(UTC).date()


def month_start(day: date) -> date:
    """The first day of the billing month `day` is in (the UTC calendar month)."""
    return day.replace(day=1)


def days_in_month(day: date) -> int:
    nxt = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return (nxt - month_start(day)).days


def post_read_price(*, endpoint: str | None = None, owned: bool = False) -> Decimal:
    """The price of one Post read through `endpoint`. `owned`: the token's user owns the
    developer app and reads its own timeline (Owned Reads); every other read is full price."""
    return OWNED_READ if owned and endpoint == TIMELINE_ENDPOINT else POST_READ


def post_reads_cost(reads: int, *, endpoint: str | None = None, owned: bool = False) -> Decimal:
    return reads * post_read_price(endpoint=endpoint, owned=owned)


def user_reads_cost(reads: int) -> Decimal:
    return reads * USER_READ


def post_reads_for(dollars: Decimal) -> int:
    """How many full-price Post reads `dollars` pays for (none for a negative amount)."""
    return max(int(dollars // POST_READ), 0)


def first_sync_reads(post_count: int | None) -> int:
    """The Post reads of a first sync at most: every Post the timeline still serves."""
    return min(post_count if post_count is not None else TIMELINE_REACH, TIMELINE_REACH)


def first_sync_cost(post_count: int | None = None) -> Decimal:
    """The most a first sync costs: up to 3,200 Posts, $16.00 at full price."""
    return post_reads_cost(first_sync_reads(post_count))


def whole_cents_up(dollars: Decimal) -> Decimal:
    return dollars.quantize(CENT, rounding=ROUND_CEILING)


@dataclass(frozen=True)
class Allowance:
    """What a monthly budget allows on one UTC day: the month's remaining dollars shared out
    evenly over its remaining days, so that the month is not spent in its first days.

    `spent_before_today` and `spent_today` are the month's dollars so far; `budget` is None when
    there is no limit."""

    budget: Decimal | None
    day: date
    spent_before_today: Decimal
    spent_today: Decimal

    @property
    def days_left(self) -> int:
        """The UTC days left in the month, today included."""
        return days_in_month(self.day) - self.day.day + 1

    @property
    def month_left(self) -> Decimal | None:
        if self.budget is None:
            return None
        return max(self.budget - self.spent_before_today - self.spent_today, Decimal(0))

    @property
    def today(self) -> Decimal | None:
        """Today's share of the month: (budget - spent before today) / days left."""
        if self.budget is None:
            return None
        return max(self.budget - self.spent_before_today, Decimal(0)) / self.days_left

    @property
    def today_left(self) -> Decimal | None:
        """What is left of today's share, never more than the month has left."""
        if self.budget is None:
            return None
        month_left = self.month_left
        assert month_left is not None
        return min(max(self.today - self.spent_today, Decimal(0)), month_left)
