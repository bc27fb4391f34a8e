"""One Post: its text and media, every metric in every context, growth curves, its funnels."""

import io
import json
from csv import DictReader
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from metrics.models import Context
from tests.factories import XAccountFactory
from tests.metrics.factories import HistoryWriter, PostFactory, sync_ran
from tests.metrics.histories import seed_synced_team

pytestmark = pytest.mark.django_db


def _get(client, team, post):
    return client.get(reverse("team_post_detail", args=[team.slug, post.pk]))


def _figure_ids(content: str) -> list[str]:
    return [part.split('"', 1)[0] for part in content.split('<script id="figure-')[1:]]


@pytest.fixture
def synced(team):
    return seed_synced_team(team)


def test_a_post_page_shows_every_context_growth_and_its_video_funnel(synced, member, client_for):
    post = synced.posts[0]  # promoted, with a video

    response = _get(client_for(member), synced.team, post)

    assert response.status_code == HTTPStatus.OK
    content = response.content.decode()
    assert "Launch day!" in content and "Promoted" in content
    assert post.x_url in content
    for heading in ("Public", "Non-public", "Organic", "Promoted", "After 30 days"):
        assert f">{heading}<" in content
    assert _figure_ids(content) == [
        "growth-impression_count",
        "growth-url_link_clicks",
        "growth-user_profile_clicks",
        f"funnel-{synced.videos[1].pk}",
    ]
    assert "Private metrics are reported until" in content


def test_a_post_past_day_30_says_its_private_metrics_froze(synced, member, client_for):
    content = _get(client_for(member), synced.team, synced.posts[2]).content.decode()

    assert "froze on" in content
    assert "Day 30: split froze" in content


def test_the_growth_curve_is_cumulative_and_a_day_without_a_sync_is_estimated(
    synced, member, client_for
):
    post = synced.posts[3]
    content = _get(client_for(member), synced.team, post).content.decode()
    marker = '<script id="figure-growth-impression_count" type="application/json">'
    start = content.index(marker) + len(marker)
    figure = json.loads(content[start : content.index("</script>", start)])

    organic = next(t for t in figure["data"] if t["name"] == "Organic")
    gap = synced.gap_days["brand"][0].isoformat()
    assert None not in organic["y"]
    assert organic["y"] == sorted(organic["y"])  # cumulative
    # The readings either side of the missed sync bound it: its day is an estimate, not a gap.
    assert organic["y"][organic["x"].index(gap)] > 0


def test_another_teams_post_does_not_exist_here(synced, member, client_for):
    other = PostFactory()

    assert _get(client_for(member), synced.team, other).status_code == HTTPStatus.NOT_FOUND


def test_the_post_page_escapes_its_text(synced, member, client_for):
    content = _get(client_for(member), synced.team, synced.posts[2]).content.decode()

    assert "<script>alert(1)</script>" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content


def test_the_post_page_offers_its_downloads(synced, member, client_for):
    post = synced.posts[0]

    content = _get(client_for(member), synced.team, post).content.decode()

    for kind in ("posts", "daily", "snapshots"):
        url = reverse(f"team_export_{kind}", args=[synced.team.slug])
        assert f"{url}?post={post.pk}" in content


def test_the_post_page_makes_a_few_queries(
    synced, member, client_for, django_assert_max_num_queries
):
    client = client_for(member)
    # The first page ever also keeps the final days' sync outcomes (kept rows, runs, insert).
    with django_assert_max_num_queries(18):
        _get(client, synced.team, synced.posts[0])
    with django_assert_max_num_queries(15):
        _get(client, synced.team, synced.posts[0])


def test_a_post_first_read_after_day_30_says_x_never_reported_its_private_metrics(
    team, member, client_for
):
    account = XAccountFactory(team=team)
    post = PostFactory(account=account, created_at=timezone.now() - timedelta(days=45))
    at = timezone.now() - timedelta(hours=2)
    sync_ran(account, at)
    history = HistoryWriter()
    history.observe_post(post, at, Context.PUBLIC, impression_count=5000)
    history.flush()

    content = _get(client_for(member), team, post).content.decode()

    assert "Connected after day 30: X never reported this Post" in content
    assert "froze on" not in content


def test_a_post_deleted_on_x_says_so_and_shows_nothing_of_it(team, member, client_for):
    account = XAccountFactory(team=team)
    post = PostFactory(account=account, text="", deleted_at=timezone.now())

    response = _get(client_for(member), team, post)

    assert response.status_code == HTTPStatus.OK
    assert b"Deleted on X. As X's Developer Policy requires" in response.content
    assert b"(no text)" not in response.content


def test_an_earlier_version_of_an_edited_post_says_so_and_links_the_latest(
    synced, member, client_for
):
    earlier = synced.posts[4]
    latest = PostFactory(account=earlier.account, text=earlier.text)
    earlier.edited_into = latest
    earlier.save(update_fields=["edited_into"])

    page = _get(client_for(member), synced.team, earlier).content.decode()
    table = client_for(member).get(reverse("team_home", args=[synced.team.slug])).content.decode()
    csv = client_for(member).get(
        reverse("team_export_posts", args=[synced.team.slug]) + "?range=90"
    )

    latest_url = f"{earlier.account.username}/status/{latest.x_post_id}"
    assert "Edited on X: this is an earlier version" in page and latest_url in page
    assert latest_url in table and "Earlier version" in table
    rows = DictReader(io.StringIO(b"".join(csv.streaming_content).decode("utf-8-sig")))
    edited_into = {row["post_id"]: row["edited_into"] for row in rows}
    assert edited_into[str(earlier.x_post_id)] == str(latest.x_post_id)
    assert edited_into[str(synced.posts[0].x_post_id)] == ""
