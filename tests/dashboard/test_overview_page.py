"""The Overview: KPIs, daily charts, funnel and top Posts, with every filter in the URL."""

import csv
import io
import json
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from metrics import selectors
from metrics.models import AccountSyncDay, Post, SyncRun
from metrics.selectors import Period, PeriodMode, PostKind, Scope
from tests.factories import XAccountFactory
from tests.metrics.factories import PostFactory, SyncRunFactory, sync_ran
from tests.metrics.histories import seed_synced_team

pytestmark = pytest.mark.django_db


def _get(client, team, query=""):
    return client.get(reverse("team_home", args=[team.slug]) + (f"?{query}" if query else ""))


def _figure(response, key: str) -> dict:
    html = response.content.decode()
    marker = f'<script id="figure-{key}" type="application/json">'
    start = html.index(marker) + len(marker)
    return json.loads(html[start : html.index("</script>", start)])


def test_without_accounts_an_admin_is_asked_to_connect_one(team, admin, client_for):
    response = _get(client_for(admin), team)

    assert response.status_code == HTTPStatus.OK
    assert b"Connect an X account" in response.content
    assert reverse("team_x_accounts", args=[team.slug]).encode() in response.content


def test_without_accounts_a_member_is_asked_to_see_an_admin(team, member, client_for):
    response = _get(client_for(member), team)

    assert b"Ask one of the team's admins" in response.content


def test_during_the_first_sync_the_page_shows_its_progress(team, member, client_for):
    account = XAccountFactory(team=team, username="brand", sync_claim="abc")
    SyncRunFactory(account=account, outcome=SyncRun.Outcome.RUNNING, pages_planned=8, pages_done=3)

    response = _get(client_for(member), team)

    content = response.content.decode()
    assert "The first sync is running" in content
    assert '<progress max="1" value="0.375">' in content
    assert "3 of 8 pages" in content
    assert reverse("team_x_account_progress", args=[team.slug, account.pk]) in content


def test_the_overview_shows_the_kpis_and_charts_of_the_selectors(team, member, client_for):
    synced = seed_synced_team(team)
    scope = Scope(team, tuple(synced.accounts), Period.last(7, today=selectors.team_today(team)))
    expected = selectors.overview(scope=scope)

    response = _get(client_for(member), team, "range=7")

    assert response.status_code == HTTPStatus.OK
    content = response.content.decode()
    impressions = expected.kpis[0]
    assert f"{impressions.current.total:,}" in content
    assert f"{impressions.current.organic:,}" in content
    figure = _figure(response, "impression_count")
    organic = next(t for t in figure["data"] if t["name"] == "Organic")
    estimated = next(t for t in figure["data"] if t["name"] == "Organic, estimated split")
    series = expected.series("impression_count")
    # Read within the day, solid; the day's share of a gain between readings, hatched on top.
    assert [a + b for a, b in zip(organic["y"], estimated["y"], strict=True)] == [
        r.parts.organic for r in series
    ]
    assert estimated["y"] == [r.estimated.organic for r in series]
    assert estimated["base"] == organic["y"]
    assert organic["marker"]["color"] == "#2563eb"
    assert "Estimated split of a known total" in {t["name"] for t in figure["data"]}
    assert "Updated" in content and "ago" in content


def _stale_account(team):
    """An account whose last reading was two days ago; yesterday's sync was deferred."""
    now = timezone.now()
    stale = XAccountFactory(team=team, username="stale", connected_at=now - timedelta(days=14))
    sync_ran(stale, now - timedelta(days=2))
    sync_ran(stale, now - timedelta(days=1), outcome=SyncRun.Outcome.DEFERRED, pages_done=0)
    return stale


def test_a_day_missed_between_readings_is_an_estimate_and_after_the_last_one_a_marked_gap(
    team, member, client_for
):
    synced = seed_synced_team(team)
    _stale_account(team)
    missed = synced.gap_days["brand"][0].isoformat()
    yesterday = (selectors.team_today(team) - timedelta(days=1)).isoformat()

    figure = _figure(_get(client_for(member), team, "range=7"), "impression_count")

    organic = next(t for t in figure["data"] if t["name"] == "Organic")
    estimated = next(t for t in figure["data"] if t["name"] == "Organic, estimated split")
    assert estimated["y"][organic["x"].index(missed)] > 0
    marker = next(t for t in figure["data"] if t["name"].startswith("Not fully known"))
    assert missed not in marker["x"]
    assert "deferred" in marker["text"][marker["x"].index(yesterday)]
    assert "@stale" in marker["text"][marker["x"].index(yesterday)]
    assert len(figure["layout"]["shapes"]) == len(marker["x"])


def test_the_filters_live_in_the_url(team, member, client_for):
    synced = seed_synced_team(team)
    small = synced.accounts[1]
    today = selectors.team_today(team)
    start = today - timedelta(days=5)

    response = _get(
        client_for(member),
        team,
        f"range=custom&start={start}&end={today}&mode=created&account={small.pk}",
    )

    content = response.content.decode()
    assert "Posts created in the period" in content
    assert f'value="{start.isoformat()}"' in content
    assert f'name="account" value="{small.pk}" checked' in content
    assert "SmallCo update 1" in content and "Launch day" not in content


def test_a_custom_range_that_makes_no_sense_falls_back_to_28_days(team, member, client_for):
    seed_synced_team(team)
    today = selectors.team_today(team)

    response = _get(
        client_for(member), team, f"range=custom&start={today}&end={today - timedelta(days=3)}"
    )

    assert response.status_code == HTTPStatus.OK
    assert "The range must start before it ends." in response.content.decode()
    assert 'value="28" checked' in response.content.decode()


