from django.http import HttpRequest

from accounts.selectors import teams_for_user


def teams(request: HttpRequest) -> dict:
    """The team switcher: every team of the signed-in person and the one on screen."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "my_teams": teams_for_user(user),
        "current_membership": getattr(request, "membership", None),
    }
