"""Benchmark of the sync pipeline against the sandbox and PostgreSQL.

Scenarios: the first sync of the 3,500-Post account; the first sync of 50 accounts of 400
Posts; a steady-state cycle of all of them 15 minutes later. Printed: requests made against the
planner's floor, billed Post reads, wall time, Posts per second, SQL queries per page, ingest
(parse + store) throughput without HTTP, and the process's memory across accounts.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/quartile_bench python -m bench sync

Set BENCH_SYNC_ACCOUNTS to run fewer than 50 accounts.
"""

import os
import resource
import statistics
import time
from datetime import UTC, datetime, timedelta

from bench.setup import bench_database, django_setup, rss_mb, table


def _floor(account, posts_by_half) -> int:
    """ceil(n/100) per group: timeline halves (at least one request each) and promoted."""
    from metrics.models import Post

    young, old = posts_by_half
    promoted = Post.objects.filter(account=account, promoted="yes").count()
    return max(-(-young // 100), 1) + max(-(-old // 100), 1) + -(-promoted // 100)


class QueryCounter:
    """Counts the SQL statements of each page: all that `metrics.sync._store` runs to write
    one answer of X with the run's progress, in its transaction. A sync's own set-up (claim,
    plan, budget) is not a page's."""

    def __init__(self) -> None:
        self.pages: list[int] = []
        self._current: int | None = None

    def __call__(self, execute, sql, params, many, context):
        if self._current is not None:
            self._current += 1
        return execute(sql, params, many, context)

    def around_pages(self, store):
        def counted(*args, **kwargs):
            self._current = 0
            try:
                return store(*args, **kwargs)
            finally:
                self.pages.append(self._current)
                self._current = None

        return counted


def main() -> None:
    database_url = bench_database("quartile_bench_sync")
    django_setup(database_url)

    from django.db import connection

    from accounts.forms import MAX_MONTHLY_BUDGET
    from accounts.models import Team, XAccount
    from metrics import scheduler, sync
    from metrics.models import Post
    from metrics.planner import private_cutoff
    from sandbox import SandboxConfig, create_app, start_in_thread
    from tests._sandbox import SandboxClient
    from tests.metrics.syncing import sandbox_account

    server = start_in_thread(create_app(SandboxConfig()))
    sandbox = SandboxClient(server.base_url)
    os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
    from django.conf import settings

    settings.X_API_BASE_URL = server.base_url
    settings.X_CLIENT_ID = "quartile-demo-client"
    settings.X_CLIENT_SECRET = "quartile-demo-client-secret"
    now = datetime.now(UTC).replace(microsecond=0)
    sandbox.set_clock(now)
    # X's own monthly cap as the budget: the bench measures requests, not the budget's pacing.
    team = Team.objects.create(name="Bench", slug="bench", monthly_budget=MAX_MONTHLY_BUDGET)

    def connect(username: str) -> XAccount:
        return sandbox_account(sandbox, team, username)

    def synced(account: XAccount, counter: QueryCounter) -> tuple[float, object]:
        claim = scheduler.claim_account(account.pk, due_only=False)
        started = time.perf_counter()
        store = sync._store
        sync._store = counter.around_pages(store)
        try:
            with connection.execute_wrapper(counter):
                run = sync.sync_account(account_id=account.pk, claim=claim)
        finally:
            sync._store = store
        return time.perf_counter() - started, run

    def halves(account) -> tuple[int, int]:
        posts = Post.objects.filter(account=account)
        cutoff = private_cutoff(now)
        young = posts.filter(created_at__gt=cutoff).count()
        return young, posts.filter(created_at__lte=cutoff).count()

    rows = []
    # 1. The 3,500-Post account.
    arch = connect("quartile_arch")
    counter = QueryCounter()
    mark = len(sandbox.ledger()["requests"])
    seconds, run = synced(arch, counter)
    requests_made = len(sandbox.ledger()["requests"]) - mark
    posts = Post.objects.filter(account=arch).count()
    rows.append(
        ("first sync, 3,500-Post account", requests_made, _floor(arch, halves(arch)),
         run.billed_post_reads, f"{seconds:.2f}", f"{posts / seconds:,.0f}",
         f"{statistics.median(counter.pages):.0f} / {max(counter.pages)}")
    )  # fmt: skip

    # 2. 50 accounts of 400 Posts.
    count = int(os.environ.get("BENCH_SYNC_ACCOUNTS", "50"))
    accounts, memory = [], []
    for n in range(count):
        sandbox.add_user(f"bench_{n:02d}", posts=400)
        accounts.append(connect(f"bench_{n:02d}"))
    counter = QueryCounter()
    mark = len(sandbox.ledger()["requests"])
    started, billed, floor = time.perf_counter(), 0, 0
    for account in accounts:
        _, run = synced(account, counter)
        billed += run.billed_post_reads
        floor += _floor(account, halves(account))
        memory.append(rss_mb())
    seconds = time.perf_counter() - started
    posts = Post.objects.filter(account__in=accounts).count()
    rows.append(
        (f"first sync, {count} accounts x 400 Posts", len(sandbox.ledger()["requests"]) - mark,
         floor, billed, f"{seconds:.2f}", f"{posts / seconds:,.0f}",
         f"{statistics.median(counter.pages):.0f} / {max(counter.pages)}")
    )  # fmt: skip

    # 3. Steady state, 15 minutes later: new Posts and the young ones due.
    sandbox.set_clock(now + timedelta(minutes=15))
    counter = QueryCounter()
    mark = len(sandbox.ledger()["requests"])
    started = time.perf_counter()
    steady_billed = 0
    for account in [arch, *accounts]:
        _, run = synced(account, counter)
        steady_billed += run.billed_post_reads
    seconds = time.perf_counter() - started
    rows.append(
        (f"steady-state cycle, {count + 1} accounts", len(sandbox.ledger()["requests"]) - mark,
         "-", steady_billed, f"{seconds:.2f}", "-",
         f"{statistics.median(counter.pages):.0f} / {max(counter.pages)}")
    )  # fmt: skip

    print(table(
        ["scenario", "requests", "floor", "billed reads", "wall s", "Posts/s", "SQL/page med/max"],
        rows,
    ))  # fmt: skip
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"\nmemory (RSS) across the {count} accounts: first {memory[0]:.0f} MB, "
        f"last {memory[-1]:.0f} MB, peak {peak:.0f} MB"
    )
    _ingest_throughput(sandbox, now)
    server.stop()


def _ingest_throughput(sandbox, now) -> None:
    """Parse + store without HTTP: X's raw answers for the 3,500-Post timeline, stored afresh."""
    import requests
    from django.db import transaction

    from accounts.models import Team, XAccount
    from metrics.ingest import store_page
    from metrics.planner import PUBLIC
    from xapi.fields import post_query_params
    from xapi.parsing import parse_posts_response

    token = sandbox.mint_token("quartile_arch", "oauth2")["access_token"]
    user_id = sandbox.user("quartile_arch")["id"]
    params = post_query_params(metrics=PUBLIC, with_media=True) | {"max_results": "100"}
    bodies = []
    while True:
        answer = requests.get(
            f"{sandbox.base_url}/2/users/{user_id}/tweets", params=params,
            headers={"Authorization": f"Bearer {token}"}, timeout=30,
        )  # fmt: skip
        body = answer.json()
        bodies.append(body)
        if not body.get("meta", {}).get("next_token"):
            break
        params["pagination_token"] = body["meta"]["next_token"]
    team = Team.objects.create(name="Ingest", slug="ingest")
    account = XAccount.objects.create(
        team=team, x_user_id=user_id, username="ingest", auth_method="oauth2"
    )
    started = time.perf_counter()
    stored = 0
    for body in bodies:
        page = parse_posts_response(body, endpoint="GET /2/users/:id/tweets")
        with transaction.atomic():
            stored += store_page(
                account=account, page=page, metrics=PUBLIC, observed_at=now,
                team_tz=team.tzinfo, billing_day=now.date(), all_new=True,
            ).posts  # fmt: skip
    seconds = time.perf_counter() - started
    rate = stored / seconds
    print(
        f"ingest (parse + store, no HTTP): {stored} Posts in {seconds:.2f} s = {rate:,.0f} Posts/s"
    )


if __name__ == "__main__":
    main()
