"""Metric groups map to tweet.fields, media expansion and media.fields (docs/x-api.md §1.1)."""

from tests.xapi.fake_x import Canned
from xapi import MetricGroup, OAuth2UserAuth, XClient
from xapi.fields import post_query_params

ALWAYS = (
    "created_at,author_id,attachments,referenced_tweets,in_reply_to_user_id,conversation_id,"
    "note_tweet,paid_partnership"
)


def test_public_metrics_with_media():
    params = post_query_params(metrics=MetricGroup.PUBLIC, with_media=True)

    assert params == {
        "tweet.fields": f"{ALWAYS},public_metrics",
        "expansions": "attachments.media_keys",
        "media.fields": "type,duration_ms,preview_image_url,url,public_metrics",
    }


def test_private_groups_apply_to_posts_and_media_alike():
    groups = MetricGroup.PUBLIC | MetricGroup.NON_PUBLIC | MetricGroup.ORGANIC

    params = post_query_params(metrics=groups, with_media=True)

    metrics = "public_metrics,non_public_metrics,organic_metrics"
    assert params["tweet.fields"] == f"{ALWAYS},{metrics}"
    assert params["media.fields"] == f"type,duration_ms,preview_image_url,url,{metrics}"


def test_promoted_alone_asks_for_promoted_metrics_only():
    params = post_query_params(metrics=MetricGroup.PROMOTED, with_media=False)

    assert params == {"tweet.fields": f"{ALWAYS},promoted_metrics"}


def test_without_media_there_is_no_expansion():
    params = post_query_params(metrics=MetricGroup.PUBLIC, with_media=False)

    assert "expansions" not in params
    assert "media.fields" not in params


def test_links_and_media_sources_are_asked_only_when_wanted():
    params = post_query_params(
        metrics=MetricGroup.PUBLIC, with_media=True, with_links=True, with_media_sources=True
    )

    assert params["tweet.fields"] == f"{ALWAYS},entities,public_metrics"
    assert params["expansions"] == "attachments.media_keys,attachments.media_source_tweet"
    alone = post_query_params(metrics=MetricGroup.PUBLIC, with_media=False, with_media_sources=True)
    assert alone["expansions"] == "attachments.media_source_tweet"
    assert "media.fields" not in alone


def test_get_me_asks_for_the_avatar_and_the_post_count(fake_x, endpoints, http):
    body = {"data": {"id": "1", "username": "u", "name": "n", "public_metrics": {"tweet_count": 7}}}
    fake_x.on("GET /2/users/me", Canned(body=body))

    with XClient(
        auth=OAuth2UserAuth(get_access_token=lambda: "a"), endpoints=endpoints, http=http
    ) as client:
        me = client.get_me()

    assert fake_x.requests[0].query == {"user.fields": "profile_image_url,public_metrics"}
    assert me.post_count == 7
