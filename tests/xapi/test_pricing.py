"""X's price list and the spend model (docs/x-api.md §2.7): dollars as Decimal, the UTC day."""

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

from xapi import pricing


def test_the_price_list_is_xs_pay_per_use_one():
    prices = (pricing.POST_READ, pricing.USER_READ, pricing.OWNED_READ)
    assert prices == (Decimal("0.005"), Decimal("0.010"), Decimal("0.001"))
    assert (pricing.MONTHLY_POST_READ_CAP, pricing.TIMELINE_REACH) == (3_000_000, 3200)


def test_owned_reads_are_only_the_app_owners_own_timeline():
    timeline = pricing.TIMELINE_ENDPOINT
    assert pricing.post_read_price(endpoint=timeline, owned=True) == Decimal("0.001")
    assert pricing.post_read_price(endpoint=timeline, owned=False) == Decimal("0.005")
    assert pricing.post_read_price(endpoint="GET /2/tweets", owned=True) == Decimal("0.005")
    assert pricing.post_reads_cost(300, endpoint=timeline, owned=True) == Decimal("0.300")
    assert pricing.user_reads_cost(2) == Decimal("0.020")


def test_x_bills_on_the_utc_day():
    paris_just_after_midnight = datetime(2026, 12, 2, 0, 30, tzinfo=timezone(timedelta(hours=1)))
    assert pricing.billing_day(paris_just_after_midnight) == date(2026, 12, 1)
    assert pricing.month_start(date(2026, 12, 17)) == date(2026, 12, 1)
    assert [pricing.days_in_month(date(2026, m, 5)) for m in (2, 12)] == [28, 31]
    assert pricing.days_in_month(date(2028, 2, 29)) == 29


def test_a_first_sync_costs_up_to_sixteen_dollars():
    assert pricing.first_sync_cost() == Decimal("16.00")  # 3,200 Posts, X's timeline reach
    assert pricing.first_sync_cost(3500) == Decimal("16.00")
    assert pricing.first_sync_cost(20) == Decimal("0.10")


def test_dollars_buy_whole_reads():
    assert pricing.post_reads_for(Decimal("0.0149")) == 2
    assert pricing.post_reads_for(Decimal("-1")) == 0


def test_the_daily_share_spreads_what_is_left_over_the_days_left():
    # 1 December: 31 days left, $31 budget, nothing spent: a dollar a day.
    first = pricing.Allowance(
        budget=Decimal(31), day=date(2026, 12, 1), spent_before_today=Decimal(0),
        spent_today=Decimal("0.25"),
    )  # fmt: skip
    assert (first.days_left, first.today, first.today_left) == (31, 1, Decimal("0.75"))
    assert first.month_left == Decimal("30.75")
    # A first sync of $16 on the 21st: today is spent, the 10 days after share the rest.
    later = pricing.Allowance(
        budget=Decimal(31), day=date(2026, 12, 21), spent_before_today=Decimal(5),
        spent_today=Decimal(16),
    )  # fmt: skip
    assert later.days_left == 11 and later.today_left == 0
    assert later.month_left == Decimal(10)
    # Never more than the month has left, never less than nothing.
    last = pricing.Allowance(
        budget=Decimal(10), day=date(2026, 12, 31), spent_before_today=Decimal(12),
        spent_today=Decimal(0),
    )  # fmt: skip
    assert (last.today, last.today_left, last.month_left) == (0, 0, 0)
    unlimited = pricing.Allowance(
        budget=None, day=datetime.now(UTC).date(), spent_before_today=Decimal(1),
        spent_today=Decimal(1),
    )  # fmt: skip
    assert (unlimited.today_left, unlimited.month_left) == (None, None)
