"""Writes for people and teams. Every membership change is audited in the same transaction."""

import secrets
from datetime import timedelta
from decimal import Decimal
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import (
    INVITATION_LIFETIME,
    ROLE_RANK,
    AuditEvent,
    Invitation,
    Membership,
    Role,
    Team,
    User,
    token_digest,
    validate_time_zone,
)


class TeamRuleError(Exception):
    """A change that the team's rules forbid; the message is shown to the person."""


def audit_record(
    *,
    team: Team,
    actor: User | None,
    verb: AuditEvent.Verb,
    target: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    return AuditEvent.objects.create(
        team=team,
        actor=actor,
        actor_email=actor.email if actor else "",
        verb=verb,
        target=target,
        data=data or {},
    )


def _unique_team_slug(name: str) -> str:
    base = slugify(name)[:50] or "team"
    slug, suffix = base, 2
    while Team.objects.filter(slug=slug).exists():
        slug, suffix = f"{base}-{suffix}", suffix + 1
    return slug


@transaction.atomic
def team_create(
    *, name: str, owner: User, time_zone: str = "UTC", monthly_budget: Decimal | None = None
) -> Team:
    name = name.strip()
    if not name:
        raise ValidationError("A team needs a name.")
    validate_time_zone(time_zone)
    team = Team(
        name=name, slug=_unique_team_slug(name), time_zone=time_zone, monthly_budget=monthly_budget
    )
    team.save()
    Membership.objects.create(team=team, user=owner, role=Role.OWNER)
    audit_record(team=team, actor=owner, verb=AuditEvent.Verb.TEAM_CREATED, target=team.name)
    return team


@transaction.atomic
def team_update(
    *, team: Team, actor: User, name: str, time_zone: str, monthly_budget: Decimal | None
) -> Team:
    validate_time_zone(time_zone)
    values = {"name": name.strip(), "time_zone": time_zone, "monthly_budget": monthly_budget}
    changes = {
        field: [getattr(team, field), value]
        for field, value in values.items()
        if getattr(team, field) != value
    }
    if changes:
        for field, (_old, new) in changes.items():
            setattr(team, field, new)
        team.save(update_fields=list(changes))
        # Dollars are written to the log as text ("25.00"), exactly.
        data = {f: [_loggable(old), _loggable(new)] for f, (old, new) in changes.items()}
        audit_record(team=team, actor=actor, verb=AuditEvent.Verb.TEAM_UPDATED, data=data)
    return team


def _loggable(value):
    return f"{value:.2f}" if isinstance(value, Decimal) else value


def _check_may_grant(actor_membership: Membership, role: Role) -> None:
    if ROLE_RANK[role] > ROLE_RANK[Role(actor_membership.role)]:
        raise TeamRuleError(f"Only an owner can make someone an {role.label.lower()}.")


# Invitation mail goes to any address with a team name its sender chose: at most this many per
# team an hour, and one per address every few minutes (a re-invite replaces the pending one).
INVITATIONS_PER_TEAM_HOUR = 20
REINVITE_AFTER = timedelta(minutes=10)


def _check_invitation_pace(team: Team, email: str, now) -> None:
    list(Team.objects.select_for_update().filter(pk=team.pk).values_list("pk"))  # one at a time
    sent = Invitation.objects.filter(team=team)
    last = sent.filter(email__iexact=email).order_by("-created_at").first()
    if last is not None and last.created_at + REINVITE_AFTER > now:
        at = timezone.localtime(last.created_at + REINVITE_AFTER, team.tzinfo)
        raise TeamRuleError(
            f"An invitation went to {email} minutes ago; you can send it again from {at:%H:%M}."
        )
    if sent.filter(created_at__gt=now - timedelta(hours=1)).count() >= INVITATIONS_PER_TEAM_HOUR:
        raise TeamRuleError(
            f"{team.name} has sent {INVITATIONS_PER_TEAM_HOUR} invitations in the last hour, "
            "the most an hour allows. Please try again later."
        )


@transaction.atomic
def invitation_create(
    *, team: Team, email: str, role: Role, invited_by: Membership
) -> tuple[Invitation, str]:
    """Create an invitation and return it with its one-time token (stored only as a digest)."""
    email = User.objects.normalize_email(email.strip())
    _check_may_grant(invited_by, role)
    if Membership.objects.filter(team=team, user__email__iexact=email).exists():
        raise TeamRuleError(f"{email} is already a member of {team.name}.")
    now = timezone.now()
    _check_invitation_pace(team, email, now)
    # A new invitation replaces any pending one for the same address.
    team.invitations.pending().filter(email__iexact=email).update(revoked_at=now)
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        team=team,
        email=email,
        role=role,
        token_digest=token_digest(token),
        invited_by=invited_by.user,
        created_at=now,
        expires_at=now + INVITATION_LIFETIME,
    )
    audit_record(
        team=team,
        actor=invited_by.user,
        verb=AuditEvent.Verb.INVITATION_SENT,
        target=email,
        data={"role": role},
    )
    transaction.on_commit(lambda: _send_invitation_email(invitation, token))
    return invitation, token


def invitation_url(token: str) -> str:
    # Built from SITE_URL, never from the Host header of the request that made it.
    return settings.SITE_URL + reverse("invitation_accept", args=[token])


