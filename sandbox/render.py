"""Posts, media and users as X's JSON, with X's rules for who may see private metrics.

Private groups (`non_public_metrics`, `organic_metrics`, `promoted_metrics`, for Posts and media)
follow docs/x-api.md §1.2 and §1.3:
- only the author's own user token sees them, only for Posts created in the last 30 days, and never
  on a retweet (the timeline doc: "all other Posts will receive an error message");
- `promoted_metrics` additionally needs a Post that has been promoted. For a never-promoted Post X
  documents an "empty response" (body UNCERTAIN); the sandbox answers as X's 2022 capture does for
  promoted fields: one Field Authorization Error per sub-field and the Post dropped;
- a Post with any denied field is dropped from `data` (or from `includes.tweets`) with HTTP 200 and
  one *Field Authorization Error* per denied sub-field;
- a video's private metrics follow the Posts that carry it in the answer (UNCERTAIN, X documents
  nothing): visible when one of them may show private metrics, promoted ones when the video has run
  in a promoted Post. Otherwise the media is dropped from `includes.media`, with errors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sandbox import avatars, texts
from sandbox.clock import format_instant
from sandbox.fields import Selection
from sandbox.metrics import MediaMetrics, PostMetrics, media_metrics, post_metrics
from sandbox.problems import field_authorization_error
from sandbox.world import Account, Media, Post, PostKind, World

PRIVATE_WINDOW = timedelta(days=30)
# Sub-fields in alphabetical order: the order of X's lists of Field Authorization Errors.
SPLIT_COUNTS = (
    "impression_count",
    "like_count",
    "reply_count",
    "retweet_count",
    "url_link_clicks",
    "user_profile_clicks",
)
PRIVATE_POST_FIELDS = {
    "non_public_metrics": (
        "engagements",
        "impression_count",
        "url_link_clicks",
        "user_profile_clicks",
    ),
    "organic_metrics": SPLIT_COUNTS,
    "promoted_metrics": SPLIT_COUNTS,
}
PLAYBACK_COUNTS = tuple(f"playback_{q}_count" for q in (0, 100, 25, 50, 75))
PRIVATE_MEDIA_FIELDS = {
    "non_public_metrics": PLAYBACK_COUNTS,
    "organic_metrics": (*PLAYBACK_COUNTS, "view_count"),
    "promoted_metrics": (*PLAYBACK_COUNTS, "view_count"),
}


def x_escape(text: str) -> str:
    """X sends `text` with &, < and > as HTML entities, and nothing else escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass
class Hydrated:
    """The parts of a Post answer: data, includes and partial errors."""

    data: list[dict] = field(default_factory=list)
    includes: dict[str, list[dict]] = field(default_factory=dict)
    errors: list[dict] = field(default_factory=list)
    post_ids: list[str] = field(default_factory=list)  # the Posts in `data`, for billing

    def body(self, single: bool = False) -> dict:
        body: dict = {}
        if self.data:
            body["data"] = self.data[0] if single else self.data
        if self.includes:
            body["includes"] = self.includes
        if self.errors:
            body["errors"] = self.errors
        return body


