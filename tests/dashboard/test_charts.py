"""Chart figures are pure functions of selector rows: colours, gaps, labels, escaping."""

import re
from datetime import date
from pathlib import Path

from dashboard import charts
from metrics.selectors import (
    Coverage,
    DailyTotalRow,
    FunnelStep,
    GapNote,
    GrowthPoint,
    MetricValues,
    Parts,
    PostRef,
    VideoRow,
)

CSS = Path(__file__).resolve().parents[2] / "static" / "css" / "quartile.css"


def _row(day, parts, coverage=Coverage.FULL, missing=(), estimated=None):
    return DailyTotalRow(
        date(2026, 3, day), "impression_count", parts, coverage, missing, estimated
    )


def test_organic_promoted_and_after_30_have_the_css_colours():
    css = CSS.read_text()

    for name, value in (
        ("organic", charts.ORGANIC),
        ("promoted", charts.PROMOTED),
        ("after30", charts.AFTER_30),
    ):
        assert re.search(rf"--{name}:\s*{value}", css), name


def test_a_gap_day_has_no_bar_a_band_and_a_marker_with_its_reason():
    rows = [
        _row(2, Parts(10, 7, 3, 0)),
        _row(3, None, Coverage.NONE, (GapNote("brand", "deferred"),)),
        _row(4, Parts(5, 5, 0, 0), Coverage.PARTIAL, (GapNote("small", "disconnected"),)),
        _row(5, Parts(2, 2, 0, 0), Coverage.SO_FAR),
    ]

    figure = charts.daily_chart(rows, metric="impression_count")

    traces = {t["name"]: t for t in figure["data"]}
    assert traces["Organic"]["y"] == [7, None, 5, 2]
    assert traces["Promoted"]["y"] == [3, None, 0, 0]
    assert traces[charts.AFTER_30_LABEL]["y"] == [0, None, 0, 0]
    marker = traces[charts.NOT_KNOWN_LABEL]
    assert marker["x"] == ["2026-03-03", "2026-03-04"]  # today so far is not marked
    assert "No data<br>deferred: @brand" in marker["text"][0]
    assert "Partly known" in marker["text"][1]
    fills = [shape["fillcolor"] for shape in figure["layout"]["shapes"]]
    assert fills == [charts.GAP_FILL, charts.PARTIAL_FILL]


def test_an_estimated_split_is_drawn_lighter_on_top_of_what_was_read():
    rows = [_row(2, Parts(100, 80, 20, 0), estimated=Parts(60, 50, 10, 0))]

    figure = charts.daily_chart(rows, metric="impression_count")

    traces = {t["name"]: t for t in figure["data"]}
    read, split = traces["Organic"], traces["Organic, estimated split"]
    assert (read["y"], split["y"], split["base"]) == ([30], [50], [30])
    assert split["offsetgroup"] == read["offsetgroup"] == "organic"
    assert split["marker"]["color"] == "#a8c1f7"  # the organic blue, lighter
    assert split["marker"]["line"]["color"] == charts.ORGANIC
    assert traces[charts.ESTIMATED_LABEL]["legendgroup"] == split["legendgroup"]


def test_metrics_x_never_publishes_have_no_after_30_series():
    rows = [DailyTotalRow(date(2026, 3, 2), "url_link_clicks", Parts(1, 1, 0), Coverage.FULL)]

    figure = charts.daily_chart(rows, metric="url_link_clicks")

    assert [t["name"] for t in figure["data"] if "estimated" not in t["name"].lower()] == [
        "Organic",
        "Promoted",
    ]


def test_the_funnel_labels_each_bar_with_its_retention():
    steps = [
        FunnelStep("playback_0_count", "Starts", Parts(10, 8, 2), Parts(1.0, 1.0, 1.0)),
        FunnelStep("playback_25_count", "25 %", Parts(5, 4, 1), Parts(0.5, 0.5, 0.5)),
    ]

    organic = charts.funnel_chart(steps)["data"][0]

    assert organic["y"] == [8, 4] and organic["text"] == ["100 %", "50 %"]


def test_post_text_in_video_labels_and_hovers_is_escaped():
    text = '<img src=x onerror="alert(1)"> & <b>bold</b>'
    video = VideoRow(
        media_id=1,
        media_key="13_123456789",
        account="brand",
        type="video",
        duration_ms=1000,
        preview_image_url="",
        metrics={"view_count": MetricValues("view_count", public=10, organic=6, promoted=4)},
        posts=(PostRef(1, 2, "https://x.com/brand/status/2", text),),
    )

    figure = charts.video_views_chart([video])

    organic = figure["data"][0]
    assert "<img" not in organic["y"][0] and "&lt;img" in organic["y"][0]
    assert organic["customdata"][0].startswith("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;")


def test_a_growth_point_resting_on_an_estimated_split_is_an_open_marker():
    points = [
        GrowthPoint(date(2026, 3, 2), "impression_count", 90, 10, None, 100),
        GrowthPoint(date(2026, 3, 3), "impression_count", 140, 15, None, 155, estimated=True),
    ]

    organic = charts.growth_chart(points, metric="impression_count", froze_on=None)["data"][0]

    assert organic["marker"]["symbol"] == ["circle", "circle-open"]
    assert organic["customdata"] == ["read", "estimated"]
