"""Plotly figures as plain dicts, built from selector rows (pure functions, no queries).

A figure goes to the page through `json_script` and `static/js/charts.js` draws it, so no inline
script is needed. Organic, promoted and "after 30 days" keep the same colours on every chart (the
CSS variables --organic, --promoted and --after30 of quartile.css). Text that people wrote (Post
text) is HTML-escaped, because Plotly renders a subset of HTML in labels and hovers.
"""

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from html import escape

from metrics.selectors import (
    POST_METRICS,
    Coverage,
    DailyTotalRow,
    FunnelStep,
    GrowthPoint,
    VideoRow,
)

ORGANIC = "#2563eb"
PROMOTED = "#f59e0b"
AFTER_30 = "#9ca3af"
GAP_FILL = "rgba(100, 116, 139, 0.18)"
PARTIAL_FILL = "rgba(100, 116, 139, 0.08)"
AFTER_30_LABEL = "After 30 days (split not reported)"
ESTIMATED_LABEL = "Estimated split of a known total"
NOT_KNOWN_LABEL = "Not fully known (hover for why)"

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
CONFIG = {"displayModeBar": False, "responsive": True, "displaylogo": False}
VALUE_AXIS = {"rangemode": "tozero", "gridcolor": "#e5e7eb", "separatethousands": True}
LEGEND = {"orientation": "h", "x": 0, "y": -0.18, "yanchor": "top"}
DATE_AXIS = {"type": "date", "tickformat": "%b %-d", "hoverformat": "%a %b %-d, %Y"}
HOVER = "%{y:,}<extra>%{fullData.name}</extra>"


def _layout(**overrides) -> dict:
    layout = {
        "autosize": True,
        "height": 300,
        "margin": {"l": 56, "r": 16, "t": 16, "b": 40},
        "font": {"family": FONT, "size": 12, "color": "#111827"},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "legend": LEGEND,
        "hoverlabel": {"namelength": -1},
        "yaxis": VALUE_AXIS,
    }
    layout.update(overrides)
    return layout


def _figure(data: list[dict], layout: dict) -> dict:
    return {"data": data, "layout": layout, "config": CONFIG}


def truncate(text: str, length: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1] + "…"


def _day(day: date) -> str:
    return day.isoformat()


def _half_day_before(day: date) -> str:
    return (datetime.combine(day, time(12)) - timedelta(days=1)).isoformat(sep=" ")


def _day_band(day: date, fill: str) -> dict:
    """A shaded band over one whole day, behind the data: a day without (full) data."""
    return {
        "type": "rect", "xref": "x", "yref": "paper", "layer": "below",
        "x0": _half_day_before(day), "x1": _half_day_before(day + timedelta(1)),
        "y0": 0, "y1": 1, "line": {"width": 0}, "fillcolor": fill,
    }  # fmt: skip


def _estimated_marker(color: str) -> dict:
    """The bars of an estimated split: the part's colour, lighter, outlined in it. (Plotly's
    hatching patterns are SVG references that do not draw under our style policy.)"""
    return {"color": _lighter(color), "line": {"color": color, "width": 1}}


def _lighter(color: str, share: float = 0.4) -> str:
    """`#rrggbb` mixed with white: `share` of the colour is kept."""
    red, green, blue = (int(color[n : n + 2], 16) for n in (1, 3, 5))
    mixed = (round(255 - (255 - c) * share) for c in (red, green, blue))
    return "#{:02x}{:02x}{:02x}".format(*mixed)


