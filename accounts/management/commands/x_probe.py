"""Ask real X, once, what no public capture settles, and print it beside what Quartile assumes.

    python manage.py x_probe [--account @username] [--yes]

It reads as a connected account (its stored credentials) and, for the usage counts, as the app
(`X_BEARER_TOKEN`). It says up front how many Post reads it may spend and asks before spending
them. The questions and their readings are in `accounts/probe.py`.
"""

import sys

from django.core.management.base import BaseCommand, CommandError, CommandParser

import xapi
from accounts import credentials, probe
from accounts.models import XAccount
from accounts.x_settings import x_app_only_auth, x_endpoints, x_http

CAVEATS = (
    "X's usage counts can lag behind the reads (minutes have been reported): question 5 waits "
    "up to --usage-wait seconds for them.",
    "They count every read of the app's project: pause the syncs while the probe runs, or "
    "question 5 may come out unknown.",
)


class Command(BaseCommand):
    help = "Ask X what no public capture settles (private metrics past day 30, promoted metrics "
    "of unpromoted Posts, another account's video, zero counters, billing across endpoints)."
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--account", help="@username of the connected X account to read as")
        parser.add_argument("--team", help="the team's slug, when several teams connected it")
        parser.add_argument("--yes", action="store_true", help="spend without asking first")
        parser.add_argument(
            "--scan",
            type=int,
            default=probe.DEFAULT_SCAN,
            help=f"young Posts read to find the ones asked about (5-100, default "
            f"{probe.DEFAULT_SCAN})",
        )
        parser.add_argument(
            "--video-post",
            help="id of an own Post under 30 days that carries another account's video",
        )
        parser.add_argument(
            "--usage-wait",
            type=float,
            default=180.0,
            help="seconds X's usage counts are given to show a read (default 180)",
        )

    def handle(self, *args, **options) -> None:
        scan = options["scan"]
        if not xapi.client.MIN_TIMELINE_PAGE <= scan <= xapi.client.MAX_TIMELINE_PAGE:
            raise CommandError("--scan must be 5-100")
        video_post = options["video_post"]
        if video_post is not None and not (video_post.isascii() and video_post.isdigit()):
            raise CommandError("--video-post must be a Post id (digits)")
        account = _account(options["account"], options["team"])
        app_auth = x_app_only_auth()
        reads = probe.max_post_reads(scan=scan, video_post=video_post is not None)

        out = self.stdout
        out.write(f"X probe of @{account.username} ({account.get_auth_method_display()}, team "
                  f"{account.team.slug}) at {x_endpoints().api_base_url}")  # fmt: skip
        out.write(
            f"It reads at most {reads} Posts: at most ${probe.cost(reads)} at "
            f"${probe.POST_READ_PRICE} per Post read. X bills a Post once per UTC day, so Posts "
            "read today already may cost nothing more. Asking for usage is not billed."
        )
        if app_auth is None:
            out.write("X_BEARER_TOKEN is not set: question 5 (billing) will not be asked.")
        for caveat in CAVEATS:
            out.write(caveat)
        if not options["yes"] and not _confirmed(options.get("stdin") or sys.stdin, out):
            out.write("Nothing was read.")
            return

        app_client = (
            xapi.XClient(auth=app_auth, endpoints=x_endpoints(), http=x_http())
            if app_auth
            else None
        )
        rate_limits = xapi.RateLimitState.from_json(account.rate_limits or {})
        try:
            with credentials.client_for(account, rate_limits=rate_limits) as client:
                run = probe.Probe(
                    client=client,
                    user_id=account.x_user_id,
                    app_client=app_client,
                    scan=scan,
                    video_post=video_post,
                    usage_wait=options["usage_wait"],
                )
                findings = run.run()
        finally:
            if app_client is not None:
                app_client.close()

        for item in findings:
            out.write("")
            out.write(f"{item.number}. {item.question}")
            out.write(f"   Found:    {item.finding}")
            out.write(f"   Assumed:  {item.assumption}")
            out.write(f"   Agrees:   {item.agrees}")
        spent = run.spent
        out.write("")
        out.write(
            f"Spent: {spent.requests} requests as @{account.username} and "
            f"{spent.usage_requests} for usage; X returned {spent.posts_returned} Posts, so at "
            f"most {spent.posts_returned} Post reads (${spent.cost_at_most}) were billed."
        )
        if spent.usage_moved is not None:
            out.write(
                f"X's usage counts moved by {spent.usage_moved} Post reads meanwhile (they may "
                "lag, and count the app's other reads too)."
            )


def _account(username: str | None, team: str | None) -> XAccount:
    connected = XAccount.objects.select_related("team", "credential").filter(
        status=XAccount.Status.ACTIVE, credential__isnull=False
    )
    if team:
        connected = connected.filter(team__slug=team)
    if username:
        connected = connected.filter(username__iexact=username.lstrip("@"))
    found = list(connected.order_by("team__slug", "username")[:10])
    if not found:
        which = f" @{username.lstrip('@')}" if username else ""
        raise CommandError(f"No connected X account{which}: connect one on the X accounts page.")
    if len(found) > 1:
        names = ", ".join(f"@{a.username} (team {a.team.slug})" for a in found)
        raise CommandError(f"Several connected X accounts: {names}. Pick one with --account "
                           "(and --team).")  # fmt: skip
    return found[0]


def _confirmed(stdin, out) -> bool:
    out.write("Spend them? [y/N] ", ending="")
    out.flush()
    answer = stdin.readline()
    return answer.strip().lower() in ("y", "yes")
