"""The dashboard's own pages and the operations endpoints."""

from http import HTTPStatus

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.access import LAST_TEAM_SESSION_KEY, team_view
from accounts.models import Membership
from accounts.selectors import teams_for_user
from dashboard import health


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


@team_view()
@require_GET
def team_home(request: HttpRequest, membership: Membership) -> HttpResponse:
    return render(request, "dashboard/team_home.html", {"team": membership.team})


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = [health.check_database(), health.check_broker()]
    down = [check.name for check in checks if not check.ok]
    body: dict = {
        "status": "ok" if not down else "down",
        "checks": {
            c.name: {"ok": c.ok, **({"detail": c.detail} if c.detail else {})} for c in checks
        },
    }
    if down:
        body["down"] = down
    heartbeat = health.last_heartbeat() if "database" not in down else None
    body["worker_last_seen"] = heartbeat.beat_at.isoformat() if heartbeat else None
    status = HTTPStatus.OK if not down else HTTPStatus.SERVICE_UNAVAILABLE
    return JsonResponse(body, status=status)
