"""A person without a team creates one; a person in several teams switches between them."""

from decimal import Decimal
from http import HTTPStatus

import pytest
from django.urls import reverse

from accounts.models import AuditEvent, Membership, Role, Team
from tests.factories import MembershipFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_creating_a_team_makes_its_creator_the_owner(client_for):
    user = UserFactory()
    client = client_for(user)
    response = client.post(
        reverse("team_create"),
        {"name": "Growth Team", "time_zone": "Europe/Paris", "monthly_budget": "250.50"},
    )

    team = Team.objects.get(name="Growth Team")
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("team_home", args=[team.slug])
    assert team.slug == "growth-team"
    assert team.time_zone == "Europe/Paris"
    assert team.monthly_budget == Decimal("250.50")
    assert Membership.objects.get(team=team, user=user).role == Role.OWNER
    assert AuditEvent.objects.filter(team=team, verb=AuditEvent.Verb.TEAM_CREATED).count() == 1


def test_a_team_left_without_a_budget_gets_one_sized_to_its_accounts(client_for):
    client_for(UserFactory()).post(reverse("team_create"), {"name": "Growth", "time_zone": "UTC"})
    assert Team.objects.get(name="Growth").monthly_budget is None  # metrics.spend sizes it


def test_team_slugs_stay_unique(client_for):
    TeamFactory(name="Growth", slug="growth")
    client_for(UserFactory()).post(
        reverse("team_create"), {"name": "Growth", "time_zone": "UTC", "monthly_budget": "1"}
    )
    assert set(Team.objects.values_list("slug", flat=True)) == {"growth", "growth-2"}


def test_an_unknown_time_zone_is_refused_with_a_message(client_for):
    client = client_for(UserFactory())
    response = client.post(reverse("team_create"), {"name": "X", "time_zone": "Mars/Olympus"})
    assert response.status_code == HTTPStatus.OK
    assert b"Select a valid choice" in response.content
    assert not Team.objects.exists()


def test_the_first_team_page_explains_what_a_team_is(client_for):
    response = client_for(UserFactory()).get(reverse("team_create"))
    assert b"Create your team" in response.content


def test_home_takes_a_person_to_the_team_they_used_last(client_for):
    user = UserFactory()
    first = MembershipFactory(user=user, team__name="Alpha", team__slug="alpha").team
    second = MembershipFactory(user=user, team__name="Beta", team__slug="beta").team
    client = client_for(user)

    assert client.get(reverse("home")).url == reverse("team_home", args=[first.slug])
    client.get(reverse("team_home", args=[second.slug]))
    assert client.get(reverse("home")).url == reverse("team_home", args=[second.slug])


def test_the_team_switcher_lists_every_team_of_the_person(client_for):
    user = UserFactory()
    MembershipFactory(user=user, team__name="Alpha", team__slug="alpha")
    MembershipFactory(user=user, team__name="Beta", team__slug="beta")
    TeamFactory(name="Not mine", slug="not-mine")
    response = client_for(user).get(reverse("team_home", args=["alpha"]))
    assert b'href="/t/beta/"' in response.content
    assert b"Not mine" not in response.content


def test_anonymous_visitors_are_sent_to_sign_in(client):
    assert client.get(reverse("home")).url == reverse("account_login")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        # X caps a Project at 3,000,000 Post reads a month: $15,000 at $0.005.
        ("monthly_budget", "15000.01", b"less than or equal to 15000.00"),
        ("monthly_budget", "-1", b"greater than or equal to 0"),
        ("monthly_budget", "2147483648", b"less than or equal to 15000.00"),
        ("monthly_budget", "12.345", b"no more than 2 decimal places"),
        ("name", "Growth\nBcc: everyone@example.com", b"one line of text"),
    ],
)
def test_out_of_bounds_team_settings_get_a_message_not_a_500(client_for, field, value, message):
    data = {"name": "Growth", "time_zone": "UTC", "monthly_budget": "10", field: value}
    response = client_for(UserFactory()).post(reverse("team_create"), data)

    assert response.status_code == HTTPStatus.OK
    assert message in response.content
    assert not Team.objects.exists()
