"""Videos: each video once by media key, its funnels and the Posts that carry it."""

from http import HTTPStatus

import pytest
from django.core.cache import cache
from django.urls import reverse

from tests.factories import XAccountFactory
from tests.metrics.histories import seed_synced_team

pytestmark = pytest.mark.django_db


def _get(client, team, query=""):
    return client.get(reverse("team_videos", args=[team.slug]) + (f"?{query}" if query else ""))


def test_a_video_carried_by_two_posts_is_listed_once_with_both(team, member, client_for):
    synced = seed_synced_team(team)
    shared = synced.videos[0]

    content = _get(client_for(member), team).content.decode()

    assert content.count(f'data-media="{shared.media_key}"') == 1
    row = content[content.index(f'data-media="{shared.media_key}"') :]
    row = row[: row.index("</tr>")]
    assert "Behind the scenes video" in row and "Our team at the conference" in row
    # Named by the first Post that carries it, X's media key beside it in small.
    name = row[row.index('<th scope="row">') : row.index("</th>")]
    assert '<span class="video-name">' in name and shared.media_key in name
    assert name.index("video-name") < name.index(shared.media_key)
    assert '<script id="figure-funnel"' in content and '<script id="figure-views"' in content


def test_video_hover_labels_escape_post_text(team, member, client_for):
    synced = seed_synced_team(team)
    synced.posts[3].text = "<b>bold</b> & <script>x</script>"
    synced.posts[3].save()

    content = _get(client_for(member), team).content.decode()

    # json_script escapes < > & again; decoded, the figure holds &lt;b&gt; (shown as text).
    assert "\\u0026lt;b\\u0026gt;bold" in content
    assert "<b>bold</b>" not in content


def test_without_videos_the_page_says_what_to_do(team, member, client_for):
    XAccountFactory(team=team)

    response = _get(client_for(member), team)

    assert response.status_code == HTTPStatus.OK
    assert "No videos yet" in response.content.decode()


def test_the_videos_page_makes_a_constant_number_of_queries(
    team, member, client_for, django_assert_max_num_queries
):
    seed_synced_team(team)
    client = client_for(member)
    cache.clear()
    with django_assert_max_num_queries(17):  # and keeps the final days' sync outcomes
        _get(client, team, "range=90")
    cache.clear()
    with django_assert_max_num_queries(15):
        _get(client, team, "range=90&mode=created")
