"""A sync stores exactly what X serves, at the floor of API requests."""

from datetime import timedelta

import pytest
import requests
from django.core.cache import cache
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

import xapi
from metrics.models import (
    MEDIA_COUNTS,
    POST_COUNTS,
    PRIVATE_WINDOW,
    AccountDaily,
    Context,
    Media,
    MediaMetrics,
    Post,
    PostMetrics,
    PostSnapshot,
    SyncRun,
)
from metrics.planner import PRIVATE, PUBLIC, private_cutoff
from metrics.selectors import (
    TOP_POSTS,
    Period,
    PostSort,
    Scope,
    team_accounts,
    team_today,
    top_posts,
)
from tests.metrics.syncing import run_sync, sandbox_account, truth_client

pytestmark = pytest.mark.django_db

BRAND = "quartile_brand"


def _ledger_counts(sandbox, since: int = 0) -> dict[str, int]:
    """Requests per endpoint in the sandbox's ledger, after the first `since` entries."""
    counts: dict[str, int] = {}
    for entry in sandbox.ledger()["requests"][since:]:
        if entry["endpoint"]:
            counts[entry["endpoint"]] = counts.get(entry["endpoint"], 0) + 1
    return counts


def test_a_first_sync_stores_what_x_serves_for_every_context(x_sandbox, frozen, team):
    account = sandbox_account(x_sandbox, team, BRAND)

    run = run_sync(account)

    assert run.outcome == SyncRun.Outcome.SUCCEEDED, run.error
    posts = {p.x_post_id: p for p in Post.objects.filter(account=account)}
    assert len(posts) > 100
    # X's own window, not the planner's (which keeps a margin): a Post created just under 30
    # days ago came with private metrics in the timeline and must be asked for them here too.
    cutoff = frozen - PRIVATE_WINDOW
    young = [str(x) for x, p in posts.items() if p.created_at > cutoff]
    old = [str(x) for x, p in posts.items() if p.created_at <= cutoff]
    with truth_client(x_sandbox, BRAND) as truth:
        served = {}
        for ids, metrics in [(young, PRIVATE), (old, PUBLIC)]:
            for i in range(0, len(ids), 100):
                for post in truth.lookup_posts(ids=ids[i : i + 100], metrics=metrics).posts:
                    served[int(post.id)] = post
        promoted = [str(x) for x, p in posts.items() if p.promoted == Post.Promoted.YES]
        promoted_served = {}
        for i in range(0, len(promoted), 100):
            page = truth.lookup_posts(ids=promoted[i : i + 100], metrics=xapi.MetricGroup.PROMOTED)
            promoted_served |= {int(p.id): p for p in page.posts}
    assert promoted, "the brand account has promoted Posts"

    latest = {(m.post.x_post_id, m.context): m for m in PostMetrics.objects.select_related("post")}
    for x_id, post in served.items():
        for context, record in [
            (Context.PUBLIC, post.public_metrics),
            (Context.NON_PUBLIC, post.non_public_metrics),
            (Context.ORGANIC, post.organic_metrics),
        ]:
            if record is None:
                assert (x_id, context) not in latest
                continue
            stored = latest[(x_id, context)]
            for name in POST_COUNTS:
                assert getattr(stored, name) == getattr(record, name, None), (x_id, context, name)
    for x_id, post in promoted_served.items():
        stored = latest[(x_id, Context.PROMOTED)]
        for name in POST_COUNTS:
            assert getattr(stored, name) == getattr(post.promoted_metrics, name, None)
    # Unpromoted Posts never got promoted metrics.
    assert {x for x, c in latest if c == Context.PROMOTED} == set(promoted_served)


