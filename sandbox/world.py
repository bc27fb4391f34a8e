"""The demo X users and their Posts, generated deterministically from the seed.

How the timeline is anchored: the *anchor* is the sandbox clock at start-up (or
`SandboxConfig.anchor`) floored to the UTC day. Each account's history is `history_posts` Posts
spread evenly (with jitter) over the `history_days` before the anchor; after the anchor the same
account keeps posting at the same average rate, so new Posts appear as the sandbox clock advances.
Post *i* of an account depends only on (seed, username, i) and on Posts created before it, so a
Post never changes once it exists; generated Posts are cached as the clock reaches them. Tests
set the clock explicitly and find Posts relative to `World.anchor`.

Post ids are snowflakes of their creation time (((ms - 1288834974657) << 22) | sequence), so
ordering by id is ordering by time and since_id/until_id work as on X.
"""

from __future__ import annotations

import bisect
import hashlib
import random
import threading
import zlib
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sandbox import texts
from sandbox.metrics import PostProfile, VideoProfile, draw_post_profile, draw_video_profile

TWITTER_EPOCH_MS = 1288834974657
BRAND, SMALL, ARCHIVE = "quartile_brand", "quartile_small", "quartile_arch"


def snowflake(instant: datetime, sequence: int) -> int:
    milliseconds = int(instant.timestamp() * 1000)
    return ((milliseconds - TWITTER_EPOCH_MS) << 22) | (sequence & 0x3FFFFF)


def floor_to_day(instant: datetime) -> datetime:
    return instant.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


class PostKind(StrEnum):
    ORIGINAL = "original"
    REPLY = "reply"
    RETWEET = "retweet"


@dataclass(frozen=True)
class Media:
    key: str
    type: str  # "video", "animated_gif" or "photo"
    owner_id: str
    width: int
    height: int
    duration_ms: int | None = None
    video: VideoProfile | None = None


@dataclass(frozen=True)
class Post:
    id: str
    author_id: str
    created_at: datetime
    text: str  # raw; sandbox.render escapes it as X does
    lang: str
    kind: PostKind
    profile: PostProfile
    conversation_id: str
    media_keys: tuple[str, ...] = ()
    # The Posts its media was first posted in, when it carries another Post's media (X's
    # `attachments.media_source_tweet_id`).
    media_source_ids: tuple[str, ...] = ()
    link: str | None = None
    replied_to: str | None = None
    in_reply_to_user_id: str | None = None
    retweeted: str | None = None
    paid_partnership: bool = False

    def is_promoted_at(self, now: datetime) -> bool:
        return self.profile.is_promoted_at(now)


@dataclass(frozen=True)
class Showcase:
    """A hand-placed brand Post, counted from the end of the history."""

    text: tuple[str, str] | None = None  # (text, lang)
    video: str | None = None  # "new", or "reused" from the Post REUSED_VIDEO_FIRST from the end
    promoted: bool = False


REUSED_VIDEO_FIRST = 40
SHOWCASE = {
    REUSED_VIDEO_FIRST: Showcase(video="new"),
    25: Showcase(promoted=True),
    12: Showcase(video="reused", promoted=True),
    **{3 + n: Showcase(text=special) for n, special in enumerate(texts.SPECIAL_TEXTS)},
}


@dataclass(frozen=True)
class Persona:
    name: str
    description: str
    followers: int
    following: int
    history_posts: int
    history_days: int
    median_reach: int
    video_share: float
    photo_share: float
    promoted_share: float
    reply_share: float
    retweet_share: float
    link_share: float
    showcase: bool = False  # places the SHOWCASE Posts