def daily_chart(rows: Sequence[DailyTotalRow], *, metric: str) -> dict:
    """Gains per day, organic and promoted side by side, and the unsplit growth after day 30.

    Each bar has a solid part (read from X within the day) and, on top of it, a lighter part:
    the day's share of a gain known exactly between two readings, split by the age curve
    ("estimated split of a known total"). A day without data has no bar (None), a shaded band
    and a marker with the reasons; a day only partly known gets a lighter band.
    """
    info = POST_METRICS[metric]
    days = [_day(r.day) for r in rows]

    def values(part: str, estimated: bool) -> list:
        out = []
        for r in rows:
            value = None if r.parts is None else getattr(r.parts, part)
            share = getattr(r.estimated, part) if r.estimated is not None else None
            if value is None:
                out.append(None)
            elif estimated:
                out.append(share or 0)
            else:
                out.append(value - (share or 0))
        return out

    parts = [("Organic", "organic", ORGANIC), ("Promoted", "promoted", PROMOTED)]
    if info.public:
        parts.append((AFTER_30_LABEL, "after_30", AFTER_30))
    data = []
    for name, part, color in parts:
        observed = values(part, estimated=False)
        data.append(
            {"type": "bar", "name": name, "x": days, "y": observed, "offsetgroup": part,
             "marker": {"color": color}, "hovertemplate": HOVER}
        )  # fmt: skip
        data.append(
            {"type": "bar", "name": f"{name}, estimated split", "x": days,
             "y": values(part, estimated=True), "base": [v or 0 for v in observed],
             "offsetgroup": part, "marker": _estimated_marker(color),
             "legendgroup": "estimated", "showlegend": False, "hovertemplate": HOVER}
        )  # fmt: skip
    # One legend entry for the hatching, whichever part it is on.
    data.append(
        {"type": "bar", "name": ESTIMATED_LABEL, "x": [None], "y": [None],
         "marker": _estimated_marker(AFTER_30), "legendgroup": "estimated", "hoverinfo": "skip"}
    )  # fmt: skip
    shapes, gap_days, gap_text = [], [], []
    for row in rows:
        if row.coverage in (Coverage.FULL, Coverage.SO_FAR):
            continue
        shapes.append(
            _day_band(row.day, GAP_FILL if row.coverage == Coverage.NONE else PARTIAL_FILL)
        )
        gap_days.append(_day(row.day))
        gap_text.append(
            f"{row.coverage.label}<br>" + "<br>".join(escape(n) for n in row.missing_summary)
        )
    if gap_days:
        data.append(
            {
                "type": "scatter", "mode": "markers", "name": NOT_KNOWN_LABEL,
                "x": gap_days, "y": [1] * len(gap_days), "yaxis": "y2",
                "marker": {"symbol": "x-thin-open", "size": 9, "color": "#64748b"},
                "text": gap_text, "hovertemplate": "%{text}<extra></extra>",
            }
        )  # fmt: skip
    return _figure(
        data,
        _layout(
            barmode="group",
            bargap=0.2,
            hovermode="x unified",
            xaxis=DATE_AXIS,
            yaxis2={"overlaying": "y", "range": [0, 1.05], "visible": False, "fixedrange": True},
            yaxis={**VALUE_AXIS, "title": {"text": info.label}},
            shapes=shapes,
        ),
    )


def funnel_chart(steps: Sequence[FunnelStep]) -> dict:
    """Plays reaching each quartile, organic and promoted side by side, with retention."""
    labels = [s.label for s in steps]

    def trace(name: str, part: str, color: str) -> dict:
        retention = [getattr(s.retention, part) for s in steps]
        return {
            "type": "bar",
            "name": name,
            "x": labels,
            "y": [getattr(s.counts, part) for s in steps],
            "text": ["" if r is None else f"{r * 100:.0f} %" for r in retention],
            "textposition": "outside",
            "cliponaxis": False,
            "marker": {"color": color},
            "hovertemplate": "%{x}: %{y:,} plays (%{text} of starts)<extra>" + name + "</extra>",
        }

    return _figure(
        [trace("Organic", "organic", ORGANIC), trace("Promoted", "promoted", PROMOTED)],
        _layout(
            barmode="group",
            bargap=0.25,
            hovermode="closest",
            xaxis={"type": "category"},
            margin={"l": 56, "r": 16, "t": 28, "b": 40},
        ),
    )


