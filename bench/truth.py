"""How close the estimated days come to the truth: 14 simulated days of syncs of the demo
accounts against the sandbox (its clock moving with them), then each complete account-day's
public impressions in the daily CSV against the sandbox's own per-day gains (it serves any
instant: its counts are a function of the Post and the time).

Printed per account and cadence: days compared, how many were estimated, the account's mean
impressions a day, the median and worst relative error of the estimated days and the worst
difference in impressions (a small account's day holds a few impressions, where a relative error
says little), and how many Posts created since the connection have exactly the lifetime
impressions the sandbox served at the last sync.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/quartile_bench python -m bench truth

BENCH_TRUTH_DAYS (default 14) and BENCH_TRUTH_EVERY_HOURS (default "1,6": one run per cadence)
make it shorter.
"""

import os
from datetime import UTC, datetime, timedelta

from bench.setup import bench_database, django_setup, table

ACCOUNTS = ("quartile_brand", "quartile_small")


def main() -> None:
    database_url = bench_database("quartile_bench_truth")
    django_setup(database_url)
    os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"

    from django.conf import settings

    from accounts.forms import MAX_MONTHLY_BUDGET
    from accounts.models import Team
    from metrics.models import Post
    from sandbox import SandboxConfig, create_app, start_in_thread
    from tests._sandbox import SandboxClient
    from tests.metrics.replay import compare, replay

    server = start_in_thread(create_app(SandboxConfig()))
    sandbox = SandboxClient(server.base_url)
    settings.X_API_BASE_URL = server.base_url
    settings.X_CLIENT_ID = "quartile-demo-client"
    settings.X_CLIENT_SECRET = "quartile-demo-client-secret"
    days = int(os.environ.get("BENCH_TRUTH_DAYS", "14"))
    cadences = [float(h) for h in os.environ.get("BENCH_TRUTH_EVERY_HOURS", "1,6").split(",")]
    start = (datetime.now(UTC) - timedelta(days=days + 1)).replace(second=0, microsecond=0)

    rows, worst_of_all = [], 0.0
    for n, hours in enumerate(cadences):
        sandbox.reset()
        team = Team.objects.create(
            name=f"Truth {n}", slug=f"truth-{n}", time_zone="America/New_York",
            monthly_budget=MAX_MONTHLY_BUDGET,
        )  # fmt: skip
        run = replay(sandbox, team, ACCOUNTS, start=start, days=days, every=timedelta(hours=hours))
        for account in run.accounts:
            result = compare(sandbox, run, account)
            median_error, worst = result.summary()
            worst_of_all = max(worst_of_all, worst)
            rows.append(
                (f"@{account.username}", f"every {hours:g} h", len(result.days),
                 len(result.estimated), f"{result.mean_truth():,.0f}", f"{median_error:.2%}",
                 f"{worst:.2%}", result.worst_difference(),
                 f"{result.posts_exact} of {result.posts_born}",
                 Post.objects.filter(account=account).count())
            )  # fmt: skip
        Post.objects.filter(account__team=team).delete()
    headers = ["account", "syncs", "days", "estimated", "impressions/day", "median error"]
    headers += ["worst error", "worst difference", "lifetimes exact", "posts"]
    print(table(headers, rows))
    print(f"truth: worst daily error {worst_of_all:.2%} over {days} days")
