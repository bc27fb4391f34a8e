"""The authorization matrix: every route of the project, who may use it, and how.

`tests/dashboard/test_authorization_matrix.py` walks the URL configuration and fails for a route
that has no row here, so a new page cannot ship without its access rule.
"""

from dataclasses import dataclass, field
from http import HTTPStatus

from django.urls import URLPattern, URLResolver, get_resolver

from accounts.models import Role


@dataclass(frozen=True)
class TeamRoute:
    """A route under /t/<team_slug>/: outsiders get 404, roles below `role` get 403."""

    method: str
    role: Role
    ok: HTTPStatus
    data: dict = field(default_factory=dict)
    # Which object of the persona's team fills a `pk` in the URL.
    target: str | None = None


TEAM_ROUTES: dict[str, TeamRoute] = {
    "team_home": TeamRoute("GET", Role.MEMBER, HTTPStatus.OK),
    "team_post_detail": TeamRoute("GET", Role.MEMBER, HTTPStatus.OK, target="post"),
    "team_videos": TeamRoute("GET", Role.MEMBER, HTTPStatus.OK),
    # Every role may download what it sees (streamed: tests/dashboard/test_exports_*.py).
    "team_export_posts": TeamRoute("GET", Role.MEMBER, HTTPStatus.OK),
    "team_export_daily": TeamRoute("GET", Role.MEMBER, HTTPStatus.OK),
    "team_export_videos": TeamRoute("GET", Role.MEMBER, HTTPStatus.OK),
    "team_export_snapshots": TeamRoute("GET", Role.MEMBER, HTTPStatus.OK),
    "team_members": TeamRoute("GET", Role.MEMBER, HTTPStatus.OK),
    "team_member_role": TeamRoute(
        "POST", Role.ADMIN, HTTPStatus.FOUND, {"role": "admin"}, target="member"
    ),
    "team_member_remove": TeamRoute("POST", Role.ADMIN, HTTPStatus.FOUND, target="member"),
    "team_invitation_create": TeamRoute(
        "POST", Role.ADMIN, HTTPStatus.FOUND, {"email": "x@example.com", "role": "member"}
    ),
    "team_invitation_revoke": TeamRoute("POST", Role.ADMIN, HTTPStatus.FOUND, target="invitation"),
    "team_settings": TeamRoute("GET", Role.ADMIN, HTTPStatus.OK),
    "team_audit_log": TeamRoute("GET", Role.ADMIN, HTTPStatus.OK),
    "team_leave": TeamRoute("POST", Role.MEMBER, HTTPStatus.FOUND),
    "team_x_accounts": TeamRoute("GET", Role.MEMBER, HTTPStatus.OK),
    # Without X credentials configured the connect start answers with a message and a redirect.
    "team_x_connect": TeamRoute("POST", Role.ADMIN, HTTPStatus.FOUND, {"method": "oauth2"}),
    "team_x_disconnect": TeamRoute("POST", Role.ADMIN, HTTPStatus.FOUND, target="x_account"),
    "team_x_account_refresh": TeamRoute("POST", Role.MEMBER, HTTPStatus.FOUND, target="x_account"),
    "team_x_account_progress": TeamRoute("GET", Role.MEMBER, HTTPStatus.OK, target="x_account"),
    # Without an account chosen, the answer is a message and a redirect.
    "team_x_account_track_post": TeamRoute("POST", Role.ADMIN, HTTPStatus.FOUND, {"post": "1"}),
}

# Routes outside a team, each with why its access rule is tested elsewhere.
OTHER_ROUTES: dict[str, str] = {
    "home": "redirects by persona: tests/accounts/test_onboarding_and_switching.py",
    "healthz": "public by design, no data: tests/dashboard/test_healthz.py",
    "team_create": "any signed-in person: tests/accounts/test_onboarding_and_switching.py",
    "invitation_accept": "token-guarded: tests/accounts/test_invitations.py",
    "x_callback_oauth2": "session-bound flow: tests/accounts/test_x_connections.py",
    "x_callback_oauth1": "session-bound flow: tests/accounts/test_x_connections.py",
}
# Route prefixes that belong to well-tested libraries (allauth's own suite, Django's admin).
LIBRARY_PREFIXES = ("auth/", "admin/")


def all_routes(patterns=None, prefix: str = "") -> list[tuple[str, str | None]]:
    """Every (pattern, name) the project serves."""
    routes = []
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            routes += all_routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            routes.append((prefix + str(pattern.pattern), pattern.name))
    return routes
