"""The X probe: what no public capture settles, asked of real X once, with an account's own
credentials (`python manage.py x_probe`), and set beside what Quartile assumes.

Each question is one function that returns a `Finding`: what X answered, what the product
assumes, and whether they agree. A question that cannot be asked (no Post older than 31 days,
no video of another account, no Bearer token) says why instead of failing; X's errors become
findings too. Tests run it against the sandbox only, never against X.

It spends as few Post reads as it can: one page of the timeline under 30 days (public fields,
with links and reused media's sources), one page of 5 beyond day 31, then lookups of the few
Posts chosen from them. `max_post_reads` is the most X can bill for it all; X bills a Post once
per UTC day, so Posts already read today (by a sync) may cost nothing more.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import xapi

POST_READ_PRICE = xapi.pricing.POST_READ  # the probe's timeline reads are not Owned Reads
PUBLIC = xapi.MetricGroup.PUBLIC
PRIVATE = PUBLIC | xapi.MetricGroup.NON_PUBLIC | xapi.MetricGroup.ORGANIC
PROMOTED = xapi.MetricGroup.PROMOTED

PRIVATE_WINDOW = timedelta(days=30)  # X's line for private metrics (docs/x-api.md §1.2)
YOUNG_MARGIN = timedelta(hours=1)  # a young Post must stay young until it is looked up
OLD_AGE = timedelta(days=31)  # "day 31 and after": well past the line, whatever the clocks
DEFAULT_SCAN = 20  # young Posts read to find the ones the questions need
OLD_PAGE = xapi.client.MIN_TIMELINE_PAGE  # 5: the smallest page X serves
PRIVATE_BATCH = 3  # young Posts looked up with private metrics (questions 2-4)
VIDEO_KEY_PREFIXES = ("7_", "13_")  # X's video media keys (docs/x-api.md §9)


class Agreement(enum.StrEnum):
    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Finding:
    number: int
    question: str
    finding: str
    assumption: str
    agrees: Agreement
    answered: bool = True  # False: it could not be asked; `finding` says why


QUESTIONS = {
    1: (
        "Private metrics of an own Post past day 30, through GET /2/tweets?ids=",
        "X refuses them: the Post is dropped from data with a Field Authorization Error per "
        "sub-field (docs/x-api.md §1.3, §8), so a sync never asks for them past day 30.",
    ),
    2: (
        "promoted_metrics of a Post never promoted",
        "X drops the Post from an answer that asks for them (docs: 'an empty response'), so a "
        "sync asks only for Posts whose non-public impressions exceed their organic ones.",
    ),
    3: (
        "Private metrics of another account's video on an own Post under 30 days",
        "X returns them as for the account's own videos, and a sync stores the video with the "
        "account (the sandbox's rule: a video's private metrics follow the Posts carrying it).",
    ),
    4: (
        "Zero counters in the private metrics of a Post without a link",
        "X leaves url_link_clicks (and user_profile_clicks at 0) out of a private group it "
        "sends; a counter absent from a group X did send is read as 0.",
    ),
    5: (
        "A Post read by the timeline, then by GET /2/tweets on the same UTC day: billed once?",
        "Once: X bills a Post once per UTC day whichever endpoint reads it, so the planner "
        "counts a Post read today as free (metrics/planner.py); the sandbox bills so.",
    ),
}


def finding(number: int, text: str, agrees: Agreement, *, answered: bool = True) -> Finding:
    question, assumption = QUESTIONS[number]
    return Finding(number, question, text, assumption, agrees, answered)


def cannot_answer(number: int, why: str) -> Finding:
    return finding(number, f"Cannot answer: {why}", Agreement.UNKNOWN, answered=False)


def max_post_reads(*, scan: int = DEFAULT_SCAN, video_post: bool = False) -> int:
    """The most Post reads X can bill for one probe: both pages, and every lookup."""
    lookups = 1 + 1 + PRIVATE_BATCH + 1  # question 5, question 1, questions 2-4, question 2
    return scan + OLD_PAGE + lookups + (1 if video_post else 0)


def cost(reads: int) -> Decimal:
    return xapi.pricing.post_reads_cost(reads)


# -- what X answered, in words ---------------------------------------------------------------


def _age(post: xapi.Post, now: datetime) -> str:
    if post.created_at is None:
        return "of unknown age"
    return f"{(now - post.created_at).days} days old"


def _errors_about(page: xapi.Page, resource_id: str) -> list[xapi.PartialError]:
    return [error for error in page.errors if error.resource_id == resource_id]


def _describe_errors(errors: list[xapi.PartialError]) -> str:
    titles = sorted({error.title or error.type_suffix for error in errors})
    fields_ = [error.field for error in errors if error.field]
    named = f" ({', '.join(fields_[:4])}{', …' if len(fields_) > 4 else ''})" if fields_ else ""
    return f"{len(errors)} {' / '.join(titles)}{'s' if len(errors) > 1 else ''}{named}"


def _count_names(metrics: object) -> list[str]:
    return [f.name for f in fields(metrics) if f.name != "omitted"]


def _counts(metrics: object) -> str:
    """A metrics record as X sent it: the counters it sent, then those it left out."""
    if metrics is None:
        return "absent"
    omitted = getattr(metrics, "omitted", frozenset())
    sent = [name for name in _count_names(metrics) if name not in omitted]
    shown = ", ".join(f"{name} {getattr(metrics, name)}" for name in sent)
    return "{" + shown + (f"; left out: {', '.join(sorted(omitted))}" if omitted else "") + "}"


def _returned(page: xapi.Page, post_id: str) -> xapi.Post | None:
    return next((post for post in page.posts if post.id == post_id), None)


# -- the questions, as pure readings of X's answers -------------------------------------------


def read_old_post(post: xapi.Post, page: xapi.Page, now: datetime) -> Finding:
    """Question 1, from the answer to a private lookup of an own Post past day 30."""
    what = f"Post {post.id} ({_age(post, now)})"
    returned = _returned(page, post.id)
    errors = _errors_about(page, post.id)
    if returned is None:
        if errors and all(error.is_field_authorization_error for error in errors):
            return finding(1, f"X dropped {what} with {_describe_errors(errors)}.", Agreement.YES)
        if errors:
            return finding(
                1, f"X did not return {what}: {_describe_errors(errors)}.", Agreement.UNKNOWN
            )
        return finding(1, f"X answered with neither {what} nor an error.", Agreement.UNKNOWN)
    if returned.non_public_metrics or returned.organic_metrics:
        text = (
            f"X returned the private metrics of {what}: non_public_metrics "
            f"{_counts(returned.non_public_metrics)}; organic_metrics "
            f"{_counts(returned.organic_metrics)}."
        )
        return finding(1, text, Agreement.NO)
    said = f", with {_describe_errors(errors)}" if errors else ", and no error"
    return finding(1, f"X returned {what} without its private groups{said}.", Agreement.NO)


def read_promoted(post: xapi.Post, page: xapi.Page, now: datetime) -> Finding:
    """Question 2, from the answer to a promoted_metrics lookup of a never-promoted Post."""
    what = f"Post {post.id} ({_age(post, now)}, non-public impressions equal to organic ones)"
    returned = _returned(page, post.id)
    errors = _errors_about(page, post.id)
    if returned is None:
        if errors and all(error.is_field_authorization_error for error in errors):
            return finding(2, f"X dropped {what} with {_describe_errors(errors)}.", Agreement.YES)
        if not page.errors and not page.posts:
            text = f"X answered nothing for {what}: no Post, no error (X's 'empty response')."
            return finding(2, text, Agreement.YES)
        return finding(
            2, f"X did not return {what}: {_describe_errors(errors)}.", Agreement.UNKNOWN
        )
    promoted = returned.promoted_metrics
    if promoted is None:
        return finding(2, f"X returned {what} and left promoted_metrics out.", Agreement.NO)
    if all(getattr(promoted, name) == 0 for name in _count_names(promoted)):
        return finding(2, f"X returned {what} with promoted_metrics all 0.", Agreement.NO)
    text = (
        f"X returned {what} with promoted_metrics {_counts(promoted)}: was it promoted after all?"
    )
    return finding(2, text, Agreement.UNKNOWN)


def read_reused_video(post: xapi.Post, media_key: str, page: xapi.Page, now: datetime) -> Finding:
    """Question 3, from the answer to a private lookup of an own Post carrying another account's
    video."""
    what = f"video {media_key} on Post {post.id} ({_age(post, now)})"
    returned = _returned(page, post.id)
    if returned is None:
        errors = _errors_about(page, post.id)
        said = _describe_errors(errors) if errors else "no error"
        return finding(3, f"X dropped Post {post.id} itself: {said}.", Agreement.NO)
    video = page.media.get(media_key)
    if video is None:
        errors = _errors_about(page, media_key)
        if errors:
            text = f"X left the {what} out of includes.media with {_describe_errors(errors)}."
            return finding(3, text, Agreement.NO)
        return finding(
            3, f"X returned the Post without the {what}, and no error.", Agreement.UNKNOWN
        )
    if video.non_public_metrics or video.organic_metrics:
        text = (
            f"X returned the private metrics of the {what}: non_public_metrics "
            f"{_counts(video.non_public_metrics)}."
        )
        return finding(3, text, Agreement.YES)
    return finding(3, f"X returned the {what} without its private groups.", Agreement.NO)


def read_zero_counters(post: xapi.Post, page: xapi.Page, now: datetime) -> Finding:
    """Question 4, from the answer to a private lookup of an own Post without a link."""
    what = f"Post {post.id} ({_age(post, now)}, no link)"
    returned = _returned(page, post.id)
    if returned is None:
        errors = _errors_about(page, post.id)
        said = _describe_errors(errors) if errors else "no error"
        return finding(4, f"X did not return {what}: {said}.", Agreement.UNKNOWN)
    groups = {
        "non_public_metrics": returned.non_public_metrics,
        "organic_metrics": returned.organic_metrics,
    }
    if not any(groups.values()):
        return finding(4, f"X returned {what} without private groups.", Agreement.UNKNOWN)
    sent = {name: group for name, group in groups.items() if group is not None}
    said = "; ".join(f"{name} {_counts(group)}" for name, group in sent.items())
    non_public, organic = returned.non_public_metrics, returned.organic_metrics
    unpromoted = bool(
        non_public and organic and non_public.impression_count == organic.impression_count
    )
    if unpromoted:
        # Unpromoted, the two groups count the same clicks: a counter left out of one while the
        # other says more than 0 was not a 0.
        for counter in xapi.PostNonPublicMetrics.OMITTED_WHEN_ZERO:
            for left, other in ((non_public, organic), (organic, non_public)):
                if counter in left.omitted and getattr(other, counter):
                    text = (
                        f"X left {counter} out of one group of {what}, not 0 in the other: {said}."
                    )
                    return finding(4, text, Agreement.NO)
    if all("url_link_clicks" in group.omitted for group in sent.values()):
        return finding(4, f"X left url_link_clicks out, as assumed: {said}.", Agreement.YES)
    text = (
        f"X sent url_link_clicks on {what}, so it does not leave that 0 out: {said}. Reading an "
        "absent counter as 0 stays harmless; the sandbox leaving it out is not what X does."
    )
    return finding(4, text, Agreement.NO)


# -- the run ----------------------------------------------------------------------------------


@dataclass
class Spent:
    """What the probe asked of X: requests, and the Posts X returned (what it may bill)."""

    requests: int = 0
    usage_requests: int = 0
    posts_returned: int = 0
    usage_moved: int | None = None  # X's own count of the reads billed meanwhile, if it told

    @property
    def cost_at_most(self) -> Decimal:
        return cost(self.posts_returned)


@dataclass
class _Usage:
    """Snapshots of X's usage counts, and why they could not be read."""

    client: xapi.XClient | None
    problem: str | None = None

    def reads(self) -> int | None:
        """The project's Post reads so far (this cycle's, or today's), None when unreadable."""
        if self.client is None or self.problem:
            return None
        try:
            usage = self.client.get_usage(days=1)
        except xapi.XError as error:
            self.problem = f"GET /2/usage/tweets failed: {error}"
            return None
        reads = usage.project_usage
        if reads is None:
            reads = usage.project_reads_on(self.client.server_now().astimezone(UTC).date())
        if reads is None:
            self.problem = "X's usage answer had no count of reads"
        return reads


