"""What a Post links to and whose media it carries: `entities.urls` and
`attachments.media_source_tweet_id` with the source Posts in `includes.tweets` (spec 2.166)."""

from xapi.parsing import parse_posts_response

ENDPOINT = "GET /2/tweets"


def test_a_posts_links_leave_out_its_medias_own_url():
    body = {"data": [{"id": "1", "text": "read https://t.co/a https://t.co/m", "entities": {
        "urls": [
            {"start": 5, "end": 18, "url": "https://t.co/a", "expanded_url": "https://quartile.example/a"},
            {"start": 19, "end": 32, "url": "https://t.co/m", "media_key": "13_9"},
            {"start": 0, "end": 1, "url": "https://t.co/b"},
        ]}}]}  # fmt: skip

    (post,) = parse_posts_response(body, endpoint=ENDPOINT).posts

    assert post.links == ("https://quartile.example/a", "https://t.co/b")


def test_a_post_without_entities_has_no_links():
    (post,) = parse_posts_response({"data": [{"id": "1", "text": "t"}]}, endpoint=ENDPOINT).posts

    assert post.links == ()
    assert post.media_source_ids == ()


def test_reused_media_names_its_source_post_whose_author_comes_in_includes():
    body = {
        "data": [{"id": "2", "text": "look", "author_id": "10",
                  "attachments": {"media_keys": ["13_9"], "media_source_tweet_id": ["1"]}}],
        "includes": {"tweets": [{"id": "1", "text": "my video", "author_id": "20"},
                                {"id": "3"}, "not a Post"]},
    }  # fmt: skip

    page = parse_posts_response(body, endpoint=ENDPOINT)

    (post,) = page.posts
    assert post.media_source_ids == ("1",)
    assert list(page.included_posts) == ["1"]  # the ones X sent without a text are skipped
    assert page.included_posts["1"].author_id == "20"
