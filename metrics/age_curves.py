"""Each account's age curve: how a Post's impressions accumulate with its age, read off the
account's own Posts (metrics.lifeline.curve_from_histories), cached for a day."""

from collections import defaultdict
from datetime import timedelta

from django.core.cache import cache
from django.db.models import F
from django.utils import timezone

from accounts.models import XAccount
from metrics.lifeline import DEFAULT_CURVE, HOUR, REFERENCE_AGE, AgeCurve, curve_from_histories
from metrics.models import Context, Post, PostSnapshot

CURVE_CACHE_SECONDS = 24 * 3600
# The newest Posts that can tell: first read within an hour of birth, a week old, at most
# this many (their first week's snapshots are what is read).
CURVE_POSTS = 200
CURVE_LOOKBACK = timedelta(days=120)


def account_age_curve(*, account: XAccount) -> AgeCurve:
    """The account's curve, once a day: its own when it has 20 Posts read densely from birth,
    else the default (metrics.lifeline.DEFAULT_CURVE)."""
    key = f"quartile:age-curve:1:{account.pk}:{timezone.now().date().isoformat()}"
    cached = cache.get(key)
    if cached is not None:
        curve = AgeCurve(*cached)
        return DEFAULT_CURVE if curve.is_default else curve
    curve = curve_from_histories(_histories(account))
    cache.set(key, (curve.shares, curve.source), timeout=CURVE_CACHE_SECONDS)
    return curve


def _histories(account: XAccount) -> list[list[tuple[float, int]]]:
    now = timezone.now()
    week = timedelta(hours=REFERENCE_AGE)
    posts = list(
        Post.objects.filter(
            account=account,
            created_at__gte=now - CURVE_LOOKBACK,
            created_at__lte=now - week,
            first_seen_at__lte=F("created_at") + timedelta(hours=1),
        )
        .order_by("-created_at")
        .values_list("pk", "created_at")[:CURVE_POSTS]
    )
    if not posts:
        return []
    born = dict(posts)
    readings = (
        PostSnapshot.objects.filter(
            post_id__in=born,
            context=Context.PUBLIC,
            impression_count__isnull=False,
            captured_at__lte=F("post__created_at") + week + timedelta(hours=12),
        )
        .order_by("post_id", "captured_at")
        .values_list("post_id", "captured_at", "impression_count")
    )
    histories: dict[int, list[tuple[float, int]]] = defaultdict(list)
    for post_id, captured_at, impressions in readings.iterator(chunk_size=5000):
        age = (captured_at - born[post_id]).total_seconds() / HOUR
        histories[post_id].append((age, impressions))
    return list(histories.values())