@dataclass
class Probe:
    """One run of the five questions for one account.

    `client` reads as the account's user; `app_client` (or None) reads the usage as the app.
    `usage_wait` is how long, in seconds, X's usage counts are given to show a read.
    """

    client: xapi.XClient
    user_id: str
    app_client: xapi.XClient | None = None
    scan: int = DEFAULT_SCAN
    video_post: str | None = None
    usage_wait: float = 180.0
    poll_every: float = 20.0
    sleep: Callable[[float], None] = time.sleep
    spent: Spent = field(default_factory=Spent)

    def run(self) -> list[Finding]:
        """The five findings, in order. Question 5 is asked first: the later lookups would move
        the usage it compares."""
        usage = _Usage(self.app_client)
        if self.app_client is None:
            usage.problem = "no Bearer token: X_BEARER_TOKEN is not set"
        before = usage.reads()
        young, young_error = self._young_page()
        started_on = self._today()  # X's day, from its answer
        old, old_error = self._old_page()
        pages = [page for page in (young, old) if page is not None]
        returned = sum(len(page.posts) for page in pages)
        counted = None
        if before is not None:  # X's count once it shows the pages' reads, or when time is up
            counted = self._poll(usage, lambda count: count >= before + returned)

        findings = [self._question_5(usage, before, counted, returned, pages, started_on)]
        findings.append(self._question_1(old, old_error))
        findings += self._questions_2_to_4(young, young_error)
        after = usage.reads() if before is not None else None
        if after is not None:
            self.spent.usage_moved = after - before
        self.spent.requests = sum(self.client.requests_sent.values())
        if self.app_client is not None:
            self.spent.usage_requests = sum(self.app_client.requests_sent.values())
        return sorted(findings, key=lambda f: f.number)

    # -- pages ------------------------------------------------------------------------------

    def _young_page(self) -> tuple[xapi.Page | None, str | None]:
        # Our clock may differ from X's a little: a day's margin, then X's own clock decides.
        start = datetime.now(UTC) - PRIVATE_WINDOW + timedelta(days=1)
        return self._page(
            "reading the timeline under 30 days",
            lambda: self.client.iter_timeline(
                user_id=self.user_id, metrics=PUBLIC, exclude=("retweets",),
                max_results=self.scan, start_time=start, with_links=True,
                with_media_sources=True,
            ),
        )  # fmt: skip

    def _old_page(self) -> tuple[xapi.Page | None, str | None]:
        end = self.client.server_now() - OLD_AGE
        return self._page(
            "reading the timeline past day 31",
            lambda: self.client.iter_timeline(
                user_id=self.user_id, metrics=PUBLIC, with_media=False, exclude=("retweets",),
                max_results=OLD_PAGE, end_time=end,
            ),
        )  # fmt: skip

    def _page(self, doing: str, pages: Callable) -> tuple[xapi.Page | None, str | None]:
        """The first page only: the questions need a few Posts, not the timeline."""
        try:
            page = next(iter(pages()), xapi.Page())
        except xapi.XError as error:
            return None, f"{doing} failed: {error}"
        self.spent.posts_returned += len(page.posts)
        return page, None

    def _lookup(self, ids: list[str], metrics: xapi.MetricGroup, **options) -> xapi.Page:
        page = self.client.lookup_posts(ids=ids, metrics=metrics, **options)
        self.spent.posts_returned += len(page.posts)
        return page

    def _now(self) -> datetime:
        return self.client.server_now()

    def _today(self) -> date:
        return self._now().astimezone(UTC).date()

    # -- question 5 -------------------------------------------------------------------------

    def _poll(self, usage: _Usage, until: Callable[[int], bool]) -> int | None:
        """X's usage count once `until` holds for it, or the last one read when `usage_wait` is
        over (None when it could not be read)."""
        waited, count = 0.0, usage.reads()
        while count is not None and not until(count) and waited < self.usage_wait:
            self.sleep(self.poll_every)
            waited += self.poll_every
            count = usage.reads()
        return count

    def _question_5(
        self,
        usage: _Usage,
        before: int | None,
        counted: int | None,
        returned: int,
        pages: list[xapi.Page],
        started_on: date,
    ) -> Finding:
        if before is None or counted is None:
            return cannot_answer(5, usage.problem or "X's usage could not be read")
        candidates = [post for page in pages for post in page.posts]
        if not candidates:
            return cannot_answer(5, "the timeline returned no Post to read again")
        if counted != before + returned:
            return finding(
                5,
                f"Unknown: the timeline returned {returned} Posts and X's usage moved by "
                f"{counted - before} within {self.usage_wait:.0f} s. Some were billed earlier "
                "today (a sync?), other reads ran meanwhile, or X's counts lag: pause the syncs "
                "and run the probe again, early in a UTC day.",
                Agreement.UNKNOWN,
            )
        post = candidates[-1]
        try:
            page = self._lookup([post.id], PUBLIC, with_media=False)
        except xapi.XError as error:
            return cannot_answer(5, f"GET /2/tweets failed: {error}")
        if _returned(page, post.id) is None:
            return cannot_answer(5, f"GET /2/tweets did not return Post {post.id}")
        # A read that is not billed never moves the count: only the whole wait tells, as far as
        # X's lag allows.
        after = self._poll(usage, lambda count: count != counted)
        if after is None:
            return cannot_answer(5, usage.problem or "X's usage could not be read")
        if self._today() != started_on:
            return finding(5, "Unknown: the UTC day changed during the probe.", Agreement.UNKNOWN)
        what = (
            f"The timeline read {returned} Posts (X's usage moved by {returned}); GET /2/tweets "
            f"then read Post {post.id} again"
        )
        if after == counted:
            waited = f"waited {self.usage_wait:.0f} s"
            text = f"{what}, and X's usage did not move ({waited}): billed once."
            return finding(5, text, Agreement.YES)
        if after == counted + 1:
            return finding(5, f"{what}, and X's usage moved by 1: billed twice.", Agreement.NO)
        text = f"{what}, and X's usage moved by {after - counted}: other reads ran meanwhile."
        return finding(5, text, Agreement.UNKNOWN)

    # -- question 1 -------------------------------------------------------------------------

    def _question_1(self, old: xapi.Page | None, error: str | None) -> Finding:
        if old is None:
            return cannot_answer(1, error or "the timeline could not be read")
        cutoff = self._now() - OLD_AGE
        post = next(
            (p for p in old.posts if not p.is_retweet and p.created_at and p.created_at <= cutoff),
            None,
        )
        if post is None:
            return cannot_answer(
                1, "no own Post older than 31 days on the timeline (X serves its newest 3,200)"
            )
        try:
            page = self._lookup([post.id], PRIVATE, with_media=False)
        except xapi.XError as failure:
            return cannot_answer(1, f"GET /2/tweets failed: {failure}")
        return read_old_post(post, page, self._now())

    # -- questions 2 to 4 -------------------------------------------------------------------

    def _questions_2_to_4(self, young: xapi.Page | None, error: str | None) -> list[Finding]:
        if young is None:
            why = error or "the timeline could not be read"
            return [cannot_answer(number, why) for number in (2, 3, 4)]
        now = self._now()
        originals = [
            post
            for post in young.posts
            if not post.is_retweet
            and post.created_at
            and now - post.created_at < PRIVATE_WINDOW - YOUNG_MARGIN
        ]
        linkless = next((p for p in originals if not p.links and not p.media_keys), None)
        video, video_problem = self._reused_video(young, originals)
        chosen = [post for post in (linkless, video[0] if video else None) if post is not None]
        batch = list(dict.fromkeys(post.id for post in chosen))
        batch += [p.id for p in originals if p.id not in batch][: PRIVATE_BATCH - len(batch)]
        if not batch:
            why = "no own Post under 30 days among the newest on the timeline"
            return [cannot_answer(number, why) for number in (2, 3, 4)]
        try:
            page = self._lookup(batch, PRIVATE)
        except xapi.XError as failure:
            why = f"GET /2/tweets failed: {failure}"
            return [cannot_answer(number, why) for number in (2, 3, 4)]
        now = self._now()

        if video is None:
            third = cannot_answer(3, video_problem)
        else:
            third = read_reused_video(video[0], video[1], page, now)
        if linkless is None:
            fourth = cannot_answer(
                4, f"no own Post under 30 days without a link or media among the newest {self.scan}"
            )
        else:
            fourth = read_zero_counters(linkless, page, now)
        return [self._question_2(page, now), third, fourth]

    def _question_2(self, page: xapi.Page, now: datetime) -> Finding:
        unpromoted = next(
            (
                post
                for post in page.posts
                if post.non_public_metrics
                and post.organic_metrics
                and post.non_public_metrics.impression_count is not None
                and post.non_public_metrics.impression_count
                == post.organic_metrics.impression_count
            ),
            None,
        )
        if unpromoted is None:
            return cannot_answer(
                2, "no Post under 30 days read here whose non-public impressions equal organic ones"
            )
        try:
            answer = self._lookup([unpromoted.id], PROMOTED)
        except xapi.XError as failure:
            return cannot_answer(2, f"GET /2/tweets failed: {failure}")
        return read_promoted(unpromoted, answer, now)

    def _reused_video(
        self, young: xapi.Page, originals: list[xapi.Post]
    ) -> tuple[tuple[xapi.Post, str] | None, str]:
        """An own young Post carrying another account's video, with its media key; or why not."""
        page, posts = young, originals
        if self.video_post is not None:
            try:
                page = self._lookup(
                    [self.video_post], PUBLIC, with_media=True, with_media_sources=True
                )
            except xapi.XError as failure:
                return None, f"GET /2/tweets failed for Post {self.video_post}: {failure}"
            posts = list(page.posts)
            if not posts:
                return None, f"X did not return Post {self.video_post}"
        now = self._now()
        for post in posts:
            sources = [page.included_posts.get(source) for source in post.media_source_ids]
            others = [s for s in sources if s is not None and s.author_id != self.user_id]
            videos = [key for key in post.media_keys if _is_video(key, page)]
            young_enough = (
                post.created_at is not None
                and now - post.created_at < PRIVATE_WINDOW - YOUNG_MARGIN
            )
            if post.author_id in (None, self.user_id) and others and videos and young_enough:
                return (post, videos[0]), ""
        if self.video_post is not None:
            return None, (
                f"Post {self.video_post} is not this account's, under 30 days, carrying another "
                "account's video"
            )
        return None, (
            f"none of the newest {self.scan} own Posts under 30 days carries another account's "
            "video (name one with --video-post)"
        )


def _is_video(media_key: str, page: xapi.Page) -> bool:
    media = page.media.get(media_key)
    if media is not None and media.type:
        return media.type == "video"
    return media_key.startswith(VIDEO_KEY_PREFIXES)
