"""Number formatting for the dashboard: thousands separators, percentages, "—" for unreported.

A metric X did not report is None and shows as "—" (never 0); its title says why.
"""

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.timesince import timesince

register = template.Library()

DASH = "—"
MINUS = "\u2212"  # a true minus sign, as wide as the plus


@register.filter
def num(value) -> str:
    """1234567 → "1,234,567"; None → "—"."""
    if value is None or value == "":
        return DASH
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) < 10 else f"{value:,.0f}"
    return f"{value:,}"


@register.filter
def pct(value, digits: int = 1) -> str:
    """A ratio as a percentage: 0.1234 → "12.3 %"; None → "—"."""
    if value is None:
        return DASH
    return f"{value * 100:.{int(digits)}f} %"


@register.filter
def ago(value: datetime | None) -> str:
    """How long ago, for freshness: "4 min ago", "just now", "never"."""
    if value is None:
        return "never"
    delta = timezone.now() - value
    if delta.total_seconds() < 60:
        return "just now"
    return f"{timesince(value, depth=1)} ago".replace("minutes", "min").replace("minute", "min")


_NO_CHANGE = "Nothing to compare with in the previous period"


@register.simple_tag
def change(kpi, part: str = "total"):
    """The change of a KPI part against the previous period, as a marked-up badge."""
    value = kpi.change(part)
    if part in kpi.incomparable:
        reason = f"Not comparable with the previous period: {kpi.incomparable[part]}"
        text = "not comparable" if part == "total" else DASH
        return format_html(
            '<span class="change flat" title="{}" aria-label="{}">{}</span>', reason, reason, text
        )
    if value is None:
        if getattr(kpi.current, part) is None:
            return ""  # not reported: the value's own "—" says it
        text = DASH  # "new" read as news, where it meant that nothing came before
        return format_html('<span class="change flat" title="{}">{}</span>', _NO_CHANGE, text)
    text = f"{value:+.1f} pp" if kpi.is_rate else f"{value * 100:+.1f} %"
    text = text.replace("-", MINUS)
    direction = "up" if value > 0 else "down" if value < 0 else "flat"
    title = "Change against the previous period of equal length"
    return format_html('<span class="change {}" title="{}">{}</span>', direction, title, text)


@register.simple_tag
def kpi_basis(kpi) -> str:
    """What a KPI's number is: how much of it is exact and how much an estimated split."""
    total = kpi.current.total
    if kpi.is_rate or not total:
        return ""
    if kpi.exact is None:
        text = "Estimated at the period's edges"
        title = "Readings do not fall on midnight: the gains around the period's first and last "
        title += "midnight are split by the account's age curve."
    elif kpi.exact >= total:
        text = "Exact"
        title = "As of the latest reading: the Posts created in the period earned all of it."
    else:
        text = f"{num(kpi.exact)} exact · {num(total - kpi.exact)} estimated"
        title = (
            "Exact: the lifetime totals of the Posts created in the period. Estimated: older "
            "Posts' gains, split at the period's start by the account's age curve."
        )
    if kpi.undated:
        text += f" · {num(kpi.undated)} on unknown days"
        title += " Unknown days: Posts first read after their day 30 earned it at some time "
        title += "between their creation and that reading."
    return format_html('<p class="muted kpi-basis" title="{}">{}</p>', title, text)


@register.filter
def incomplete_days(coverage, period) -> int:
    return coverage.incomplete_days(period)


@register.filter
def kpi_value(value, is_rate: bool) -> str:
    return pct(value) if is_rate else num(value)


@register.filter
def get(mapping, key):
    """`row.metrics|get:"impression_count"`: a mapping's item in a template."""
    try:
        return mapping[key]
    except (KeyError, TypeError, IndexError):
        return None


@register.filter
def part(values, name: str):
    """`values|part:"organic"`: one context of MetricValues or Parts."""
    if values is None:
        return None
    if hasattr(values, "get") and not isinstance(values, dict):
        return values.get(name)
    return getattr(values, name, None)


@register.filter
def duration(ms: int | None) -> str:
    if not ms:
        return DASH
    seconds = round(ms / 1000)
    return f"{seconds // 60}:{seconds % 60:02d}"


def _day_label(day) -> str:
    return f"{day:%a} {day.day} {day:%b}"


def _day_basis(row) -> str:
    """What the row's numbers are: its coverage, and how much of it is an estimated split."""
    label = row.coverage.label
    share = row.estimated and row.estimated.total
    if row.parts is not None and share:
        label += f" · {num(share)} estimated"
    return label


@register.simple_tag
def daily_table_rows(rows):
    """The <tr>s of a daily chart's table (built here: a 90-day page has hundreds of cells)."""
    return format_html_join(
        "\n",
        '<tr{}><th scope="row"><time datetime="{}">{}</time></th><td class="num">{}</td>'
        '<td class="num">{}</td><td class="num">{}</td><td class="num">{}</td><td>{}{}</td></tr>',
        (
            (
                format_html(' class="{}"', "gap") if row.coverage in ("none", "partial") else "",
                row.day.isoformat(),
                _day_label(row.day),
                num(row.parts and row.parts.organic),
                num(row.parts and row.parts.promoted),
                num(row.parts and row.parts.after_30),
                num(row.parts and row.parts.total),
                _day_basis(row),
                format_html_join(
                    "", '<br><span class="muted">{}</span>', ((n,) for n in row.missing_summary)
                ),
            )
            for row in rows
        ),
    )