class Renderer:
    """Renders for one viewer (the token's user) at one instant."""

    def __init__(
        self, world: World, now: datetime, selection: Selection, viewer_id: str, base_url: str
    ) -> None:
        self.world = world
        self.now = now
        self.selection = selection
        self.viewer_id = viewer_id
        self.base_url = base_url  # the sandbox as the client addressed it, for profile images

    # -- authorization --------------------------------------------------------------------------

    def may_see_private(self, post: Post) -> bool:
        return (
            post.author_id == self.viewer_id
            and post.kind is not PostKind.RETWEET
            and self.now - post.created_at < PRIVATE_WINDOW
        )

    def denied_post_fields(self, post: Post) -> list[str]:
        asked = [group for group in PRIVATE_POST_FIELDS if group in self.selection.tweet]
        if not self.may_see_private(post):
            denied = asked
        elif "promoted_metrics" in asked and not post.is_promoted_at(self.now):
            denied = ["promoted_metrics"]
        else:
            denied = []
        return [f"{group}.{name}" for group in denied for name in PRIVATE_POST_FIELDS[group]]

    def denied_media_fields(self, media: Media, shown_carriers: list[Post]) -> list[str]:
        if media.video is None:
            return []  # photos carry no metrics at all
        asked = [group for group in PRIVATE_MEDIA_FIELDS if group in self.selection.media]
        if not any(self.may_see_private(post) for post in shown_carriers):
            denied = asked
        elif "promoted_metrics" in asked and not any(
            post.is_promoted_at(self.now) for post in self.world.carriers(media.key, self.now)
        ):
            denied = ["promoted_metrics"]
        else:
            denied = []
        return [f"{group}.{name}" for group in denied for name in PRIVATE_MEDIA_FIELDS[group]]

    # -- objects --------------------------------------------------------------------------------

    def metrics(self, post: Post) -> PostMetrics:
        # A retweet shows the counts of the Post it reposts.
        source = self.world.post(post.retweeted, self.now) if post.retweeted else post
        # An earlier version of an edited Post counts no more after the edit.
        until = min(filter(None, (self.now, self.world.frozen_at(source.id))))
        return post_metrics(source.profile, source.created_at, until)

    def media_metrics(self, media: Media) -> MediaMetrics:
        assert media.video is not None
        carriers = self.world.carriers(media.key, self.now)
        return media_metrics(media.video, [self.metrics(post) for post in carriers])

    def post(self, post: Post) -> dict:
        wanted = self.selection.tweet
        out: dict = {
            "id": post.id,
            # A long Post's `text` is its first 280 characters; the whole is in `note_tweet`.
            "text": x_escape(post.text[: texts.TEXT_LIMIT]),
            "edit_history_tweet_ids": list(self.world.versions(post.id)),
        }
        if "paid_partnership" in wanted:
            out["paid_partnership"] = post.paid_partnership
        if "note_tweet" in wanted and len(post.text) > texts.TEXT_LIMIT:
            out["note_tweet"] = {"text": x_escape(post.text)}
        if "attachments" in wanted and post.media_keys:
            out["attachments"] = {"media_keys": list(post.media_keys)}
            if post.media_source_ids:
                out["attachments"]["media_source_tweet_id"] = list(post.media_source_ids)
        if "author_id" in wanted:
            out["author_id"] = post.author_id
        if "conversation_id" in wanted:
            out["conversation_id"] = post.conversation_id
        if "created_at" in wanted:
            out["created_at"] = format_instant(post.created_at)
        if "edit_controls" in wanted:
            editable_until = post.created_at + timedelta(hours=1)
            out["edit_controls"] = {
                "edits_remaining": 5,
                "is_edit_eligible": post.kind is PostKind.ORIGINAL,
                "editable_until": format_instant(editable_until),
            }
        if "entities" in wanted and post.link:
            start = len(post.text) - len(post.link)
            slug = f"quartile.example/p/{post.id[-6:]}"
            out["entities"] = {
                "urls": [
                    {
                        "start": start,
                        "end": len(post.text),
                        "url": post.link,
                        "expanded_url": f"https://{slug}",
                        "display_url": slug,
                    }
                ]
            }
        if "in_reply_to_user_id" in wanted and post.in_reply_to_user_id:
            out["in_reply_to_user_id"] = post.in_reply_to_user_id
        if "lang" in wanted:
            out["lang"] = post.lang
        if "possibly_sensitive" in wanted:
            out["possibly_sensitive"] = False
        if "referenced_tweets" in wanted and (post.replied_to or post.retweeted):
            kind, ref = (
                ("retweeted", post.retweeted) if post.retweeted else ("replied_to", post.replied_to)
            )
            out["referenced_tweets"] = [{"type": kind, "id": ref}]
        if "reply_settings" in wanted:
            out["reply_settings"] = "everyone"
        if wanted & {"public_metrics", *PRIVATE_POST_FIELDS}:
            out.update(_metric_objects(self.metrics(post), wanted))
        return out

    def media(self, media: Media) -> dict:
        wanted = self.selection.media
        out: dict = {"media_key": media.key, "type": media.type}
        if "width" in wanted:
            out["width"] = media.width
        if "height" in wanted:
            out["height"] = media.height
        media_id = media.key.split("_", 1)[1]
        if media.video is None:
            if "url" in wanted:
                out["url"] = f"https://pbs.twimg.com/media/Q{media_id[-10:]}.jpg"
            return out
        if "duration_ms" in wanted and media.duration_ms is not None:  # a GIF has none
            out["duration_ms"] = media.duration_ms
        if "preview_image_url" in wanted:
            out["preview_image_url"] = (
                f"https://pbs.twimg.com/ext_tw_video_thumb/{media_id}/pu/img/preview.jpg"
            )
        if "variants" in wanted:
            out["variants"] = [
                {
                    "bit_rate": 2176000,
                    "content_type": "video/mp4",
                    "url": f"https://video.twimg.com/ext_tw_video/{media_id}/pu/vid/"
                    f"{media.width}x{media.height}/video.mp4",
                },
                {
                    "content_type": "application/x-mpegURL",
                    "url": f"https://video.twimg.com/ext_tw_video/{media_id}/pu/pl/playlist.m3u8",
                },
            ]
        if wanted & {"public_metrics", *PRIVATE_MEDIA_FIELDS}:
            out.update(_metric_objects(self.media_metrics(media), wanted))
        return out

    def user(self, account: Account) -> dict:
        wanted = self.selection.user
        out: dict = {"id": account.id, "name": account.persona.name, "username": account.username}
        if "created_at" in wanted:
            out["created_at"] = format_instant(account.created_at)
        if "description" in wanted:
            out["description"] = account.persona.description
        if "profile_image_url" in wanted:
            # X: https://pbs.twimg.com/profile_images/<n>/<name>_normal.jpg; the sandbox serves
            # its own 48x48 avatar in that shape, since pbs.twimg.com has none for these users.
            out["profile_image_url"] = avatars.profile_image_url(self.base_url, account)
        if "protected" in wanted:
            out["protected"] = False
        if "public_metrics" in wanted:
            out["public_metrics"] = {
                "followers_count": account.followers_at(self.now),
                "following_count": account.persona.following,
                "tweet_count": len(self.world.timeline(account, self.now)),
                "listed_count": account.persona.followers // 120,
                "like_count": account.persona.following * 7,
            }
        if "verified" in wanted:
            out["verified"] = False
        if "verified_type" in wanted:
            out["verified_type"] = "none"
        return out

    # -- answers --------------------------------------------------------------------------------

    def hydrate(self, posts: list[Post], parameter: str) -> Hydrated:
        """Render Posts into `data`, expand what was asked, drop what the viewer may not see."""
        result = Hydrated()
        shown: list[Post] = []
        for post in posts:
            denied = self.denied_post_fields(post)
            if denied:
                result.errors += self._errors("tweet", post.id, denied, parameter, "data")
            else:
                shown.append(post)
                result.data.append(self.post(post))
        result.post_ids = [post.id for post in shown]
        expansions = self.selection.expansions
        if "attachments.media_keys" in expansions:
            self._expand_media(shown, result)
        if "referenced_tweets.id" in expansions:
            self._expand_referenced(shown, result)
        if "attachments.media_source_tweet" in expansions:
            self._expand_media_sources(shown, result)
        if expansions & {"author_id", "in_reply_to_user_id"}:
            self._expand_users(shown, result)
        return result

    def _expand_media(self, shown: list[Post], result: Hydrated) -> None:
        keys = list(dict.fromkeys(key for post in shown for key in post.media_keys))
        for key in keys:
            media = self.world.media(key)
            denied = self.denied_media_fields(media, [p for p in shown if key in p.media_keys])
            if denied:
                result.errors += self._errors(
                    "media", key, denied, "attachments.media_keys", "includes"
                )
            else:
                result.includes.setdefault("media", []).append(self.media(media))

    def _expand_referenced(self, shown: list[Post], result: Hydrated) -> None:
        ids = [p.retweeted or p.replied_to for p in shown if p.retweeted or p.replied_to]
        self._include_posts(ids, "referenced_tweets.id", result)

    def _expand_media_sources(self, shown: list[Post], result: Hydrated) -> None:
        ids = [source for post in shown for source in post.media_source_ids]
        self._include_posts(ids, "attachments.media_source_tweet", result)

    def _include_posts(self, ids: list[str], parameter: str, result: Hydrated) -> None:
        """Posts an expansion names, into includes.tweets once each, under the same private-field
        rule as `data` (a Post X may not show privately leaves with errors)."""
        included = {post["id"] for post in result.includes.get("tweets", [])}
        for post_id in dict.fromkeys(ids):
            referenced = self.world.post(post_id, self.now)
            if referenced is None or post_id in included:
                continue
            denied = self.denied_post_fields(referenced)
            if denied:
                result.errors += self._errors("tweet", post_id, denied, parameter, "includes")
            else:
                # Not billed: X bills the Posts an answer returns as data (docs/x-api.md §9).
                result.includes.setdefault("tweets", []).append(self.post(referenced))

    def _expand_users(self, shown: list[Post], result: Hydrated) -> None:
        ids: dict[str, None] = {}
        for post in shown:
            if "author_id" in self.selection.expansions:
                ids[post.author_id] = None
            if "in_reply_to_user_id" in self.selection.expansions and post.in_reply_to_user_id:
                ids[post.in_reply_to_user_id] = None
        accounts = [self.world.account_by_id(user_id) for user_id in ids]
        users = [self.user(account) for account in accounts if account]
        if users:
            result.includes["users"] = users

    @staticmethod
    def _errors(
        resource_type: str, resource_id: str, denied: list[str], parameter: str, section: str
    ) -> list[dict]:
        return [
            field_authorization_error(resource_type, resource_id, name, parameter, section)
            for name in denied
        ]


# Real X leaves these counters out of a Post's private groups when they are 0 (BluebirdPS#159,
# a client library's maintainer: `url_link_clicks` is absent on Posts without a link; 2025
# fixtures of own Posts in constata-eu/asami: `non_public_metrics: {"impression_count": 0}`).
OMITTED_WHEN_ZERO = ("url_link_clicks", "user_profile_clicks")


def _metric_objects(metrics: PostMetrics | MediaMetrics, wanted: frozenset[str]) -> dict:
    """The metric objects of a Post or a media item that the request asked for, by X's names."""
    readers = {
        "public_metrics": metrics.public,
        "non_public_metrics": metrics.non_public,
        "organic_metrics": metrics.organic.as_dict,
        "promoted_metrics": metrics.promoted.as_dict,
    }
    objects = {name: read() for name, read in readers.items() if name in wanted}
    if isinstance(metrics, PostMetrics):
        for name, counts in objects.items():
            if name != "public_metrics":
                for counter in OMITTED_WHEN_ZERO:
                    if counts.get(counter) == 0:
                        del counts[counter]
    return objects
