"""The metric pages in Chromium under the real Content-Security-Policy: every chart drawn with
the selectors' numbers, a Post opened, each CSV downloaded, and a phone-width layout."""

import csv
import io

import pytest
from django.urls import reverse

from accounts.models import Role
from metrics import selectors
from metrics.exports import BOM
from metrics.selectors import DAILY_CHART_METRICS, Period, Scope
from tests.browser.conftest import csp_violations, screenshot, sign_in
from tests.factories import MembershipFactory

pytestmark = pytest.mark.browser

ALL_DRAWN = """() => {
  const charts = document.querySelectorAll("[data-figure]");
  return charts.length > 0 &&
    Array.from(charts).every((c) => c.dataset.drawn === "true" && c.querySelector("svg.main-svg"));
}"""
TRACES = """(id) => document.getElementById(id).data.map(
  (t) => ({name: t.name, x: t.x, y: t.y, customdata: t.customdata || null}))"""


def _url(live_server, name: str, *args, query: str = "") -> str:
    return live_server.url + reverse(name, args=args) + (f"?{query}" if query else "")


def _open(page, url: str):
    response = page.goto(url)
    page.wait_for_function(ALL_DRAWN)
    return response


def _traces(page, key: str) -> dict[str, dict]:
    return {t["name"]: t for t in page.evaluate(TRACES, f"figure-{key}-plot")}


def _assert_clean(page) -> None:
    violations = csp_violations(page)
    assert [v for v in violations if v["directive"].startswith("script")] == []
    assert violations == []
    assert page.console_errors == []


def _scope(synced_team, days: int) -> Scope:
    team = synced_team.team
    return Scope(
        team, tuple(synced_team.accounts), Period.last(days, today=selectors.team_today(team))
    )


def _drawn(traces: dict, name: str) -> list:
    """What a day's bar of one part adds up to: read within the day, plus the estimated split."""
    solid, split = traces[name]["y"], traces[f"{name}, estimated split"]["y"]
    return [None if a is None else a + (b or 0) for a, b in zip(solid, split, strict=True)]


def test_the_overview_draws_every_chart_with_the_selectors_numbers(
    page_factory, live_server, synced_team, marketer
):
    page = page_factory()
    sign_in(page, live_server.url, marketer.email)
    response = _open(page, _url(live_server, "team_home", synced_team.team.slug, query="range=28"))
    expected = selectors.overview(scope=_scope(synced_team, 28))

    policy = response.headers["content-security-policy"]
    # django-csp does not keep the directives in one order: compare them as a mapping.
    directives = {name: values for name, *values in map(str.split, policy.split(";"))}
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy

    for metric in DAILY_CHART_METRICS:
        traces = _traces(page, metric)
        rows = expected.series(metric)
        for name, part in (("Organic", "organic"), ("Promoted", "promoted")):
            assert _drawn(traces, name) == [r.parts and getattr(r.parts, part) for r in rows]
        assert traces["Not fully known (hover for why)"]["x"]  # days before the connection
    after_30 = _drawn(_traces(page, "impression_count"), "After 30 days (split not reported)")
    assert after_30 == [r.parts and r.parts.after_30 for r in expected.series("impression_count")]
    funnel = _traces(page, "funnel")
    assert funnel["Organic"]["y"] == [s.counts.organic for s in expected.funnel]
    assert funnel["Promoted"]["y"] == [s.counts.promoted for s in expected.funnel]
    assert page.locator("[data-chart=impression_count] .bars path").count() > 0

    page.locator("[data-chart=impression_count] details.as-table summary").click()
    assert page.locator("[data-chart=impression_count] details.as-table table").is_visible()
    _assert_clean(page)
    screenshot(page, "overview")


def test_a_post_opens_from_the_top_posts_with_its_growth_and_funnel(
    page_factory, live_server, synced_team, marketer
):
    page = page_factory()
    sign_in(page, live_server.url, marketer.email)
    _open(page, _url(live_server, "team_home", synced_team.team.slug))

    page.locator("table.posts-table a.post-link", has_text="Launch day!").click()
    page.wait_for_url("**/posts/**")
    page.wait_for_function(ALL_DRAWN)

    post = synced_team.posts[0]
    detail = selectors.post_detail(team=synced_team.team, post=post)
    growth = _traces(page, "growth-impression_count")
    expected = [p.organic for p in detail.growth if p.metric == "impression_count"]
    assert growth["Organic"]["y"] == expected
    assert _traces(page, f"funnel-{synced_team.videos[1].pk}")["Organic"]["y"][0] > 0
    assert page.locator("text=View on X").first.get_attribute("href") == post.x_url
    _assert_clean(page)
    screenshot(page, "post")


