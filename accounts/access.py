"""Tenant access: one helper per object type.

An outsider gets 404 (the team's existence is not revealed); a member who lacks the role for an
action gets 403. Views reach team data only through these helpers.
"""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from accounts.models import Invitation, Membership, Role, User, XAccount

LAST_TEAM_SESSION_KEY = "last_team_slug"


def get_membership_or_404(user: User, team_slug: str, *, role: Role = Role.MEMBER) -> Membership:
    """The signed-in person's membership of the team, with at least `role`."""
    membership = (
        Membership.objects.select_related("team", "user")
        .filter(team__slug=team_slug, user=user)
        .first()
    )
    if membership is None:
        raise Http404("No such team")
    if not membership.has_role(role):
        raise PermissionDenied(f"This needs the {role.label.lower()} role")
    return membership


def get_team_member_or_404(membership: Membership, member_id: int) -> Membership:
    """Another membership of the same team."""
    return get_object_or_404(
        Membership.objects.select_related("user", "team"), team=membership.team, pk=member_id
    )


def get_invitation_or_404(membership: Membership, invitation_id: int) -> Invitation:
    return get_object_or_404(
        Invitation.objects.select_related("team"), team=membership.team, pk=invitation_id
    )


def team_view(*, role: Role = Role.MEMBER) -> Callable:
    """Decorate a view taking `(request, membership, ...)` from a URL with `team_slug`."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, team_slug: str, *args, **kwargs) -> HttpResponse:
            membership = get_membership_or_404(request.user, team_slug, role=role)
            request.membership = membership
            if request.session.get(LAST_TEAM_SESSION_KEY) != team_slug:
                request.session[LAST_TEAM_SESSION_KEY] = team_slug  # a write only on a switch
            return view(request, membership, *args, **kwargs)

        return wrapper

    return decorator


def get_x_account_or_404(membership: Membership, account_id: int) -> XAccount:
    return get_object_or_404(
        XAccount.objects.select_related("team"), team=membership.team, pk=account_id
    )
