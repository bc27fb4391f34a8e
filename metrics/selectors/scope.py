"""What a page shows: a period of team days, its mode, and the accounts in scope."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from accounts.models import Team, XAccount
from metrics.lifeline import day_start
from metrics.models import PostMedia

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


class PostKind(enum.StrEnum):
    """Which of the accounts' Posts count: X's `paid_partnership`, disclosed by the author."""

    ALL = "all"
    PAID = "paid"  # paid partnerships
    UNPAID = "unpaid"  # the rest

    @property
    def label(self) -> str:
        return {
            "all": "All Posts",
            "paid": "Paid partnerships",
            "unpaid": "Not paid partnerships",
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


@dataclass(frozen=True)
class Scope:
    """What a page shows: some accounts of one team, a period, and which Posts count."""

    team: Team
    accounts: tuple[XAccount, ...]
    period: Period
    mode: PeriodMode = PeriodMode.ACTIVITY
    posts: PostKind = PostKind.ALL

    @property
    def all_posts(self) -> bool:
        """Whether every Post counts: then the accounts' daily sums and kept reads serve."""
        return self.posts == PostKind.ALL

    @property
    def paid(self) -> bool | None:
        """The `paid_partnership` of the Posts that count (None: any)."""
        return None if self.all_posts else self.posts == PostKind.PAID

    def post_q(self, prefix: str = "") -> Q:
        """The Posts that count, for rows reaching `Post` through `prefix`."""
        if self.paid is None:
            return Q()
        return Q(**{f"{prefix}paid_partnership": self.paid})

    def carried_q(self, media: str = "pk") -> Q:
        """The videos that count, for rows whose `media` is the video's id: those carried by
        a Post that counts."""
        if self.paid is None:
            return Q()
        carriers = PostMedia.objects.filter(
            media_id=OuterRef(media), post__paid_partnership=self.paid
        )
        return Q(Exists(carriers))

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
