"""Response bodies become typed records; what X did not send is None, never 0."""

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from tests.xapi.fake_x import load_sample
from xapi import (
    MediaPlaybackMetrics,
    MediaPublicMetrics,
    PostContextMetrics,
    PostNonPublicMetrics,
    PostPublicMetrics,
)
from xapi.parsing import parse_posts_response, parse_user_response

ENDPOINT = "GET /2/tweets"


def parse(sample_name):
    return parse_posts_response(load_sample(sample_name)["body"], endpoint=ENDPOINT)


def test_it_parses_the_public_metrics_sample_with_its_video():
    page = parse("metrics_public_video")

    (post,) = page.posts
    assert post.id == "1204084171334832128"
    assert post.text.startswith("Tired of reading? We\u2019ve got you covered.")
    assert post.public_metrics == PostPublicMetrics(
        retweet_count=9,
        reply_count=2,
        like_count=49,
        quote_count=1,
        bookmark_count=None,
        impression_count=None,
    )
    assert post.media_keys == ("13_1204080851740315648",)
    (video,) = page.media_of(post)
    assert video.type == "video"
    assert video.public_metrics == MediaPublicMetrics(view_count=1808)


def test_absent_metric_groups_are_none_not_zero():
    (post,) = parse("metrics_public_video").posts

    assert post.non_public_metrics is None
    assert post.organic_metrics is None
    assert post.promoted_metrics is None


def test_it_parses_the_private_metrics_sample_whose_data_is_one_object():
    page = parse("metrics_private_video")

    (post,) = page.posts
    assert post.id == "1263145271946551300"
    assert post.public_metrics is None
    assert post.non_public_metrics == PostNonPublicMetrics(
        impression_count=956, url_link_clicks=9, user_profile_clicks=34, engagements=None
    )
    assert post.organic_metrics == PostContextMetrics(
        impression_count=956,
        like_count=49,
        reply_count=2,
        retweet_count=9,
        url_link_clicks=9,
        user_profile_clicks=34,
    )
    video = page.media["13_1204080851740315648"]
    assert video.non_public_metrics == MediaPlaybackMetrics(
        playback_0_count=0,
        playback_25_count=2,
        playback_50_count=1,
        playback_75_count=1,
        playback_100_count=1,
        view_count=None,
    )
    assert video.organic_metrics.view_count == 1
    assert video.public_metrics is None


def test_a_zero_that_x_sent_stays_zero():
    video = parse("metrics_private_video").media["13_1204080851740315648"]

    assert video.non_public_metrics.playback_0_count == 0


def test_it_parses_the_doc_video_example():
    page = parse("metrics_video_doc_example")

    (post,) = page.posts
    (video,) = page.media_of(post)
    assert video.public_metrics.view_count == 12543
    assert video.non_public_metrics.playback_100_count == 3210


def test_it_parses_bookmark_and_impression_counts_and_media_organic_views():
    page = parse("metrics_public_doc_example")

    (post,) = page.posts
    assert post.public_metrics.bookmark_count == 8
    assert post.public_metrics.impression_count == 5432
    (video,) = page.media_of(post)
    assert video.organic_metrics.view_count == 629
    assert video.organic_metrics.playback_25_count == 559


def test_repost_count_is_read_as_retweet_count():
    body = {
        "data": [
            {"id": "1", "text": "t", "public_metrics": {"repost_count": 7, "like_count": 3}},
        ]
    }

    (post,) = parse_posts_response(body, endpoint=ENDPOINT).posts

    assert post.public_metrics.retweet_count == 7
    assert post.public_metrics.quote_count is None


def test_text_is_html_unescaped_exactly_once():
    body = {"data": [{"id": "1", "text": "a &amp;lt; b &amp; c &gt; d"}]}

    (post,) = parse_posts_response(body, endpoint=ENDPOINT).posts

    assert post.text == "a &lt; b & c > d"


def test_created_at_becomes_an_aware_utc_datetime():
    body = {"data": [{"id": "1", "text": "t", "created_at": "2019-12-09T16:41:23.000Z"}]}

    (post,) = parse_posts_response(body, endpoint=ENDPOINT).posts

    assert post.created_at == datetime(2019, 12, 9, 16, 41, 23, tzinfo=UTC)
    assert post.created_at.tzinfo is UTC


def test_replies_and_retweets_are_recognised():
    body = {
        "data": [
            {"id": "1", "text": "a reply", "in_reply_to_user_id": "9"},
            {"id": "2", "text": "RT", "referenced_tweets": [{"type": "retweeted", "id": "5"}]},
            {"id": "3", "text": "quote", "referenced_tweets": [{"type": "quoted", "id": "5"}]},
        ]
    }

    reply, retweet, quote = parse_posts_response(body, endpoint=ENDPOINT).posts

    assert (reply.is_reply, reply.is_retweet) == (True, False)
    assert (retweet.is_reply, retweet.is_retweet) == (False, True)
    assert (quote.is_reply, quote.is_retweet) == (False, False)