DEMO_PERSONAS = {
    BRAND: Persona(
        name="Quartile",
        description="Analytics for teams who post. The demo brand of the Quartile sandbox.",
        followers=48_200,
        following=310,
        history_posts=300,
        history_days=120,
        median_reach=2500,
        video_share=1 / 6,
        photo_share=0.12,
        promoted_share=0.1,
        reply_share=0.12,
        retweet_share=0.08,
        link_share=0.45,
        showcase=True,
    ),
    SMALL: Persona(
        name="Quartile Small Biz",
        description="A small account with a handful of Posts.",
        followers=310,
        following=120,
        history_posts=20,
        history_days=120,
        median_reach=150,
        video_share=0.1,
        photo_share=0.2,
        promoted_share=0.0,
        reply_share=0.1,
        retweet_share=0.0,
        link_share=0.3,
    ),
    ARCHIVE: Persona(
        name="Quartile Archive",
        description="A long-running account with more Posts than the timeline reaches.",
        followers=12_800,
        following=900,
        history_posts=3500,
        history_days=240,
        median_reach=700,
        video_share=0.05,
        photo_share=0.1,
        promoted_share=0.02,
        reply_share=0.15,
        retweet_share=0.05,
        link_share=0.4,
    ),
}


def generated_persona(seed: int, username: str, posts: int) -> Persona:
    rng = random.Random(f"{seed}:{username}:persona")
    reach = rng.randint(200, 3000)
    return Persona(
        name=username.replace("_", " ").title(),
        description=f"Generated sandbox account with {posts} Posts.",
        followers=reach * rng.randint(2, 10),
        following=rng.randint(50, 2000),
        history_posts=posts,
        history_days=120,
        median_reach=reach,
        video_share=0.15,
        photo_share=0.15,
        promoted_share=0.05,
        reply_share=0.1,
        retweet_share=0.05,
        link_share=0.4,
    )


@dataclass
class Account:
    id: str
    username: str
    persona: Persona
    created_at: datetime
    history_start: datetime
    interval_seconds: float
    posts: list[Post] = field(default_factory=list)
    times: list[float] = field(default_factory=list)  # created_at timestamps, for bisect

    def followers_at(self, now: datetime) -> int:
        days = max(0.0, (now - self.history_start).total_seconds() / 86400)
        return self.persona.followers + int(days * self.persona.followers * 0.001)


def user_id_for(username: str) -> str:
    digest = hashlib.sha256(f"x-user:{username}".encode()).digest()
    return str(10**15 + int.from_bytes(digest[:8], "big") % (9 * 10**15))


class EditRefused(Exception):
    """X would not let its author edit this Post."""


class PostRefused(Exception):
    """A Post the sandbox cannot make as asked (no such user, or no media to carry)."""


