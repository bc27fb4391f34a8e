"""The dashboard's own pages and the operations endpoints."""

from http import HTTPStatus

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts import x_settings
from accounts.access import LAST_TEAM_SESSION_KEY, get_x_account_or_404, team_view
from accounts.models import AuditEvent, Membership, Role
from accounts.selectors import teams_for_user
from accounts.services import audit_record
from dashboard import health
from metrics import scheduler, sync_status, tracking
from metrics.tasks import enqueue_sync


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Send each person where they belong: sign in, create a first team, or their team."""
    if not request.user.is_authenticated:
        return redirect("account_login")
    teams = teams_for_user(request.user)
    last_slug = request.session.get(LAST_TEAM_SESSION_KEY)
    team = teams.filter(slug=last_slug).first() or teams.first()
    if team is None:
        return redirect("team_create")
    return redirect("team_home", team_slug=team.slug)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = [health.check_database(), health.check_broker()]
    heartbeat = health.last_heartbeat() if checks[0].ok else None
    if checks[0].ok:
        checks.append(health.check_worker(heartbeat))
    down = [check.name for check in checks if not check.ok]
    body: dict = {
        "status": "ok" if not down else "down",
        "checks": {
            c.name: {"ok": c.ok, **({"detail": c.detail} if c.detail else {})} for c in checks
        },
    }
    if down:
        body["down"] = down
    body["worker_last_seen"] = heartbeat.beat_at.isoformat() if heartbeat else None
    status = HTTPStatus.OK if not down else HTTPStatus.SERVICE_UNAVAILABLE
    return JsonResponse(body, status=status)


@team_view()
@require_GET
def x_accounts(request: HttpRequest, membership: Membership) -> HttpResponse:
    """The team's X accounts: connection, sync health and progress, and what reads cost."""
    team = membership.team
    context = {
        "team": team,
        "syncs": sync_status.team_account_syncs(team),
        "spend": sync_status.team_spend(team),
        "oauth2_configured": x_settings.oauth2_configured(),
        "oauth1_configured": x_settings.oauth1_configured(),
    }
    return render(request, "accounts/x_accounts.html", context)


@team_view()
@require_POST
def x_account_refresh(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    account = get_x_account_or_404(membership, pk)
    answer = scheduler.refresh_on_request(account, enqueue=enqueue_sync)
    if answer.started:
        messages.success(request, f"Refreshing @{account.username} now.")
    elif answer.not_before is not None:
        at = timezone.localtime(answer.not_before, membership.team.tzinfo)
        messages.info(
            request,
            f"@{account.username} synced moments ago; the next refresh is possible from "
            f"{at:%H:%M} (each one spends the account's X rate limits).",
        )
    elif account.status != account.Status.ACTIVE:
        messages.error(request, f"@{account.username} is not connected: reconnect it first.")
    else:
        messages.info(request, f"@{account.username} is already syncing.")
    return redirect("team_x_accounts", team_slug=membership.team.slug)


@team_view(role=Role.ADMIN)
@require_POST
def x_account_track_post(request: HttpRequest, membership: Membership) -> HttpResponse:
    """Track a Post the timeline does not show (a promoted-only creative) by its address."""
    back = redirect("team_x_accounts", team_slug=membership.team.slug)
    try:
        account = get_x_account_or_404(membership, int(request.POST.get("account", "")))
    except ValueError:
        messages.error(request, "Choose the X account that posted it.")
        return back
    try:
        tracked = tracking.track_post(account=account, reference=request.POST.get("post", ""))
    except tracking.TrackRefused as refused:
        messages.error(request, str(refused))
        return back
    if not tracked.added:
        messages.info(request, f"@{account.username} already tracks that Post.")
        return back
    audit_record(
        team=membership.team,
        actor=request.user,
        verb=AuditEvent.Verb.POST_TRACKED,
        target=f"@{account.username} {tracked.post.x_post_id}",
    )
    messages.success(
        request,
        f"Quartile now tracks this Post of @{account.username}; its metrics fill in with the "
        "account's next sync.",
    )
    return back


@never_cache
@team_view()
@require_GET
def x_account_progress(request: HttpRequest, membership: Membership, pk: int) -> JsonResponse:
    account = get_x_account_or_404(membership, pk)
    return JsonResponse(sync_status.account_progress(account))
