"""Benchmark of the dashboard pages: server time and SQL queries, on 160,000 Posts.

Each page is requested in-process through Django's test client (so the time is the server's:
middleware, sessions, access checks, selectors, figures, templates): once with empty caches
("cold"), once more, then BENCH_RUNS times (default 20). Printed per page: the cold time, p50
and p95 in milliseconds and the number of SQL queries, which must not grow with the data
(targets: p95 <= 150 ms, <= 15 queries). The cache is Redis (database 3), as in production.

    python -m bench dashboard        (BENCH_SCALE=0.1 for a quick run)
"""

import os
import statistics
import time

from bench.dashboard_seed import member_client, prepare
from bench.setup import table

P95_TARGET_MS = 150
QUERIES_TARGET = 15


class QueryCount:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def _pages(slug: str) -> list[tuple[str, str]]:
    from django.urls import reverse

    from metrics.models import Media, Post

    young = Post.objects.filter(account__team__slug=slug, media__isnull=False).order_by(
        "-created_at"
    )[5]
    old = Post.objects.filter(account__team__slug=slug).order_by("created_at")[10]
    brand = young.account_id
    home = reverse("team_home", args=[slug])
    videos = reverse("team_videos", args=[slug])
    assert Media.objects.filter(account__team__slug=slug).exists()
    return [
        ("Overview, 28 days (default)", home),
        ("Overview, 7 days", f"{home}?range=7"),
        ("Overview, 90 days", f"{home}?range=90"),
        ("Overview, 28 days, Posts created", f"{home}?range=28&mode=created"),
        ("Overview, 90 days, Posts created", f"{home}?range=90&mode=created"),
        ("Overview, one account", f"{home}?account={brand}"),
        ("Overview, by organic link clicks", f"{home}?sort=url_link_clicks.organic"),
        ("Post (young, with video)", reverse("team_post_detail", args=[slug, young.pk])),
        ("Post (past day 30)", reverse("team_post_detail", args=[slug, old.pk])),
        ("Videos, 28 days", videos),
        ("Videos, 90 days, Posts created", f"{videos}?range=90&mode=created"),
    ]


def measure(client, url: str, runs: int) -> tuple[float, float, float, int]:
    """The first request with empty caches, then p50 and p95 of `runs` more, and queries."""
    from django.core.cache import cache
    from django.db import connection

    cache.clear()
    started = time.perf_counter()
    assert client.get(url).status_code == 200, url
    cold = (time.perf_counter() - started) * 1000
    assert client.get(url).status_code == 200, url
    timings, counter = [], QueryCount()
    for _ in range(runs):
        counter.count = 0
        with connection.execute_wrapper(counter):
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, url
    return cold, *_p50_p95(timings), counter.count


def measure_after_syncs(client, url: str, runs: int) -> tuple[float, float]:
    """p50 and p95 of requests that each follow a sync of one account (its sync state moves,
    so its cached entries are read again, and the sync's worker ranked its Top Posts): the
    steady state of a team that syncs all day."""
    from datetime import timedelta

    from django.utils import timezone

    from accounts.models import XAccount
    from metrics.selectors import warm_reads

    ids = list(XAccount.objects.order_by("pk").values_list("pk", flat=True))
    client.get(url)
    timings = []
    for n in range(runs):
        XAccount.objects.filter(pk=ids[n % len(ids)]).update(
            next_sync_at=timezone.now() + timedelta(minutes=15, seconds=n)
        )
        # What the sync does in the worker once it ends, before anyone opens the page.
        warm_reads(account=XAccount.objects.select_related("team").get(pk=ids[n % len(ids)]))
        started = time.perf_counter()
        assert client.get(url).status_code == 200, url
        timings.append((time.perf_counter() - started) * 1000)
    return _p50_p95(timings)


def _p50_p95(timings: list[float]) -> tuple[float, float]:
    """The median and the nearest-rank 95th percentile."""
    timings = sorted(timings)
    return statistics.median(timings), timings[round(0.95 * (len(timings) - 1))]


def main() -> None:
    info = prepare()
    team, client = member_client(info)
    runs = int(os.environ.get("BENCH_RUNS", "20"))
    rows = []
    pages = _pages(team.slug)
    for label, url in pages:
        cold, p50, p95, queries = measure(client, url, runs)
        verdict = "ok" if p95 <= P95_TARGET_MS and queries <= QUERIES_TARGET else "OVER"
        rows.append((label, f"{cold:.0f}", f"{p50:.0f}", f"{p95:.0f}", queries, verdict))
    print(
        f"\nDashboard pages: {info['accounts']} accounts, {info['posts']:,} Posts, "
        f"{info['snapshots'] + info['media_snapshots']:,} snapshots, {info['dailies']:,} Post "
        f"rollups; {runs} runs each (targets: p95 <= {P95_TARGET_MS} ms, "
        f"<= {QUERIES_TARGET} queries)"
    )
    print(table(["page", "cold ms", "p50 ms", "p95 ms", "queries", ""], rows))
    synced = []
    for label, url in pages[:5]:
        p50, p95 = measure_after_syncs(client, url, runs)
        synced.append((label, f"{p50:.0f}", f"{p95:.0f}"))
    print("\nEach request right after a sync of one account (its cache entries read again):")
    print(table(["page", "p50 ms", "p95 ms"], synced))
    print(
        "cold: the first request with empty caches (each account's final days and rankings "
        "are then cached; a sync of an account refreshes its own entries only)."
    )


if __name__ == "__main__":
    main()
