"""Posts an admin adds by their address: those the timeline never shows, promoted-only
("nullcast") creatives above all (docs/x-api.md §9). Once stored, the sync reads them like the
timeline's Posts (private metrics while under 30 days old)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

import xapi
from accounts import credentials
from accounts.models import XAccount
from metrics import ingest, selectors, spend
from metrics.age_curves import account_age_curve
from metrics.models import Post, PostLookup
from metrics.planner import PUBLIC
from xapi import pricing

# x.com or twitter.com (www., mobile.), /<username>/status/<id>, anything after it.
POST_ADDRESS = re.compile(
    r"^(?:https?://)?(?:www\.|mobile\.)?(?:x|twitter)\.com/[A-Za-z0-9_]{1,15}/status(?:es)?/"
    r"(?P<id>\d{1,19})(?:[/?#].*)?$"
)
EXAMPLE = "https://x.com/<account>/status/1234567890"


class TrackRefused(Exception):
    """Why the Post cannot be tracked, in words for the admin; nothing was stored."""


@dataclass(frozen=True)
class Tracked:
    post: Post
    added: bool  # False: it was already tracked


def post_id_from(reference: str) -> str:
    """The Post id in a pasted address (or a bare id)."""
    text = reference.strip()
    if text.isdigit() and len(text) <= 19:
        return text
    if match := POST_ADDRESS.match(text):
        return match["id"]
    raise TrackRefused(f"Paste a Post's address, like {EXAMPLE}, or its id.")


def track_post(*, account: XAccount, reference: str, now: datetime | None = None) -> Tracked:
    """Look the Post up at X and store it, if it is `account`'s own: one Post read, billed and
    counted against the team's monthly X budget like a sync's."""
    x_id = post_id_from(reference)
    stored = Post.objects.filter(account=account, x_post_id=int(x_id)).first()
    if stored is not None and stored.deleted_at is None:
        return Tracked(stored, added=False)
    if stored is not None:
        raise TrackRefused("X reported this Post deleted: there is nothing to track.")
    if account.status != XAccount.Status.ACTIVE:
        raise TrackRefused(f"@{account.username} is not connected: reconnect it first.")
    now = now or timezone.now()
    billing_day = pricing.billing_day(now)
    team = account.team
    if not spend.lookup_fits(team=team, dollars=pricing.post_reads_cost(1), day=billing_day):
        raise TrackRefused(
            "The team's X budget for this month is spent: an admin can raise it in the team "
            "settings."
        )
    try:
        with credentials.client_for(account) as client:
            page = client.lookup_posts(ids=[x_id], metrics=PUBLIC)
    except xapi.Unauthorized:
        message = f"X no longer accepts @{account.username}'s access: reconnect it."
        raise TrackRefused(message) from None
    except xapi.XError as error:
        message = f"X did not answer ({type(error).__name__}); try again later."
        raise TrackRefused(message) from error
    record = next((p for p in page.posts if p.id == x_id), None)
    if record is None:
        raise TrackRefused("X does not find that Post: it may be deleted or its author protected.")

    def billed(reads: int) -> PostLookup:
        return PostLookup.objects.create(
            account=account, team=team, x_post_id=int(x_id), requested_at=now,
            billing_day=billing_day, billed_post_reads=reads,
            estimated_dollars=pricing.post_reads_cost(reads),
        )  # fmt: skip

    if record.author_id != account.x_user_id or record.is_retweet:
        billed(len(page.posts))  # X billed the Post it returned all the same
        if record.is_retweet:
            raise TrackRefused("That is a repost: its numbers belong to the original Post.")
        raise TrackRefused(
            f"That Post is not @{account.username}'s: add it to the account that posted it."
        )
    with transaction.atomic():
        written = ingest.store_page(
            account=account,
            page=xapi.Page(posts=(record,), media=page.media),
            metrics=PUBLIC,
            observed_at=now,
            team_tz=team.tzinfo,
            billing_day=billing_day,
            curve=account_age_curve(account=account),
        )
        billed(written.billed_reads)
        # Read soon with its private metrics; the move of its next sync also renews the
        # account's cached reads, and a first reading splits back into final days.
        XAccount.objects.filter(pk=account.pk, next_sync_at__gt=now).update(next_sync_at=now)
        selectors.revise_history_on_commit(account_id=account.pk, since=written.revised_from)
    return Tracked(Post.objects.get(account=account, x_post_id=int(x_id)), added=True)
