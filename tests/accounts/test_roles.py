"""Admins and owners change roles and remove members; a team always keeps an owner."""

from http import HTTPStatus

import pytest
from django.urls import reverse

from accounts.models import AuditEvent, Membership, Role
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def _membership(team, user) -> Membership:
    return Membership.objects.get(team=team, user=user)


def _set_role(client, team, user, role):
    pk = _membership(team, user).pk
    return client.post(reverse("team_member_role", args=[team.slug, pk]), {"role": role})


def _remove(client, team, user):
    pk = _membership(team, user).pk
    return client.post(reverse("team_member_remove", args=[team.slug, pk]))


def test_an_admin_promotes_a_member_to_admin(client_for, team, admin, member):
    response = _set_role(client_for(admin), team, member, "admin")
    assert response.status_code == HTTPStatus.FOUND
    assert _membership(team, member).role == Role.ADMIN
    event = AuditEvent.objects.get(team=team, verb=AuditEvent.Verb.MEMBER_ROLE_CHANGED)
    assert event.actor == admin
    assert event.target == member.email
    assert event.data == {"from": "member", "to": "admin"}


def test_an_admin_cannot_make_an_owner_or_touch_one(client_for, team, owner, admin, member):
    client = client_for(admin)
    _set_role(client, team, member, "owner")
    _set_role(client, team, owner, "member")
    _remove(client, team, owner)
    assert _membership(team, member).role == Role.MEMBER
    assert _membership(team, owner).role == Role.OWNER


def test_a_member_may_not_change_roles_or_remove_anyone(client_for, team, admin, member):
    client = client_for(member)
    assert _set_role(client, team, admin, "member").status_code == HTTPStatus.FORBIDDEN
    assert _remove(client, team, admin).status_code == HTTPStatus.FORBIDDEN
    assert _membership(team, admin).role == Role.ADMIN


def test_the_last_owner_cannot_be_demoted(client_for, team, owner):
    response = _set_role(client_for(owner), team, owner, "admin")
    assert response.status_code == HTTPStatus.FOUND
    assert _membership(team, owner).role == Role.OWNER
    messages = [m.message for m in response.wsgi_request._messages]
    assert any("needs an owner" in m for m in messages)
    assert not AuditEvent.objects.filter(verb=AuditEvent.Verb.MEMBER_ROLE_CHANGED).exists()


def test_the_last_owner_cannot_be_removed_or_leave(client_for, team, owner):
    client = client_for(owner)
    _remove(client, team, owner)
    client.post(reverse("team_leave", args=[team.slug]))
    assert _membership(team, owner).role == Role.OWNER


def test_with_a_second_owner_the_first_may_step_down(client_for, team, owner):
    second = MembershipFactory(team=team, role=Role.OWNER).user
    _set_role(client_for(owner), team, owner, "admin")
    assert _membership(team, owner).role == Role.ADMIN
    assert _membership(team, second).role == Role.OWNER


def test_an_admin_removes_a_member_and_their_access_ends_at_once(client_for, team, admin, member):
    member_client = client_for(member)
    assert member_client.get(reverse("team_home", args=[team.slug])).status_code == HTTPStatus.OK

    _remove(client_for(admin), team, member)

    assert not Membership.objects.filter(team=team, user=member).exists()
    assert (
        member_client.get(reverse("team_home", args=[team.slug])).status_code
        == HTTPStatus.NOT_FOUND
    )
    event = AuditEvent.objects.get(team=team, verb=AuditEvent.Verb.MEMBER_REMOVED)
    assert event.target == member.email


def test_a_member_may_leave(client_for, team, member):
    response = client_for(member).post(reverse("team_leave", args=[team.slug]))
    assert response.url == reverse("home")
    assert not Membership.objects.filter(team=team, user=member).exists()
    assert AuditEvent.objects.filter(team=team, verb=AuditEvent.Verb.MEMBER_LEFT).exists()


def test_roles_from_another_team_are_out_of_reach(client_for, team, admin, outsider):
    other_membership = Membership.objects.get(user=outsider)
    response = client_for(admin).post(
        reverse("team_member_role", args=[team.slug, other_membership.pk]), {"role": "member"}
    )
    assert response.status_code == HTTPStatus.NOT_FOUND
    other_membership.refresh_from_db()
    assert other_membership.role == Role.OWNER


def test_an_unknown_role_is_refused(client_for, team, owner, member):
    _set_role(client_for(owner), team, member, "superuser")
    assert _membership(team, member).role == Role.MEMBER