def test_a_first_sync_asks_x_at_the_floor_and_provokes_no_field_error(x_sandbox, frozen, team):
    account = sandbox_account(x_sandbox, team, BRAND)
    run = run_sync(account)

    posts = Post.objects.filter(account=account)
    cutoff = private_cutoff(frozen)
    young = posts.filter(created_at__gt=cutoff).count()
    old = posts.filter(created_at__lte=cutoff).count()
    promoted = posts.filter(promoted=Post.Promoted.YES).count()
    ceil = lambda n: -(-n // 100)  # noqa: E731
    counts = _ledger_counts(x_sandbox)
    # Timeline: the young half and the old half, 100 per page; then one promoted batch series.
    assert counts["GET /2/users/:id/tweets"] == max(ceil(young), 1) + max(ceil(old), 1)
    assert counts.get("GET /2/tweets", 0) == ceil(promoted)
    assert run.requests == counts
    field_errors = [entry for entry in x_sandbox.ledger()["requests"] if entry["status"] != 200]
    assert field_errors == []


def test_a_second_sync_with_nothing_due_asks_only_for_new_posts(x_sandbox, frozen, team):
    account = sandbox_account(x_sandbox, team, BRAND)
    run_sync(account)
    mark = len(x_sandbox.ledger()["requests"])
    x_sandbox.set_clock(frozen + timedelta(minutes=1))

    run = run_sync(account)

    assert run.outcome == SyncRun.Outcome.SUCCEEDED
    assert _ledger_counts(x_sandbox, since=mark) == {"GET /2/users/:id/tweets": 1}


def test_young_posts_come_due_by_age_and_are_refreshed_in_batches(x_sandbox, frozen, team):
    account = sandbox_account(x_sandbox, team, BRAND)
    run_sync(account)
    mark = len(x_sandbox.ledger()["requests"])
    later = frozen + timedelta(minutes=20)
    x_sandbox.set_clock(later)

    run_sync(account)

    # Every Post under 48 hours is due again after 15 minutes; older young ones are not yet.
    cutoff = private_cutoff(later)
    due = Post.objects.filter(account=account, created_at__gt=later - timedelta(hours=48))
    not_due = Post.objects.filter(
        account=account, created_at__gt=cutoff, created_at__lte=later - timedelta(hours=48)
    )
    lookups = [e for e in x_sandbox.ledger()["requests"][mark:] if e["endpoint"] == "GET /2/tweets"]
    asked = {int(i) for e in lookups for i in e["ids"]}
    assert set(due.values_list("x_post_id", flat=True)) <= asked | _new_ids(account, frozen)
    assert not asked & set(not_due.values_list("x_post_id", flat=True))


def test_a_new_post_appears_after_the_sandbox_clock_moves(x_sandbox, frozen, team):
    account = sandbox_account(x_sandbox, team, BRAND)
    run_sync(account)
    before = Post.objects.filter(account=account).count()
    x_sandbox.set_clock(frozen + timedelta(days=2))

    run_sync(account)

    assert Post.objects.filter(account=account).count() > before


def test_a_video_carried_by_two_posts_is_stored_once_with_its_metrics(x_sandbox, frozen, team):
    account = sandbox_account(x_sandbox, team, BRAND)
    run_sync(account)
    videos = Media.objects.filter(account=account, type="video")
    assert videos.exists()
    shared = [m for m in videos if m.posts.count() > 1]
    assert shared, "the brand account reuses a video in two Posts"
    contexts = set(MediaMetrics.objects.filter(media=shared[0]).values_list("context", flat=True))
    assert Context.PUBLIC in contexts
    stored = MediaMetrics.objects.filter(media__in=videos, context=Context.NON_PUBLIC)
    quartiles = [[getattr(m, n) for n in MEDIA_COUNTS[1:]] for m in stored]
    for counts in quartiles:  # as X sent them: from 25 % on, never rising
        assert counts[1:] == sorted(counts[1:], reverse=True)
    # X may count starts short (its own sample: 0 starts, 2 plays past 25 %): kept as sent.
    assert any(starts < past_25 for starts, past_25, *_ in quartiles)


def _new_ids(account, since) -> set[int]:
    return set(
        Post.objects.filter(account=account, first_seen_at__gt=since).values_list(
            "x_post_id", flat=True
        )
    )


def test_private_metrics_freeze_when_a_post_turns_30_days_old(x_sandbox, frozen, team):
    account = sandbox_account(x_sandbox, team, BRAND)
    run_sync(account)
    week_old = Post.objects.filter(
        account=account,
        created_at__lt=frozen - timedelta(days=6),
        created_at__gt=frozen - timedelta(days=8),
    ).first()
    organic_before = PostMetrics.objects.get(post=week_old, context=Context.ORGANIC)
    public_before = PostMetrics.objects.get(post=week_old, context=Context.PUBLIC)
    later = frozen + timedelta(days=24)  # the Post is now 31 days old
    x_sandbox.set_clock(later)

    run_sync(account)

    organic_after = PostMetrics.objects.get(post=week_old, context=Context.ORGANIC)
    public_after = PostMetrics.objects.get(post=week_old, context=Context.PUBLIC)
    assert organic_after.observed_at == organic_before.observed_at  # kept, not asked again
    assert organic_after.impression_count == organic_before.impression_count
    assert public_after.observed_at > public_before.observed_at
    assert public_after.impression_count >= public_before.impression_count
    week_old.refresh_from_db()
    assert week_old.private_metrics_until < later


def test_a_sync_ranks_the_accounts_top_posts_for_the_next_page_view(x_sandbox, frozen, team):
    account = sandbox_account(x_sandbox, team, BRAND)
    run = run_sync(account)
    assert run.outcome == SyncRun.Outcome.SUCCEEDED, run.error
    cache.clear()  # kept in the database by the sync, not only cached
    scope = Scope(team, tuple(team_accounts(team=team)), Period.last(28, today=team_today(team)))

    # Only the shown Posts' rows are read: the ranking is the sync's.
    with CaptureQueriesContext(connection) as queries:
        top, total = top_posts(scope=scope, sort=PostSort(), limit=TOP_POSTS)

    assert len(top) == TOP_POSTS and total > TOP_POSTS
    assert not [q for q in queries if "row_number()" in q["sql"].lower()]
    gains = [row.metrics["impression_count"].public for row in top]
    assert gains == sorted(gains, reverse=True)


def test_a_post_without_a_link_has_zero_link_clicks_not_unknown(x_sandbox, frozen, team):
    """X leaves `url_link_clicks` out of the private metrics of a Post without a link."""
    account = sandbox_account(x_sandbox, team, BRAND)
    assert run_sync(account).outcome == SyncRun.Outcome.SUCCEEDED
    private = PostMetrics.objects.filter(
        post__account=account, context__in=[Context.NON_PUBLIC, Context.ORGANIC]
    )
    without_link = private.exclude(post__text__contains="https://")

    assert without_link.count() > 10
    assert not without_link.exclude(url_link_clicks=0).exists()
    assert private.filter(url_link_clicks__gt=0).exists()
    assert not private.filter(url_link_clicks__isnull=True).exists()


def test_a_long_post_is_stored_with_its_whole_text(x_sandbox, frozen, team):
    account = sandbox_account(x_sandbox, team, BRAND)
    assert run_sync(account).outcome == SyncRun.Outcome.SUCCEEDED

    long = [p for p in Post.objects.filter(account=account) if len(p.text) > 280]

    assert long, "the brand account has long Posts"
    assert all(p.text.endswith("we read every reply.") for p in long)


def test_a_post_deleted_on_x_is_forgotten_at_the_next_sync_and_team_days_keep_their_totals(
    x_sandbox, frozen, team
):
    account = sandbox_account(x_sandbox, team, BRAND)
    assert run_sync(account).outcome == SyncRun.Outcome.SUCCEEDED
    video = (
        Media.objects.filter(account=account, type="video")
        .annotate(carriers=Count("posts"))
        .filter(carriers=1, posts__created_at__gt=frozen - timedelta(days=20))
        .first()
    )
    doomed = video.posts.get()
    past = AccountDaily.objects.filter(account=account, day__lt=frozen.date() - timedelta(days=1))
    before = sorted(past.values_list("day", "context", "after_day_30", "impression_count_gain"))

    x_sandbox.delete_post(str(doomed.x_post_id))
    x_sandbox.set_clock(frozen + timedelta(hours=2))  # its next lookup is due
    assert run_sync(account).outcome == SyncRun.Outcome.SUCCEEDED

    doomed.refresh_from_db()
    assert doomed.deleted_at is not None and doomed.text == ""
    assert not PostSnapshot.objects.filter(post=doomed).exists()
    assert not PostMetrics.objects.filter(post=doomed).exists()
    assert not Media.objects.filter(pk=video.pk).exists()
    after = sorted(past.values_list("day", "context", "after_day_30", "impression_count_gain"))
    assert after == before


def test_an_edit_on_x_replaces_the_stored_text_and_the_earlier_version_is_read_no_more(
    x_sandbox, frozen, team
):
    """X's Developer Policy: stored content follows edits (an edit is a new Post on X). The
    edited Post is older than the newest stored one, so the timeline read since then does
    not list its new version: reading the earlier version by id names it, and it is read."""
    account = sandbox_account(x_sandbox, team, BRAND)
    assert run_sync(account).outcome == SyncRun.Outcome.SUCCEEDED
    candidates = Post.objects.filter(account=account, is_reply=False).order_by("-created_at")
    for earlier in candidates[1:]:
        x_sandbox.set_clock(earlier.created_at + timedelta(minutes=10))
        try:  # X lets its author edit it (not promoted, not a retweet)
            latest_id = x_sandbox.edit_post(str(earlier.x_post_id), "Fixed the typo")
            break
        except requests.HTTPError:
            continue
    x_sandbox.set_clock(frozen + timedelta(hours=2))
    assert run_sync(account).outcome == SyncRun.Outcome.SUCCEEDED

    earlier.refresh_from_db()
    latest = Post.objects.get(account=account, x_post_id=int(latest_id))
    assert (earlier.text, latest.text) == ("Fixed the typo", "Fixed the typo")
    assert earlier.edited_into == latest
    read_at = earlier.public_refreshed_at
    x_sandbox.set_clock(frozen + timedelta(hours=4))
    assert run_sync(account).outcome == SyncRun.Outcome.SUCCEEDED
    earlier.refresh_from_db()
    assert earlier.public_refreshed_at == read_at  # frozen on X: not read, not paid for


def test_a_post_marked_deleted_before_deletions_were_forgotten_is_forgotten_by_the_next_sync(
    x_sandbox, frozen, team
):
    account = sandbox_account(x_sandbox, team, BRAND)
    assert run_sync(account).outcome == SyncRun.Outcome.SUCCEEDED
    marked = Post.objects.filter(account=account).order_by("created_at").first()
    Post.objects.filter(pk=marked.pk).update(deleted_at=frozen)  # as earlier versions left it

    x_sandbox.set_clock(frozen + timedelta(minutes=1))
    run_sync(account)

    marked.refresh_from_db()
    assert marked.text == "" and not PostSnapshot.objects.filter(post=marked).exists()


def test_paid_partnerships_are_stored_as_x_marks_them(x_sandbox, frozen, team):
    account = sandbox_account(x_sandbox, team, BRAND)
    assert run_sync(account).outcome == SyncRun.Outcome.SUCCEEDED
    stored = dict(Post.objects.filter(account=account).values_list("x_post_id", "paid_partnership"))
    with truth_client(x_sandbox, BRAND) as truth:
        ids = [str(x) for x in sorted(stored)[-100:]]
        served = {
            int(p.id): p.paid_partnership for p in truth.lookup_posts(ids=ids, metrics=PUBLIC).posts
        }

    assert any(served.values())
    assert {x: stored[x] for x in served} == served
