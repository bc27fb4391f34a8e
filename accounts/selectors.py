"""Reads for people and teams."""

from django.db.models import QuerySet

from accounts.models import AuditEvent, Invitation, Membership, Team, User, XAccount


def teams_for_user(user: User) -> QuerySet[Team]:
    return Team.objects.filter(memberships__user=user).order_by("name")


def team_members(team: Team) -> QuerySet[Membership]:
    return team.memberships.select_related("user").order_by("user__email")


def team_pending_invitations(team: Team) -> QuerySet[Invitation]:
    return team.invitations.pending().select_related("invited_by")


def team_audit_events(team: Team, *, verb: str | None = None) -> QuerySet[AuditEvent]:
    events = team.audit_events.all()
    return events.filter(verb=verb) if verb else events


def team_x_accounts(team: Team) -> QuerySet[XAccount]:
    return team.x_accounts.select_related("connected_by", "credential").order_by(
        "status", "username"
    )