def growth_chart(points: Sequence[GrowthPoint], *, metric: str, froze_on: date | None) -> dict:
    """Cumulative values of `metric` since posting (`points`: that metric's only); organic and
    promoted end where X froze them."""
    info = POST_METRICS[metric]
    days = [_day(p.day) for p in points]

    def line(name: str, part: str, color: str, dash: str = "solid") -> dict:
        # A day whose value rests on an estimated split: an open marker, "estimated" on hover.
        return {
            "type": "scatter", "mode": "lines+markers", "name": name, "x": days,
            "y": [getattr(p, part) for p in points], "connectgaps": False,
            "line": {"color": color, "width": 2, "dash": dash},
            "marker": {"size": [6 if p.estimated else 4 for p in points],
                       "symbol": ["circle-open" if p.estimated else "circle" for p in points]},
            "customdata": ["estimated" if p.estimated else "read" for p in points],
            "hovertemplate": "%{y:,} (%{customdata})<extra>%{fullData.name}</extra>",
        }  # fmt: skip

    data = [line("Organic", "organic", ORGANIC), line("Promoted", "promoted", PROMOTED)]
    if info.public:
        data.append(line(AFTER_30_LABEL, "after_30", AFTER_30))
    shapes, annotations = [], []
    if froze_on is not None and points and points[0].day <= froze_on <= points[-1].day:
        shapes.append(
            {"type": "line", "xref": "x", "yref": "paper", "x0": _day(froze_on),
             "x1": _day(froze_on), "y0": 0, "y1": 1, "line": {"color": "#64748b", "dash": "dot"}}
        )  # fmt: skip
        annotations.append(
            {"x": _day(froze_on), "y": 1, "xref": "x", "yref": "paper", "yanchor": "bottom",
             "showarrow": False, "text": "Day 30: split froze", "font": {"size": 11}}
        )  # fmt: skip
    shapes += [_day_band(point.day, GAP_FILL) for point in points if point.gap]
    return _figure(
        data,
        _layout(
            hovermode="x unified",
            xaxis=DATE_AXIS,
            yaxis={**VALUE_AXIS, "title": {"text": f"{info.label} (cumulative)"}},
            shapes=shapes,
            annotations=annotations,
        ),
    )


def video_label(video: VideoRow, length: int = 40) -> str:
    """How a video is named on a chart: the text of the first Post carrying it, escaped."""
    if video.posts:
        return escape(truncate(video.posts[0].text, length))
    return escape(video.media_key)


def video_views_chart(videos: Sequence[VideoRow]) -> dict:
    """Views of the top videos, organic, promoted and unsplit stacked, one bar per video."""
    videos = list(videos)[::-1]  # Plotly draws the first category at the bottom
    labels = [f"{video_label(v)} · {escape(v.media_key[-6:])}" for v in videos]
    hover_text = [video_label(v, length=120) for v in videos]

    def trace(name: str, part: str, color: str) -> dict:
        return {
            "type": "bar",
            "orientation": "h",
            "name": name,
            "y": labels,
            "x": [v.metrics["view_count"].get(part) for v in videos],
            "marker": {"color": color},
            "customdata": hover_text,
            "hovertemplate": "%{customdata}<br>%{x:,} views<extra>" + name + "</extra>",
        }

    data = [trace("Organic", "organic", ORGANIC), trace("Promoted", "promoted", PROMOTED)]
    if any(v.metrics["view_count"].after_30 for v in videos):
        data.append(trace(AFTER_30_LABEL, "after_30", AFTER_30))
    return _figure(
        data,
        _layout(
            barmode="stack",
            legend={**LEGEND, "traceorder": "normal"},
            height=max(240, 28 * len(videos) + 80),
            margin={"l": 200, "r": 16, "t": 16, "b": 40},
            hovermode="closest",
            yaxis={"automargin": True, "type": "category"},
            xaxis=VALUE_AXIS,
        ),
    )