class World:
    def __init__(self, seed: int, anchor: datetime) -> None:
        self.seed = seed
        self.anchor = floor_to_day(anchor)
        self._accounts: dict[str, Account] = {}
        self._accounts_by_id: dict[str, Account] = {}
        self._posts: dict[str, Post] = {}
        self._media: dict[str, Media] = {}
        self._carriers: dict[str, list[str]] = {}
        self._deleted: set[str] = set()  # Posts their author deleted (tests, via /_sandbox)
        # Edits (tests, via /_sandbox): each makes a new Post; the earlier one stops there.
        self._next_version: dict[str, str] = {}
        self._edited_at: dict[str, datetime] = {}
        self._versions: dict[str, tuple[str, ...]] = {}  # any version's id -> every version's
        self._nullcasts: list[str] = []  # promoted-only Posts (tests, via /_sandbox)
        self._added: dict[str, list[Post]] = {}  # Posts made now on a timeline (tests), by author
        self._made = 0  # Posts made by edits, ads and add_post: their ids' sequence numbers
        self._horizon: datetime | None = None
        self._lock = threading.RLock()
        for username, persona in DEMO_PERSONAS.items():
            self._add_account(username, persona)

    # -- accounts -------------------------------------------------------------------------------

    def add_account(self, username: str, posts: int) -> Account:
        with self._lock:
            existing = self._accounts.get(username.lower())
            if existing is not None:
                if existing.persona.history_posts != posts:
                    raise ValueError(
                        f"{username} exists with {existing.persona.history_posts} Posts"
                    )
                return existing
            return self._add_account(username, generated_persona(self.seed, username, posts))

    def _add_account(self, username: str, persona: Persona) -> Account:
        rng = random.Random(f"account:{username}")
        history_start = self.anchor - timedelta(days=persona.history_days)
        account = Account(
            id=user_id_for(username),
            username=username,
            persona=persona,
            created_at=history_start - timedelta(days=rng.randint(365, 3650)),
            history_start=history_start,
            interval_seconds=persona.history_days * 86400 / max(persona.history_posts, 1),
        )
        self._accounts[username.lower()] = account
        self._accounts_by_id[account.id] = account
        if self._horizon is not None:
            self._extend(account, self._horizon)
        return account

    def accounts(self) -> list[Account]:
        with self._lock:
            return list(self._accounts.values())

    def account(self, username: str) -> Account | None:
        return self._accounts.get(username.lower())

    def account_by_id(self, user_id: str) -> Account | None:
        return self._accounts_by_id.get(user_id)

    # -- Posts and media ------------------------------------------------------------------------

    def advance(self, now: datetime) -> None:
        """Generate every Post created up to `now` (once per instant; generated Posts are kept)."""
        with self._lock:
            if self._horizon is not None and now <= self._horizon:
                return
            for account in list(self._accounts.values()):
                self._extend(account, now)
            self._horizon = now

    def timeline(self, account: Account, now: datetime) -> list[Post]:
        """The account's Posts created at or before `now`, oldest first; an edited Post as its
        latest version at `now`, in its original's place (UNCERTAIN: where X lists it)."""
        with self._lock:
            self._extend(account, now)
            posts = account.posts[: bisect.bisect_right(account.times, now.timestamp())]
            added = [post for post in self._added.get(account.id, ()) if post.created_at <= now]
            if added:
                posts = sorted([*posts, *added], key=lambda post: int(post.id))
            return [self._current(p, now) for p in posts if p.id not in self._deleted]

    def _current(self, post: Post, now: datetime) -> Post:
        while post.id in self._next_version and self._edited_at[post.id] <= now:
            post = self._posts[self._next_version[post.id]]
        return post

    def post(self, post_id: str, now: datetime) -> Post | None:
        """A Post that exists at `now` (after `advance(now)`)."""
        post = self._posts.get(post_id)
        exists = post is not None and post.created_at <= now and post_id not in self._deleted
        return post if exists else None

    def delete_post(self, post_id: str) -> bool:
        """Its author deletes the Post: X answers not-found for it from now on, and for every
        version of it ("deleting any version deletes the entire chain", X's edit-posts page)."""
        with self._lock:
            if post_id not in self._posts:
                return False
            self._deleted.update(self.versions(post_id))
            return True

    def undelete_all(self) -> None:
        """Deletions, edits, promoted-only and added Posts undone (a reset)."""
        with self._lock:
            self._deleted.clear()
            for later in self._next_version.values():
                self._posts.pop(later, None)
                for carried in self._carriers.values():
                    if later in carried:
                        carried.remove(later)
            self._next_version.clear()
            self._edited_at.clear()
            self._versions.clear()
            for post_id in self._nullcasts:
                self._posts.pop(post_id, None)
            self._nullcasts.clear()
            for added in self._added.values():
                for post in added:
                    self._posts.pop(post.id, None)
                    for key in post.media_keys:
                        self._carriers[key].remove(post.id)
            self._added.clear()

    def versions(self, post_id: str) -> tuple[str, ...]:
        """Every version's id, oldest first (X's `edit_history_tweet_ids`; UNCERTAIN: an
        earlier version looked up by its own id is given the whole chain too)."""
        return self._versions.get(post_id, (post_id,))

    def frozen_at(self, post_id: str) -> datetime | None:
        """When an earlier version was edited: its counts stop there (X attributes engagement
        to each version)."""
        return self._edited_at.get(post_id)

    def _made_id(self, now: datetime) -> str:
        """The id of a Post made now by an edit, an ad or `add_post`: a sequence of their own,
        so that two made at one instant never share an id. Called under the lock."""
        self._made += 1
        return str(snowflake(now, 2048 + self._made))

    def edit_post(self, post_id: str, text: str, now: datetime) -> Post:
        """Its author edits the Post, as X allows: an original, not promoted, within 30 minutes
        of posting and at most 5 times (X's edit-posts page). The edit is a new Post with a new
        id and the same media, counting from zero."""
        with self._lock:
            post = self.post(post_id, now)
            if post is None:
                raise EditRefused(f"no Post {post_id}")
            if post_id in self._next_version:
                raise EditRefused(f"{post_id} is not the latest version")
            chain = self.versions(post_id)
            original = self._posts[chain[0]]
            if post.kind is not PostKind.ORIGINAL or post.profile.promoted_from is not None:
                raise EditRefused("only original, unpromoted Posts can be edited")
            if now - original.created_at > timedelta(minutes=30) or len(chain) > 5:
                raise EditRefused("Posts can be edited within 30 minutes, up to 5 times")
            edited = replace(post, id=self._made_id(now), text=text, created_at=now)
            self._posts[edited.id] = edited
            for key in edited.media_keys:
                self._carriers[key].append(edited.id)
            self._next_version[post_id], self._edited_at[post_id] = edited.id, now
            for version in (*chain, edited.id):
                self._versions[version] = (*chain, edited.id)
            return edited

    def add_nullcast(self, username: str, text: str, now: datetime) -> Post:
        """A promoted-only ("nullcast") Post of the account, created now: an ad that never
        appears on its timeline and can be read by id only (X Ads API docs, "Nullcasted
        Tweets"; docs/x-api.md §9). Promoted from its first minute; undone by a reset."""
        with self._lock:
            account = self.account(username)
            rng = random.Random(f"{self.seed}:{username}:nullcast:{now.isoformat()}")
            profile = draw_post_profile(
                rng, median_reach=account.persona.median_reach, has_link=True, is_video=False,
                created_at=now, promoted=True,
            )  # fmt: skip
            post_id = self._made_id(now)
            post = Post(
                id=post_id, author_id=account.id, created_at=now, text=text, lang="en",
                kind=PostKind.ORIGINAL, profile=replace(profile, promoted_from=now),
                conversation_id=post_id,
            )  # fmt: skip
            self._posts[post_id] = post
            self._nullcasts.append(post_id)
            return post

    def add_post(
        self, username: str, text: str, now: datetime, media_from: str | None = None
    ) -> Post:
        """An original Post of the account, created now, on its timeline from now on (undone
        by a reset). With `media_from` it carries that Post's media, as X attaches another
        Post's video whose link is pasted in: `attachments.media_source_tweet_id` names the
        Post the media was first posted in (spec 2.166 `Tweet.attachments`)."""
        with self._lock:
            account = self.account(username)
            if account is None:
                raise PostRefused(f"no user {username}")
            self.advance(now)
            source = None if media_from is None else self.post(media_from, now)
            if media_from is not None and (source is None or not source.media_keys):
                raise PostRefused(f"no Post {media_from} with media")
            media_keys = source.media_keys if source else ()
            rng = random.Random(f"{self.seed}:{username}:post:{now.isoformat()}:{text}")
            profile = draw_post_profile(
                rng, median_reach=account.persona.median_reach, has_link=False,
                is_video=any(self._media[key].type == "video" for key in media_keys),
                created_at=now, promoted=False,
            )  # fmt: skip
            post_id = self._made_id(now)
            post = Post(
                id=post_id, author_id=account.id, created_at=now, text=text, lang="en",
                kind=PostKind.ORIGINAL, profile=profile, conversation_id=post_id,
                media_keys=media_keys,
                media_source_ids=(source.media_source_ids or (source.id,)) if source else (),
            )  # fmt: skip
            self._posts[post_id] = post
            for key in media_keys:
                self._carriers[key].append(post_id)
            self._added.setdefault(account.id, []).append(post)
            return post

    def media(self, key: str) -> Media:
        return self._media[key]

    def carriers(self, media_key: str, now: datetime) -> list[Post]:
        """Every Post that carries the media and exists at `now`."""
        with self._lock:
            posts = [
                self._posts[post_id]
                for post_id in self._carriers[media_key]
                if post_id not in self._deleted
            ]
        return [post for post in posts if post.created_at <= now]

    # -- generation -----------------------------------------------------------------------------

    def _created_at(self, account: Account, index: int) -> datetime:
        jitter = random.Random(f"{self.seed}:{account.username}:{index}:time").random()
        offset = (index + 0.9 * jitter) * account.interval_seconds
        return account.history_start + timedelta(seconds=round(offset, 3))

    def _extend(self, account: Account, horizon: datetime) -> None:
        while True:
            created_at = self._created_at(account, len(account.posts))
            if created_at > horizon:
                return
            post = self._build(account, len(account.posts), created_at)
            account.posts.append(post)
            account.times.append(created_at.timestamp())
            self._posts[post.id] = post
            for key in post.media_keys:
                self._carriers.setdefault(key, []).append(post.id)

    def _build(self, account: Account, index: int, created_at: datetime) -> Post:
        persona = account.persona
        rng = random.Random(f"{self.seed}:{account.username}:{index}")
        sequence = (zlib.crc32(account.username.lower().encode()) % 1024) << 12 | index % 4096
        post_id = str(snowflake(created_at, sequence))
        showcase = self._showcase(account, index)
        roll = rng.random()
        if showcase is None and roll < persona.retweet_share:
            retweet = self._retweet(account, post_id, created_at, rng)
            if retweet is not None:
                return retweet
        reply_to = None
        if showcase is None and roll < persona.retweet_share + persona.reply_share:
            reply_to = self._reply_target(account, created_at, rng)
        has_link = showcase is None and rng.random() < persona.link_share
        media_roll = rng.random()
        if showcase is not None and showcase.video == "reused":
            media_keys = (self._showcase_post(account, REUSED_VIDEO_FIRST).media_keys[0],)
        elif (showcase is not None and showcase.video == "new") or (
            showcase is None and media_roll < persona.video_share
        ):
            media_keys = (self._new_media(account, created_at, sequence, "video", rng),)
        elif showcase is None and media_roll < persona.video_share + persona.photo_share:
            media_keys = (self._new_media(account, created_at, sequence, "photo", rng),)
        else:
            media_keys = ()
        if showcase is not None:
            promoted = showcase.promoted
        else:
            promoted = reply_to is None and rng.random() < persona.promoted_share
        if showcase is not None and showcase.text is not None:
            text, lang = showcase.text
        elif reply_to is not None:
            replied_author = self._accounts_by_id[reply_to.author_id]
            mention = None if replied_author is account else replied_author.username
            text, lang = texts.reply_text(rng, mention), "en"
        else:
            text, lang = texts.original_text(rng), "en"
            # One original in ten without a link is a long Post; its own random stream, so the
            # rest of the world stays as it was.
            if not has_link and zlib.crc32(f"{self.seed}:{post_id}:long".encode()) % 10 == 0:
                text = texts.long_text(random.Random(f"{self.seed}:{post_id}:long"))
        link = texts.short_link(rng) if has_link else None
        return Post(
            id=post_id,
            author_id=account.id,
            created_at=created_at,
            text=f"{text} {link}" if link else text,
            lang=lang,
            kind=PostKind.REPLY if reply_to else PostKind.ORIGINAL,
            profile=draw_post_profile(
                rng,
                median_reach=persona.median_reach,
                has_link=has_link,
                is_video=any(self._media[key].type == "video" for key in media_keys),
                created_at=created_at,
                promoted=promoted,
            ),
            conversation_id=reply_to.conversation_id if reply_to else post_id,
            media_keys=media_keys,
            link=link,
            replied_to=reply_to.id if reply_to else None,
            in_reply_to_user_id=reply_to.author_id if reply_to else None,
            # One original in fifteen disclosed as paid promotion, from its own random stream.
            paid_partnership=reply_to is None
            and showcase is None
            and zlib.crc32(f"{self.seed}:{post_id}:paid".encode()) % 15 == 0,
        )

    def _showcase(self, account: Account, index: int) -> Showcase | None:
        """The brand's hand-placed Posts, all within the 30 days before the anchor."""
        if not account.persona.showcase:
            return None
        return SHOWCASE.get(account.persona.history_posts - index)

    def _showcase_post(self, account: Account, from_end: int) -> Post:
        return account.posts[account.persona.history_posts - from_end]

    def _retweet(
        self, account: Account, post_id: str, created_at: datetime, rng: random.Random
    ) -> Post | None:
        """A repost of one of quartile_small's Posts: its public counts are the original's."""
        source_account = self._accounts[SMALL]
        if source_account is account:
            return None
        self._extend(source_account, created_at)
        end = bisect.bisect_right(
            source_account.times, (created_at - timedelta(hours=1)).timestamp()
        )
        if end == 0:
            return None
        source = rng.choice(source_account.posts[max(0, end - 10) : end])
        return Post(
            id=post_id,
            author_id=account.id,
            created_at=created_at,
            text=f"RT @{source_account.username}: {source.text}",
            lang=source.lang,
            kind=PostKind.RETWEET,
            profile=source.profile,
            conversation_id=post_id,
            retweeted=source.id,
        )

    def _reply_target(
        self, account: Account, created_at: datetime, rng: random.Random
    ) -> Post | None:
        """A reply continues one of the account's own recent Posts, or answers quartile_small."""
        small = self._accounts[SMALL]
        if small is not account and rng.random() < 0.3:
            self._extend(small, created_at)
            end = bisect.bisect_right(small.times, created_at.timestamp())
            candidates = small.posts[max(0, end - 5) : end]
        else:
            candidates = [p for p in account.posts[-10:] if p.kind is not PostKind.RETWEET]
        return rng.choice(candidates) if candidates else None

    def _new_media(
        self, account: Account, created_at: datetime, sequence: int, kind: str, rng: random.Random
    ) -> str:
        # Media is uploaded shortly before the Post; its id is a snowflake too.
        media_id = snowflake(created_at - timedelta(seconds=rng.randint(30, 600)), sequence)

        # Quirks drawn from their own streams, so the rest of the world stays as it was.
        def one_in(n: int, quirk: str) -> bool:
            return zlib.crc32(f"{self.seed}:{media_id}:{quirk}".encode()) % n == 0

        if kind == "video":
            width, height = rng.choice(((1280, 720), (720, 1280), (1080, 1080)))
            video = draw_video_profile(rng)
            if one_in(8, "short-starts"):
                short = random.Random(f"{self.seed}:{media_id}:short-starts").uniform(0, 0.6)
                video = replace(video, counted_starts=short)
            media = Media(
                # X's keys: 13_ for videos uploaded through the media API, 7_ for ext_tw_video.
                key=f"{'7' if one_in(4, 'ext') else '13'}_{media_id}",
                type="video",
                owner_id=account.id,
                width=width,
                height=height,
                duration_ms=rng.randint(6, 90) * 1000 + rng.randint(0, 999),
                video=video,
            )
        elif one_in(8, "gif"):
            # An animated GIF (key 16_): X reports view counts for it as for a video
            # (UNCERTAIN: no capture of a GIF's non-public metrics).
            gif = random.Random(f"{self.seed}:{media_id}:gif")
            media = Media(
                key=f"16_{media_id}", type="animated_gif", owner_id=account.id, width=498,
                height=280, video=draw_video_profile(gif),
            )  # fmt: skip
        else:
            media = Media(
                key=f"3_{media_id}", type="photo", owner_id=account.id, width=1200, height=675
            )
        self._media[media.key] = media
        return media.key
