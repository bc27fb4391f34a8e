"""Team pages: thin views over `services` and `selectors`, guarded by `access`."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts import connections, selectors, services
from accounts.access import (
    get_invitation_or_404,
    get_team_member_or_404,
    get_x_account_or_404,
    team_view,
)
from accounts.forms import InvitationForm, RoleForm, TeamForm
from accounts.models import AuditEvent, Membership, Role, XAccount
from accounts.services import TeamRuleError

AUDIT_PAGE_SIZE = 100


@login_required
@require_http_methods(["GET", "POST"])
def team_create(request: HttpRequest) -> HttpResponse:
    form = TeamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        team = services.team_create(owner=request.user, **form.cleaned_data)
        messages.success(request, f"{team.name} is ready. Connect an X account to start.")
        return redirect("team_home", team_slug=team.slug)
    first_team = not selectors.teams_for_user(request.user).exists()
    return render(request, "accounts/team_create.html", {"form": form, "first_team": first_team})


@team_view(role=Role.ADMIN)
@require_http_methods(["GET", "POST"])
def team_settings(request: HttpRequest, membership: Membership) -> HttpResponse:
    team = membership.team
    initial = {field: getattr(team, field) for field in TeamForm.base_fields}
    form = TeamForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.team_update(team=team, actor=request.user, **form.cleaned_data)
        messages.success(request, "Team settings saved.")
        return redirect("team_settings", team_slug=team.slug)
    return render(request, "accounts/team_settings.html", {"form": form, "team": team})


@team_view()
@require_http_methods(["GET"])
def members(request: HttpRequest, membership: Membership) -> HttpResponse:
    team = membership.team
    context = {
        "team": team,
        "members": selectors.team_members(team),
        "invitations": selectors.team_pending_invitations(team) if membership.is_admin else [],
        "invitation_form": InvitationForm(),
        "roles": Role.choices,
    }
    return render(request, "accounts/members.html", context)


def _back_to_members(membership: Membership) -> HttpResponse:
    return redirect("team_members", team_slug=membership.team.slug)


@team_view(role=Role.ADMIN)
@require_POST
def invitation_create(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = InvitationForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return _back_to_members(membership)
    try:
        invitation, _token = services.invitation_create(
            team=membership.team,
            email=form.cleaned_data["email"],
            role=Role(form.cleaned_data["role"]),
            invited_by=membership,
        )
    except TeamRuleError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Invitation sent to {invitation.email}. It is valid 7 days.")
    return _back_to_members(membership)


@team_view(role=Role.ADMIN)
@require_POST
def invitation_revoke(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    invitation = get_invitation_or_404(membership, pk)
    try:
        services.invitation_revoke(invitation=invitation, actor=membership)
    except TeamRuleError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Invitation of {invitation.email} withdrawn.")
    return _back_to_members(membership)


@team_view(role=Role.ADMIN)
@require_POST
def member_change_role(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    target = get_team_member_or_404(membership, pk)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a role: owner, admin or member.")
        return _back_to_members(membership)
    try:
        services.membership_change_role(
            membership=target, role=Role(form.cleaned_data["role"]), actor=membership
        )
    except TeamRuleError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{target.user.email} is now {target.get_role_display()}.")
    return _back_to_members(membership)


@team_view(role=Role.ADMIN)
@require_POST
def member_remove(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    target = get_team_member_or_404(membership, pk)
    try:
        services.membership_remove(membership=target, actor=membership)
    except TeamRuleError as exc:
        messages.error(request, str(exc))
        return _back_to_members(membership)
    if target.pk == membership.pk:
        messages.success(request, f"You left {membership.team.name}.")
        return redirect("home")
    messages.success(request, f"{target.user.email} was removed from the team.")
    return _back_to_members(membership)


@team_view()
@require_POST
def team_leave(request: HttpRequest, membership: Membership) -> HttpResponse:
    try:
        services.membership_remove(membership=membership, actor=membership)
    except TeamRuleError as exc:
        messages.error(request, str(exc))
        return _back_to_members(membership)
    messages.success(request, f"You left {membership.team.name}.")
    return redirect("home")


@team_view(role=Role.ADMIN)
@require_http_methods(["GET"])
def audit_log(request: HttpRequest, membership: Membership) -> HttpResponse:
    kind = request.GET.get("kind", "")
    kind = kind if kind in AuditEvent.Verb.values else ""
    events = selectors.team_audit_events(membership.team, verb=kind or None)
    # Every event stays reachable, page by page: downloads cannot push removals out of sight.
    page = Paginator(events, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "team": membership.team,
        "events": page.object_list,
        "page": page,
        "kind": kind,
        "kinds": AuditEvent.Verb.choices,
    }
    return render(request, "accounts/audit_log.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    if request.method == "POST":
        try:
            membership = services.invitation_accept(token=token, user=request.user)
        except TeamRuleError as exc:
            return render(request, "accounts/invitation.html", {"problem": str(exc)}, status=400)
        messages.success(request, f"Welcome to {membership.team.name}.")
        return redirect("team_home", team_slug=membership.team.slug)
    invitation = services.invitation_by_token(token)
    problem = services.invitation_problem(invitation, request.user)
    context = {"invitation": invitation if not problem else None, "problem": problem}
    status = 404 if invitation is None else 400 if problem else 200
    return render(request, "accounts/invitation.html", context, status=status)


def _back_to_x_accounts(team) -> HttpResponse:
    return redirect("team_x_accounts", team_slug=team.slug)


@team_view(role=Role.ADMIN)
@require_POST
def x_connect(request: HttpRequest, membership: Membership) -> HttpResponse:
    method = request.POST.get("method", "")
    reconnect = None
    if request.POST.get("account"):
        try:
            reconnect = get_x_account_or_404(membership, int(request.POST["account"]))
        except ValueError:
            raise Http404("No such account") from None
    try:
        url = connections.connect_start(
            session=request.session, membership=membership, method=method, reconnect=reconnect
        )
    except connections.ConnectError as exc:
        messages.error(request, str(exc))
        return _back_to_x_accounts(membership.team)
    return redirect(url)


@team_view(role=Role.ADMIN)
@require_POST
def x_disconnect(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    account = get_x_account_or_404(membership, pk)
    if account.status == XAccount.Status.DISCONNECTED:
        messages.info(request, f"@{account.username} is already disconnected.")
    elif connections.account_disconnect(account=account, actor=membership):
        messages.success(
            request, f"@{account.username} is disconnected and its access revoked at X."
        )
    else:
        messages.warning(
            request,
            f"@{account.username} is disconnected here, but X could not be reached to revoke "
            "its access: remove Quartile at x.com/settings/connected_apps.",
        )
    return _back_to_x_accounts(membership.team)


@login_required
@require_http_methods(["GET"])
def x_callback(request: HttpRequest, method: str) -> HttpResponse:
    try:
        result = connections.connect_finish(
            session=request.session, user=request.user, method=method, query=request.GET
        )
    except connections.ConnectError as exc:
        messages.error(request, str(exc))
        return _back_to_x_accounts(exc.team) if exc.team else redirect("home")
    account = result.account
    verb = "connected" if result.created else "reconnected"
    messages.success(request, f"@{account.username} is {verb}. Its first sync starts shortly.")
    return _back_to_x_accounts(account.team)
