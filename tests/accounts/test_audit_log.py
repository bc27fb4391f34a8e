"""Every membership change is written to the team's audit log, which admins can read."""

from http import HTTPStatus

import pytest
from django.urls import reverse

from accounts.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_admins_read_the_log_newest_first(client_for, team, owner, admin, member):
    client = client_for(admin)
    client.post(
        reverse("team_invitation_create", args=[team.slug]),
        {"email": "a@example.com", "role": "member"},
    )
    client.post(
        reverse("team_invitation_create", args=[team.slug]),
        {"email": "b@example.com", "role": "member"},
    )

    response = client.get(reverse("team_audit_log", args=[team.slug]))
    assert response.status_code == HTTPStatus.OK
    events = list(response.context["events"])
    assert [e.target for e in events[:2]] == ["b@example.com", "a@example.com"]
    assert b"admin@example.com" in response.content


def test_members_may_not_read_the_log(client_for, team, member):
    response = client_for(member).get(reverse("team_audit_log", args=[team.slug]))
    assert response.status_code == HTTPStatus.FORBIDDEN


def test_the_log_shows_only_the_team_s_own_events(client_for, team, admin, outsider):
    client_for(outsider).post(
        reverse("team_create"),
        {"name": "Elsewhere", "time_zone": "UTC", "monthly_budget": "100"},
    )
    response = client_for(admin).get(reverse("team_audit_log", args=[team.slug]))
    assert all(event.team_id == team.pk for event in response.context["events"])


def test_settings_changes_are_logged_with_what_changed(client_for, team, owner):
    client_for(owner).post(
        reverse("team_settings", args=[team.slug]),
        {"name": "Acme", "time_zone": "Asia/Tokyo", "monthly_budget": "25"},
    )
    event = AuditEvent.objects.get(team=team, verb=AuditEvent.Verb.TEAM_UPDATED)
    assert event.data == {
        "name": ["Acme Marketing", "Acme"],
        "time_zone": ["UTC", "Asia/Tokyo"],
        "monthly_budget": [None, "25.00"],  # from sized to the accounts to $25.00
    }


def test_every_event_stays_reachable_page_by_page_and_by_kind(client_for, team, admin):
    removal = AuditEvent.objects.create(
        team=team, verb=AuditEvent.Verb.MEMBER_REMOVED, target="gone@example.com"
    )
    # A member downloading CSVs over and over adds an event each time.
    AuditEvent.objects.bulk_create(
        AuditEvent(team=team, verb=AuditEvent.Verb.EXPORT_DOWNLOADED, target="posts.csv")
        for _ in range(650)
    )
    client = client_for(admin)
    url = reverse("team_audit_log", args=[team.slug])

    last = client.get(url, {"page": 7})
    removals = client.get(url, {"kind": AuditEvent.Verb.MEMBER_REMOVED})

    assert removal in list(last.context["events"])
    assert b"Page 7 of 7 (651 events)" in last.content
    assert list(removals.context["events"]) == [removal]
    assert client.get(url, {"kind": "nonsense", "page": "x"}).status_code == HTTPStatus.OK


def test_audit_events_cannot_be_deleted_in_the_admin(admin_client, team):
    event = AuditEvent.objects.create(team=team, verb=AuditEvent.Verb.MEMBER_REMOVED)

    response = admin_client.post(
        reverse("admin:accounts_auditevent_delete", args=[event.pk]), {"post": "yes"}
    )

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert AuditEvent.objects.filter(pk=event.pk).exists()