def test_every_csv_downloads_from_its_page(page_factory, live_server, synced_team, marketer):
    page = page_factory()
    sign_in(page, live_server.url, marketer.email)
    _open(page, _url(live_server, "team_home", synced_team.team.slug, query="range=7"))
    expected_posts = list(selectors.post_rows(scope=_scope(synced_team, 7)))

    files = {}
    for label in ("Posts", "Daily series", "Videos", "Raw snapshot history"):
        menu = page.locator("details.exports")
        if not menu.evaluate("(details) => details.open"):
            menu.locator("summary").click()
        with page.expect_download() as info:
            page.locator("details.exports a", has_text=label).click()
        download = info.value
        data = download.path().read_bytes().decode("utf-8")
        assert data.startswith(BOM)
        files[download.suggested_filename] = list(csv.DictReader(io.StringIO(data[1:], newline="")))

    names = sorted(files)
    assert [n.split("-")[2] for n in names] == ["daily", "posts", "snapshots", "videos"]
    posts = next(rows for name, rows in files.items() if "-posts-" in name)
    assert [r["post_id"] for r in posts] == [str(r.x_post_id) for r in expected_posts]
    assert any(r["text"] == '\'=HYPERLINK("http://x","y") is not a formula here' for r in posts)
    _assert_clean(page)


def test_videos_and_a_phone_width_without_horizontal_overflow(
    page_factory, live_server, synced_team, marketer
):
    page = page_factory()
    sign_in(page, live_server.url, marketer.email)
    slug = synced_team.team.slug
    _open(page, _url(live_server, "team_videos", slug))
    views = _traces(page, "views")
    assert views["Organic"]["x"] and all(
        "<" not in label for label in views["Organic"]["customdata"]
    )
    _assert_clean(page)
    screenshot(page, "videos")

    phone = page_factory(width=390, height=844)
    sign_in(phone, live_server.url, marketer.email)
    for name, args in (
        ("team_home", (slug,)),
        ("team_post_detail", (slug, synced_team.posts[0].pk)),
        ("team_videos", (slug,)),
    ):
        _open(phone, _url(live_server, name, *args))
        width = phone.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], f"{name} overflows: {width}"
        screenshot(phone, f"phone-{name.removeprefix('team_')}")
    _assert_clean(phone)


def test_the_team_pages_fit_a_phone_for_an_admin(page_factory, live_server, synced_team):
    """An admin's tables (accounts, members) scroll inside their box: the visually hidden
    "Actions" header once escaped it, widening the whole page to about 780 px."""
    admin = MembershipFactory(
        team=synced_team.team, role=Role.ADMIN, user__email="admin-phone@example.com"
    ).user
    MembershipFactory(team=synced_team.team, role=Role.MEMBER)
    phone = page_factory(width=390, height=844)
    sign_in(phone, live_server.url, admin.email)
    for name in ("team_x_accounts", "team_members", "team_settings"):
        phone.goto(_url(live_server, name, synced_team.team.slug))
        assert phone.locator("h1").count() == 1
        width = phone.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], f"{name} overflows: {width}"
        screenshot(phone, f"phone-{name.removeprefix('team_')}")
    _assert_clean(phone)


def test_an_info_message_reads_as_a_message_not_as_a_help_icon(
    page_factory, live_server, synced_team, marketer
):
    """Django tags info messages "info": the help icon's class once shrank them to a circle."""
    page = page_factory()
    sign_in(page, live_server.url, marketer.email)
    _open(page, _url(live_server, "team_home", synced_team.team.slug))

    box = page.evaluate(
        """() => {
          const list = document.createElement("ul");  // as base.html renders messages
          list.className = "messages";
          const item = document.createElement("li");
          item.className = "message info";
          item.textContent = "Confirmation email sent to someone@example.com.";
          list.append(item);
          document.querySelector("main").prepend(list);
          const {width, height} = item.getBoundingClientRect();
          return {width, height, help: document.querySelector(".help-tip").offsetWidth};
        }"""
    )

    assert box["width"] > 300 and box["height"] > box["help"]
