"""Invitations: by email, a token stored only as a digest, single use, 7 days, for the invited
address only."""

import re
import secrets
from datetime import timedelta
from http import HTTPStatus

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent, Invitation, Membership, Role, token_digest
from tests.factories import InvitationFactory, UserFactory

pytestmark = pytest.mark.django_db


def _invite(client, team, email="new.person@example.com", role="member"):
    return client.post(
        reverse("team_invitation_create", args=[team.slug]), {"email": email, "role": role}
    )


def _token_from_mail() -> str:
    return re.search(r"/invitations/([^/\s]+)/", mail.outbox[-1].body).group(1)


def test_an_admin_invites_by_email_and_the_link_carries_a_token_stored_as_a_digest(
    client_for, team, admin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _invite(client_for(admin), team)
    assert response.status_code == HTTPStatus.FOUND

    invitation = Invitation.objects.get(team=team)
    token = _token_from_mail()
    assert mail.outbox[-1].to == ["new.person@example.com"]
    assert invitation.token_digest == token_digest(token)
    assert token not in invitation.token_digest
    assert invitation.expires_at - invitation.created_at == timedelta(days=7)
    assert AuditEvent.objects.filter(team=team, verb=AuditEvent.Verb.INVITATION_SENT).exists()


def test_the_invited_person_accepts_and_joins_with_the_invited_role(client_for, team):
    invitation = InvitationFactory(team=team, email="joiner@example.com", role=Role.ADMIN)
    joiner = UserFactory(email="joiner@example.com")
    client = client_for(joiner)
    url = reverse("invitation_accept", args=[invitation.token])

    page = client.get(url)
    assert page.status_code == HTTPStatus.OK
    assert b"Accept invitation" in page.content

    response = client.post(url)
    assert response.status_code == HTTPStatus.FOUND
    assert Membership.objects.get(team=team, user=joiner).role == Role.ADMIN
    invitation.refresh_from_db()
    assert invitation.accepted_by == joiner
    assert AuditEvent.objects.filter(team=team, verb=AuditEvent.Verb.INVITATION_ACCEPTED).exists()


def test_the_email_address_matches_case_insensitively(client_for, team):
    invitation = InvitationFactory(team=team, email="Joiner@Example.com")
    joiner = UserFactory(email="joiner@example.com")
    client_for(joiner).post(reverse("invitation_accept", args=[invitation.token]))
    assert Membership.objects.filter(team=team, user=joiner).exists()


def test_an_invitation_works_only_once(client_for, team):
    invitation = InvitationFactory(team=team, email="joiner@example.com")
    joiner = UserFactory(email="joiner@example.com")
    url = reverse("invitation_accept", args=[invitation.token])
    client_for(joiner).post(url)
    Membership.objects.filter(user=joiner).delete()

    response = client_for(joiner).post(url)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert b"already been used" in response.content
    assert not Membership.objects.filter(team=team, user=joiner).exists()


def test_an_expired_invitation_is_refused(client_for, team):
    invitation = InvitationFactory(
        team=team, email="late@example.com", expires_at=timezone.now() - timedelta(seconds=1)
    )
    late = UserFactory(email="late@example.com")
    response = client_for(late).post(reverse("invitation_accept", args=[invitation.token]))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert b"expired" in response.content
    assert not Membership.objects.filter(team=team, user=late).exists()


def test_someone_signed_in_with_another_address_cannot_accept(client_for, team):
    invitation = InvitationFactory(team=team, email="intended@example.com")
    someone_else = UserFactory(email="someone.else@example.com")
    client = client_for(someone_else)
    url = reverse("invitation_accept", args=[invitation.token])

    page = client.get(url).content
    assert b"Sign in with the address it was" in page
    assert b"intended@example.com" not in page  # the link does not tell whom it invites
    response = client.post(url)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not Membership.objects.filter(team=team, user=someone_else).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_a_guessed_token_finds_nothing(client_for, team, outsider):
    InvitationFactory(team=team, email=outsider.email)
    guess = secrets.token_urlsafe(32)
    client = client_for(outsider)
    assert (
        client.get(reverse("invitation_accept", args=[guess])).status_code == HTTPStatus.NOT_FOUND
    )
    assert (
        client.post(reverse("invitation_accept", args=[guess])).status_code
        == HTTPStatus.BAD_REQUEST
    )
    assert not Membership.objects.filter(team=team, user=outsider).exists()


def test_accepting_needs_a_signed_in_account(client, team):
    invitation = InvitationFactory(team=team)
    response = client.get(reverse("invitation_accept", args=[invitation.token]))
    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("account_login"))


def test_a_withdrawn_invitation_cannot_be_accepted(client_for, team, admin):
    invitation = InvitationFactory(team=team, email="joiner@example.com")
    client_for(admin).post(reverse("team_invitation_revoke", args=[team.slug, invitation.pk]))
    joiner = UserFactory(email="joiner@example.com")
    response = client_for(joiner).post(reverse("invitation_accept", args=[invitation.token]))
    assert b"withdrawn" in response.content
    assert not Membership.objects.filter(team=team, user=joiner).exists()


def test_inviting_again_replaces_the_pending_invitation(client_for, team, admin):
    client = client_for(admin)
    _invite(client, team, email="twice@example.com")
    Invitation.objects.update(created_at=timezone.now() - timedelta(minutes=11))
    _invite(client, team, email="twice@example.com")
    assert Invitation.objects.filter(email="twice@example.com").count() == 2
    assert Invitation.objects.pending().filter(email="twice@example.com").count() == 1