def test_an_empty_page_has_no_posts_and_keeps_its_meta():
    body = {"meta": {"result_count": 0, "next_token": "7140dibdnow9c7btw4"}}

    page = parse_posts_response(body, endpoint=ENDPOINT)

    assert page.posts == ()
    assert page.meta.result_count == 0
    assert page.meta.next_token == "7140dibdnow9c7btw4"


def test_me_becomes_a_user():
    body = {"data": {"id": "6253282", "name": "X API", "username": "xapi", "extra": 1}}

    user = parse_user_response(body, endpoint="GET /2/users/me")

    assert (user.id, user.username, user.name, user.profile_image_url) == (
        "6253282",
        "xapi",
        "X API",
        None,
    )


@given(
    metrics=st.dictionaries(
        st.text(max_size=20),
        st.one_of(st.none(), st.integers(), st.text(max_size=5), st.booleans()),
        max_size=8,
    )
)
def test_unknown_keys_and_odd_values_never_break_parsing(metrics):
    body = {
        "data": [{"id": "1", "text": "t", "public_metrics": metrics, "organic_metrics": metrics}],
        "includes": {"media": [{"media_key": "3_1", "public_metrics": metrics, "new": {}}]},
        "unknown_top_level": [1, 2],
    }

    page = parse_posts_response(body, endpoint=ENDPOINT)

    (post,) = page.posts
    counts = [getattr(post.public_metrics, name) for name in PostPublicMetrics.__slots__]
    assert all(count is None or isinstance(count, int) for count in counts)
    assert not any(isinstance(count, bool) for count in counts)


def test_a_click_counter_x_left_out_of_a_group_it_sent_is_zero():
    """Real X omits `url_link_clicks` (no link) and `user_profile_clicks` when they are 0."""
    body = {
        "data": [
            {
                "id": "1",
                "text": "no link here",
                "non_public_metrics": {"impression_count": 0},
                "organic_metrics": {"impression_count": 40, "like_count": 2, "reply_count": 0,
                                    "retweet_count": 0, "user_profile_clicks": "x"},
            }
        ]
    }  # fmt: skip

    (post,) = parse_posts_response(body, endpoint=ENDPOINT).posts

    assert post.non_public_metrics == PostNonPublicMetrics(
        impression_count=0, url_link_clicks=0, user_profile_clicks=0, engagements=None
    )
    assert post.organic_metrics.url_link_clicks == 0
    assert post.organic_metrics.user_profile_clicks is None  # sent, but unreadable: not a zero
    assert post.promoted_metrics is None  # a group X did not send stays unknown


def test_the_record_says_which_counters_x_left_out():
    body = {"data": [{"id": "1", "text": "t",
                      "non_public_metrics": {"impression_count": 5, "user_profile_clicks": 0},
                      "organic_metrics": {"impression_count": 5, "url_link_clicks": 1,
                                          "user_profile_clicks": 2}}]}  # fmt: skip

    (post,) = parse_posts_response(body, endpoint=ENDPOINT).posts

    assert post.non_public_metrics.omitted == {"url_link_clicks"}  # a 0 X sent is not omitted
    assert post.organic_metrics.omitted == frozenset()


def test_a_long_posts_whole_text_comes_from_note_tweet():
    whole = "A long Post &amp; more. " * 20
    body = {"data": [{"id": "1", "text": whole[:280], "note_tweet": {"text": whole}},
                     {"id": "2", "text": "short", "note_tweet": "not an object"}]}  # fmt: skip

    long, short = parse_posts_response(body, endpoint=ENDPOINT).posts

    assert long.text == ("A long Post & more. " * 20)
    assert short.text == "short"


def test_an_edited_post_names_the_versions_it_replaces():
    """X's edit-posts page: each edit creates a new id; the ids come oldest first."""
    body = {"data": [
        {"id": "12", "text": "Updated (edited)", "edit_history_tweet_ids": ["10", "11", "12"]},
        {"id": "10", "text": "Original", "edit_history_tweet_ids": ["10", "11", "12"]},
        {"id": "20", "text": "Never edited", "edit_history_tweet_ids": ["20"]},
        {"id": "30", "text": "Malformed", "edit_history_tweet_ids": "30"},
    ]}  # fmt: skip

    latest, original, plain, malformed = parse_posts_response(body, endpoint=ENDPOINT).posts

    assert latest.edit_history == ("10", "11", "12")
    assert latest.earlier_versions == ("10", "11")
    assert original.earlier_versions == ()  # an earlier version looked up by its own id
    assert plain.earlier_versions == malformed.earlier_versions == ()