def _send_invitation_email(invitation: Invitation, token: str) -> None:
    context = {"invitation": invitation, "url": invitation_url(token)}
    # One line, whatever the stored name holds: a mail header cannot carry a line break.
    team_name = " ".join(invitation.team.name.split())
    send_mail(
        subject=f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}Join {team_name} on Quartile",
        message=render_to_string("accounts/email/invitation.txt", context),
        from_email=None,
        recipient_list=[invitation.email],
    )


def invitation_by_token(token: str) -> Invitation | None:
    return (
        Invitation.objects.select_related("team").filter(token_digest=token_digest(token)).first()
    )


def invitation_problem(invitation: Invitation | None, user: User) -> str | None:
    """Why `user` cannot accept `invitation`, or None when they can."""
    if invitation is None:
        return "This invitation link is not valid."
    problems = {
        "accepted": "This invitation has already been used.",
        "revoked": "This invitation was withdrawn. Ask a team admin for a new one.",
        "expired": "This invitation has expired. Ask a team admin for a new one.",
    }
    if invitation.status in problems:
        return problems[invitation.status]
    verified = EmailAddress.objects.filter(user=user, email__iexact=invitation.email, verified=True)
    if not verified.exists():
        # Not naming the address: anyone holding the link would learn it.
        return (
            "This invitation was sent to another address. Sign in with the address it was "
            "sent to, once you have confirmed it, to accept it."
        )
    if Membership.objects.filter(team=invitation.team, user=user).exists():
        return f"You are already a member of {invitation.team.name}."
    return None


@transaction.atomic
def invitation_accept(*, token: str, user: User) -> Membership:
    invitation = (
        Invitation.objects.select_for_update()
        .select_related("team")
        .filter(token_digest=token_digest(token))
        .first()
    )
    problem = invitation_problem(invitation, user)
    if problem:
        raise TeamRuleError(problem)
    team = invitation.team
    if Membership.objects.filter(team=team, user=user).exists():
        raise TeamRuleError(f"You are already a member of {team.name}.")
    membership = Membership.objects.create(team=team, user=user, role=invitation.role)
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit_record(
        team=team,
        actor=user,
        verb=AuditEvent.Verb.INVITATION_ACCEPTED,
        target=invitation.get_role_display(),
        data={"email": user.email},
    )
    return membership


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, actor: Membership) -> None:
    if invitation.status != "pending":
        raise TeamRuleError("Only a pending invitation can be withdrawn.")
    _withdraw(invitation, actor=actor)


def _withdraw(invitation: Invitation, *, actor: Membership, why: str = "") -> None:
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    data = {"role": invitation.role, "reason": why} if why else {}
    audit_record(
        team=invitation.team,
        actor=actor.user,
        verb=AuditEvent.Verb.INVITATION_REVOKED,
        target=invitation.email,
        data=data,
    )


def _lock_owners(team: Team) -> list[Membership]:
    """Lock the team's owner rows so two concurrent changes cannot remove the last owner."""
    return list(Membership.objects.select_for_update().filter(team=team, role=Role.OWNER))


def _withdraw_invitations_of(
    membership: Membership, *, above: Role | None, actor: Membership, why: str
) -> None:
    """Withdraw the pending invitations `membership`'s person created in its team that grant
    more than `above` (None: all of them): powers they lost must not come back through an
    invitation they sent (to a second address of their own, say)."""
    pending = membership.team.invitations.pending().filter(invited_by=membership.user)
    for invitation in pending.select_for_update():
        if above is None or ROLE_RANK[Role(invitation.role)] > ROLE_RANK[above]:
            _withdraw(invitation, actor=actor, why=why)


def _check_may_manage(actor: Membership, target: Membership) -> None:
    if target.role == Role.OWNER and actor.role != Role.OWNER:
        raise TeamRuleError("Only an owner can change or remove another owner.")


@transaction.atomic
def membership_change_role(*, membership: Membership, role: Role, actor: Membership) -> Membership:
    owners = _lock_owners(membership.team)
    membership.refresh_from_db()
    if membership.role == role:
        return membership
    _check_may_manage(actor, membership)
    _check_may_grant(actor, role)
    if membership.role == Role.OWNER and len(owners) == 1:
        raise TeamRuleError("A team needs an owner: make someone else an owner first.")
    previous = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    audit_record(
        team=membership.team,
        actor=actor.user,
        verb=AuditEvent.Verb.MEMBER_ROLE_CHANGED,
        target=membership.user.email,
        data={"from": previous, "to": role},
    )
    if ROLE_RANK[Role(role)] < ROLE_RANK[Role(previous)]:
        why = f"sent by {membership.user.email}, now {Role(role).label.lower()}"
        _withdraw_invitations_of(membership, above=Role(role), actor=actor, why=why)
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, actor: Membership) -> None:
    """Remove a member, or let a person leave (actor is the membership itself)."""
    owners = _lock_owners(membership.team)
    membership.refresh_from_db()
    leaving = actor.pk == membership.pk
    if not leaving:
        _check_may_manage(actor, membership)
    if membership.role == Role.OWNER and len(owners) == 1:
        raise TeamRuleError("A team needs an owner: make someone else an owner first.")
    membership.delete()
    audit_record(
        team=membership.team,
        actor=actor.user,
        verb=AuditEvent.Verb.MEMBER_LEFT if leaving else AuditEvent.Verb.MEMBER_REMOVED,
        target="" if leaving else membership.user.email,
        data={"role": membership.role},
    )
    why = f"sent by {membership.user.email}, who " + ("left" if leaving else "was removed")
    _withdraw_invitations_of(membership, above=None, actor=actor, why=why)
