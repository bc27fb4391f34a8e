"""Every team route answers owner, admin, member, outsider and anonymous as the matrix says."""

from http import HTTPStatus

import pytest
from django.urls import reverse

from accounts.models import ROLE_RANK, Membership, Role
from tests.authz import LIBRARY_PREFIXES, OTHER_ROUTES, TEAM_ROUTES, TeamRoute, all_routes
from tests.factories import InvitationFactory, MembershipFactory, XAccountFactory
from tests.metrics.factories import PostFactory

PERSONAS = ["owner", "admin", "member", "outsider", "anonymous"]


def test_every_route_has_a_row_in_the_matrix():
    unmapped = [
        (pattern, name)
        for pattern, name in all_routes()
        if not pattern.startswith(LIBRARY_PREFIXES)
        and name not in TEAM_ROUTES
        and name not in OTHER_ROUTES
    ]
    assert unmapped == [], "add these routes to tests/authz.py"


def test_every_team_route_is_under_the_team_prefix():
    team_names = {
        name for pattern, name in all_routes() if pattern.startswith("t/<slug:team_slug>/")
    }
    assert team_names == set(TEAM_ROUTES)


def _expected(route: TeamRoute, persona: str) -> HTTPStatus:
    if persona == "anonymous":
        return HTTPStatus.FOUND  # to the sign-in page
    if persona == "outsider":
        return HTTPStatus.NOT_FOUND
    if ROLE_RANK[Role(persona)] < ROLE_RANK[route.role]:
        return HTTPStatus.FORBIDDEN
    return route.ok


def _url(name: str, route: TeamRoute, team) -> str:
    args = [team.slug]
    if route.target == "member":
        args.append(MembershipFactory(team=team, role=Role.MEMBER).pk)
    elif route.target == "invitation":
        args.append(InvitationFactory(team=team).pk)
    elif route.target == "x_account":
        args.append(XAccountFactory(team=team).pk)
    elif route.target == "post":
        args.append(PostFactory(account__team=team).pk)
    return reverse(name, args=args)


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("name", sorted(TEAM_ROUTES))
def test_team_route_answers_each_persona_as_the_matrix_says(
    name, persona, personas, team, client_for
):
    route = TEAM_ROUTES[name]
    user = personas[persona]
    client = client_for(user)
    if persona == "owner" and name == "team_leave":
        # The only owner may not leave; a second owner makes leaving legitimate.
        MembershipFactory(team=team, role=Role.OWNER)
    url = _url(name, route, team)

    response = client.post(url, route.data) if route.method == "POST" else client.get(url)

    assert response.status_code == _expected(route, persona)
    if persona == "anonymous":
        assert response.url.startswith(reverse("account_login"))


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(n for n, r in TEAM_ROUTES.items() if r.method == "POST"))
def test_state_changing_team_routes_refuse_get_and_change_nothing(name, team, owner, client_for):
    route = TEAM_ROUTES[name]
    url = _url(name, route, team)
    before = list(Membership.objects.order_by("pk").values_list("pk", "role"))
    response = client_for(owner).get(url)
    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert list(Membership.objects.order_by("pk").values_list("pk", "role")) == before
