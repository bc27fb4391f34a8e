"""How this deployment reaches X: `xapi` configuration built from settings."""

from django.conf import settings
from django.urls import reverse

import xapi


def x_endpoints() -> xapi.XEndpoints:
    return xapi.XEndpoints(
        api_base_url=settings.X_API_BASE_URL,
        oauth2_authorize_url=settings.X_AUTHORIZE_URL,
        oauth1_authorize_url=settings.X_OAUTH1_AUTHORIZE_URL,
    )


def x_app() -> xapi.XApp:
    return xapi.XApp(
        client_id=settings.X_CLIENT_ID,
        client_secret=settings.X_CLIENT_SECRET or None,
        consumer_key=settings.X_CONSUMER_KEY,
        consumer_secret=settings.X_CONSUMER_SECRET,
    )


def x_http() -> xapi.HttpSettings:
    timeout = float(settings.X_HTTP_TIMEOUT_SECONDS)
    return xapi.HttpSettings(
        user_agent="Quartile/0.1", connect_timeout=min(timeout, 5.0), read_timeout=timeout
    )


# The sandbox's demo app's Bearer token (sandbox/README.md, `SANDBOX_APP_BEARER_TOKEN`).
DEMO_BEARER_TOKEN = "quartile-demo-app-bearer-token"


def x_bearer_token() -> str:
    """`X_BEARER_TOKEN`: the developer app's own Bearer Token (X's developer portal, the app's
    Keys and tokens), for the one endpoint about the app rather than a user: `GET
    /2/usage/tweets`. Empty when not configured; `DEMO_MODE` defaults it to the sandbox's.

    """
    return settings.X_BEARER_TOKEN


def x_app_only_auth() -> xapi.AppOnlyAuth | None:
    """The app-only auth of `GET /2/usage/tweets`, or None when no Bearer token is configured."""
    token = x_bearer_token()
    return xapi.AppOnlyAuth(bearer_token=token) if token else None


def x_callback_url(method: str) -> str:
    """The exact callback registered at X, from settings, never from the request's Host."""
    return settings.X_CALLBACK_BASE_URL + reverse(f"x_callback_{method}")


def oauth2_configured() -> bool:
    return bool(settings.X_CLIENT_ID)


def oauth1_configured() -> bool:
    return bool(settings.X_CONSUMER_KEY and settings.X_CONSUMER_SECRET)


def oauth1_user_auth(*, token: str, token_secret: str) -> xapi.OAuth1UserAuth:
    app = x_app()
    return xapi.OAuth1UserAuth(
        consumer_key=app.consumer_key,
        consumer_secret=app.consumer_secret,
        token=token,
        token_secret=token_secret,
    )