def test_the_top_posts_sort_by_the_chosen_column(team, member, client_for):
    synced = seed_synced_team(team)
    scope = Scope(team, tuple(synced.accounts), Period.last(28, today=selectors.team_today(team)))
    sort = selectors.PostSort.parse("url_link_clicks.promoted")
    first = selectors.top_posts(scope=scope, sort=sort, limit=1)[0][0]

    content = _get(client_for(member), team, "sort=url_link_clicks.promoted").content.decode()

    assert (
        content.index(f'data-post="{first.post_id}"')
        < content.index('data-post="', content.index("<tbody", content.index("posts-table")) + 1)
        + 200
    )
    assert 'aria-sort="descending"' in content


def test_post_text_is_escaped_on_the_page(team, member, client_for):
    seed_synced_team(team)

    content = _get(client_for(member), team).content.decode()

    assert "<script>alert(1)</script>" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content


def test_the_page_makes_the_same_number_of_queries_whatever_the_data_size(
    team, member, client_for, django_assert_max_num_queries
):
    synced = seed_synced_team(team)
    client = client_for(member)
    _get(client, team, "range=7")  # the session learns the team once, on the first visit
    # Cold: nothing cached or kept yet (no reads kept by a sync, the seed ran none; no final
    # days' sync outcomes kept), the most queries a page makes: what is kept is looked for
    # (rankings, created totals of Posts and videos), then read from the Posts and the runs,
    # and the final days' outcomes kept.
    cache.clear()
    AccountSyncDay.objects.all().delete()
    with django_assert_max_num_queries(22) as small:
        _get(client, team, "range=90")
    for n in range(40):
        PostFactory(account=synced.brand, created_at=timezone.now() - timedelta(days=n % 20))
    cache.clear()
    AccountSyncDay.objects.all().delete()
    with django_assert_max_num_queries(22) as large:
        _get(client, team, "range=90")
    with django_assert_max_num_queries(15) as warm:
        _get(client, team, "range=90")
    cache.clear()
    with django_assert_max_num_queries(15):
        _get(client, team, "range=90&mode=created")

    assert len(small.captured_queries) == len(large.captured_queries)
    assert len(warm.captured_queries) < len(large.captured_queries)


def test_created_mode_compares_posts_created_in_each_period(team, member, client_for):
    synced = seed_synced_team(team)
    scope = Scope(
        team,
        tuple(synced.accounts),
        Period.last(7, today=selectors.team_today(team)),
        PeriodMode.CREATED,
    )
    kpi = selectors.overview(scope=scope).kpis[0]

    content = _get(client_for(member), team, "range=7&mode=created").content.decode()

    assert f"{kpi.current.total:,}" in content
    assert "the lifetime totals of the Posts created then" in content


def test_each_chart_has_a_table_that_says_which_days_are_not_fully_known(team, member, client_for):
    seed_synced_team(team)
    _stale_account(team)
    gap = selectors.team_today(team) - timedelta(days=1)

    content = _get(client_for(member), team, "range=7").content.decode()

    row = content[content.index(f'<tr class="gap"><th scope="row"><time datetime="{gap}">') :]
    row = row[: row.index("</tr>")]
    assert "Partly known" in row and "deferred (rate limit or read budget): @stale" in row
    assert content.count("Show as table") == 4


def test_paid_partnerships_filter_every_part_of_the_page_and_its_downloads(
    team, member, client_for
):
    synced = seed_synced_team(team)
    paid = synced.posts[:3]
    Post.objects.filter(pk__in=[p.pk for p in paid]).update(paid_partnership=True)
    client = client_for(member)

    response = _get(client, team, "posts=paid")

    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert '<option value="paid" selected>Paid partnerships</option>' in html
    scope = response.context["filters"].scope
    assert scope.posts == PostKind.PAID
    assert {row.post_id for row in response.context["top_posts"]} <= {p.pk for p in paid}
    assert "posts=paid" in response.context["export_query"]

    download = client.get(reverse("team_export_posts", args=[team.slug]) + "?posts=paid")
    rows = list(csv.DictReader(io.StringIO(b"".join(download.streaming_content).decode()[1:])))
    assert rows
    assert sorted(r["post_id"] for r in rows) == sorted(
        str(p.x_post_id) for p in paid if _in_period(p, scope)
    )
    assert "-paid" in download["Content-Disposition"]


def _in_period(post, scope) -> bool:
    """Whether the Post has a daily row in the scope's period (the Posts table's rule)."""
    return post.daily.filter(day__gte=scope.period.start, day__lte=scope.period.end).exists()


def test_a_bad_posts_filter_says_so_and_shows_all_posts(team, member, client_for):
    seed_synced_team(team)

    response = _get(client_for(member), team, "posts=sponsored")

    assert response.context["filters"].scope.posts == PostKind.ALL
    assert "Showing all Posts instead." in response.content.decode()


def test_engagements_show_no_organic_or_promoted_parts_x_never_reports(team, member, client_for):
    seed_synced_team(team)

    html = _get(client_for(member), team).content.decode()

    def card(key):
        start = html.index(f'data-kpi="{key}"')
        return html[start : html.index("</article>", start)]

    for key in ("engagements", "engagement_rate"):
        assert "Organic" not in card(key) and "X does not split this" in card(key)
    assert "Organic" in card("impression_count") and "Promoted" in card("impression_count")
    assert ">new<" not in html