def test_an_address_is_not_sent_a_second_invitation_within_minutes(
    client_for, team, admin, django_capture_on_commit_callbacks
):
    client = client_for(admin)
    with django_capture_on_commit_callbacks(execute=True):
        _invite(client, team, email="twice@example.com")
        response = client.post(
            reverse("team_invitation_create", args=[team.slug]),
            {"email": "twice@example.com", "role": "member"},
            follow=True,
        )

    assert b"you can send it again from" in response.content
    assert len(mail.outbox) == 1
    assert Invitation.objects.filter(email="twice@example.com").count() == 1


def test_a_team_sends_at_most_twenty_invitations_an_hour(client_for, team, admin):
    client = client_for(admin)
    for n in range(20):
        _invite(client, team, email=f"person{n}@example.com")
    response = _invite(client, team, email="one.too.many@example.com")

    assert Invitation.objects.filter(team=team).count() == 20
    assert b"20 invitations in the last hour" in client.get(response.url).content


def test_an_existing_member_is_not_invited(client_for, team, admin, member):
    response = _invite(client_for(admin), team, email=member.email)
    assert response.status_code == HTTPStatus.FOUND
    assert not Invitation.objects.filter(email=member.email).exists()


def test_only_an_owner_invites_an_owner(client_for, team, owner, admin):
    _invite(client_for(admin), team, email="boss@example.com", role="owner")
    assert not Invitation.objects.filter(email="boss@example.com").exists()
    _invite(client_for(owner), team, email="boss@example.com", role="owner")
    assert Invitation.objects.get(email="boss@example.com").role == Role.OWNER


def test_a_member_cannot_invite(client_for, team, member):
    assert _invite(client_for(member), team).status_code == HTTPStatus.FORBIDDEN
    assert not Invitation.objects.exists()


def _admin_invites_their_second_address(client_for, team, admin, role="admin"):
    # As the invite form does; the factory keeps the token the mail would carry.
    return InvitationFactory(team=team, email="second.me@example.com", role=role, invited_by=admin)


def _second_address_accepts(client_for, invitation):
    second = UserFactory(email="second.me@example.com")
    response = client_for(second).post(reverse("invitation_accept", args=[invitation.token]))
    return second, response


@pytest.mark.parametrize("invited_role", ["admin", "member"])
def test_a_removed_admin_cannot_walk_back_in_through_an_invitation_they_sent(
    client_for, team, owner, admin, invited_role
):
    invitation = _admin_invites_their_second_address(client_for, team, admin, invited_role)
    membership = Membership.objects.get(team=team, user=admin)

    client_for(owner).post(reverse("team_member_remove", args=[team.slug, membership.pk]))

    second, response = _second_address_accepts(client_for, invitation)
    assert b"withdrawn" in response.content
    assert not Membership.objects.filter(team=team, user=second).exists()
    event = AuditEvent.objects.get(team=team, verb=AuditEvent.Verb.INVITATION_REVOKED)
    assert event.target == "second.me@example.com" and "was removed" in event.data["reason"]


def test_demoting_an_admin_withdraws_only_the_invitations_above_their_new_role(
    client_for, team, owner, admin
):
    as_admin = _admin_invites_their_second_address(client_for, team, admin, "admin")
    _invite(client_for(admin), team, email="colleague@example.com", role="member")
    membership = Membership.objects.get(team=team, user=admin)

    client_for(owner).post(
        reverse("team_member_role", args=[team.slug, membership.pk]), {"role": "member"}
    )

    as_admin.refresh_from_db()
    assert as_admin.status == "revoked"
    assert Invitation.objects.get(email="colleague@example.com").status == "pending"


def test_a_stored_team_name_with_a_line_break_still_sends_its_invitations(
    client_for, team, admin, django_capture_on_commit_callbacks
):
    team.name = "Growth\nTeam"  # saved before names were checked
    team.save(update_fields=["name"])

    with django_capture_on_commit_callbacks(execute=True):
        response = _invite(client_for(admin), team)

    assert response.status_code == HTTPStatus.FOUND
    assert mail.outbox[-1].subject.endswith("Join Growth Team on Quartile")


def test_an_address_someone_added_without_confirming_it_gives_no_claim_on_an_invitation(
    client_for, team
):
    """The squat: an account holding the invited address unverified cannot accept."""
    invitation = InvitationFactory(team=team, email="invited@example.com", role=Role.ADMIN)
    squatter = UserFactory(email="squatter@example.com")
    EmailAddress.objects.create(user=squatter, email="invited@example.com", verified=False)
    squatter.email = "invited@example.com"  # even as the account's own address
    squatter.save(update_fields=["email"])

    response = client_for(squatter).post(reverse("invitation_accept", args=[invitation.token]))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not Membership.objects.filter(team=team, user=squatter).exists()


def test_nobody_can_add_a_second_address_to_their_account(client_for):
    person = UserFactory(email="me@example.com")

    response = client_for(person).post(
        reverse("account_email"), {"action_add": "", "email": "someone.else@example.com"}
    )

    assert response.status_code == HTTPStatus.OK  # the form, with its error
    assert not EmailAddress.objects.filter(email="someone.else@example.com").exists()
