"""A Post added by its address (a promoted-only creative the timeline never shows): checked at X,
stored, then synced like the timeline's Posts; bad input stores nothing and says why."""

from datetime import UTC, timedelta

import pytest

from metrics.models import Context, Post, PostMetrics, SyncRun, billed_post_reads
from metrics.tracking import TrackRefused, post_id_from, track_post
from tests.metrics.syncing import run_sync, sandbox_account
from tests.sandbox.flows import BRAND, SMALL

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "reference",
    [
        "https://x.com/quartile_brand/status/1234567890",
        "https://twitter.com/quartile_brand/status/1234567890?s=20",
        "x.com/quartile_brand/status/1234567890/analytics",
        "https://mobile.twitter.com/quartile_brand/statuses/1234567890",
        " 1234567890 ",
    ],
)
def test_an_address_or_an_id_names_the_post(reference):
    assert post_id_from(reference) == "1234567890"


@pytest.mark.parametrize(
    "reference",
    ["", "hello", "https://x.com/quartile_brand", "https://evil.example/a/status/1",
     "https://x.com/quartile_brand/status/12345678901234567890123"],
)  # fmt: skip
def test_anything_else_is_refused_with_an_example(reference):
    with pytest.raises(TrackRefused, match=r"like https://x\.com/"):
        post_id_from(reference)


def test_a_promoted_only_post_is_stored_and_then_synced_with_its_promoted_metrics(
    x_sandbox, frozen, team
):
    account = sandbox_account(x_sandbox, team, BRAND)
    assert run_sync(account).outcome == SyncRun.Outcome.SUCCEEDED
    ad = x_sandbox.add_nullcast(BRAND, "Spring sale: 20% off https://t.co/sale")
    assert not Post.objects.filter(x_post_id=int(ad)).exists()  # the timeline never shows it
    today = frozen.astimezone(UTC).date()
    billed = billed_post_reads(team=team, day=today)

    tracked = track_post(account=account, reference=f"https://x.com/{BRAND}/status/{ad}")
    assert billed_post_reads(team=team, day=today) == billed + 1  # in the team's budget
    x_sandbox.set_clock(frozen + timedelta(hours=1))
    assert run_sync(account).outcome == SyncRun.Outcome.SUCCEEDED

    assert tracked.added and tracked.post.text.startswith("Spring sale")
    assert PostMetrics.objects.filter(post=tracked.post, context=Context.PROMOTED).exists()
    again = track_post(account=account, reference=ad)
    assert not again.added and again.post == tracked.post


def test_another_accounts_post_or_one_x_does_not_find_is_refused_and_nothing_is_stored(
    x_sandbox, frozen, team
):
    account = sandbox_account(x_sandbox, team, BRAND)
    theirs = x_sandbox.add_nullcast(SMALL, "Not the brand's ad")
    gone = x_sandbox.add_nullcast(BRAND, "Withdrawn ad")
    x_sandbox.delete_post(gone)

    with pytest.raises(TrackRefused, match="not @quartile_brand's"):
        track_post(account=account, reference=theirs)
    with pytest.raises(TrackRefused, match="does not find"):
        track_post(account=account, reference=gone)
    assert not Post.objects.filter(account=account).exists()
    # X billed the other account's Post it returned: the team's budget says so.
    assert billed_post_reads(team=team, day=frozen.astimezone(UTC).date()) == 1


def test_a_tracked_ad_newer_than_unread_timeline_posts_does_not_hide_them(x_sandbox, frozen, team):
    account = sandbox_account(x_sandbox, team, BRAND)
    assert run_sync(account).outcome == SyncRun.Outcome.SUCCEEDED
    later = frozen + timedelta(days=3)  # the brand posts a few times a day
    x_sandbox.set_clock(later)
    ad = x_sandbox.add_nullcast(BRAND, "Ads-only creative")
    track_post(account=account, reference=ad, now=later)

    assert run_sync(account).outcome == SyncRun.Outcome.SUCCEEDED

    since_first = Post.objects.filter(account=account, created_at__gt=frozen)
    assert since_first.exclude(x_post_id=int(ad)).count() >= 3
