"""OAuth 1.0a three-legged flow against X (docs/x-api.md §4; RFC 5849; docs/reliability.md §1.6).

Requests are signed by requests-oauthlib's ``OAuth1`` and sent through the HTTP seam, so
they get its timeout, User-Agent and typed errors.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlencode

import requests
from requests_oauthlib import OAuth1

from xapi.config import XApp, XEndpoints, mask
from xapi.errors import (
    AccessDenied,
    CallbackNotConfirmed,
    ClientRejected,
    CodeRejected,
    MalformedResponse,
    OAuthFlowError,
    StateMismatch,
    XError,
)
from xapi.http import DEFAULT_HTTP, HttpSettings, new_session, send
from xapi.responses import error_from_response, flow_error_from_response

_REQUEST_TOKEN_ENDPOINT = "POST /oauth/request_token"
_ACCESS_TOKEN_ENDPOINT = "POST /oauth/access_token"
_INVALIDATE_ENDPOINT = "POST /1.1/oauth/invalidate_token"


@dataclass(frozen=True, slots=True, repr=False)
class OAuth1RequestToken:
    """Temporary credentials: keep them in the person's session until the callback."""

    token: str
    token_secret: str

    def __repr__(self) -> str:
        return (
            f"OAuth1RequestToken(token={mask(self.token)}, token_secret={mask(self.token_secret)})"
        )


@dataclass(frozen=True, slots=True, repr=False)
class OAuth1Token:
    """A user's access token. It does not expire; the user can revoke it."""

    token: str
    token_secret: str
    user_id: str
    screen_name: str

    def __repr__(self) -> str:
        return (
            f"OAuth1Token(token={mask(self.token)}, token_secret={mask(self.token_secret)}, "
            f"user_id={self.user_id!r}, screen_name={self.screen_name!r})"
        )


def _post(
    *, url: str, endpoint: str, auth: OAuth1, http: HttpSettings, rejected: type[XError]
) -> requests.Response:
    with new_session(http=http) as session:
        response = send(session, method="POST", url=url, endpoint=endpoint, auth=auth)
    error = flow_error_from_response(
        response, endpoint=endpoint, now=datetime.now(UTC), rejected=rejected
    )
    if error is not None:
        raise error
    return response


def _form_fields(response: requests.Response, *, endpoint: str, required: tuple[str, ...]) -> dict:
    """The form-encoded body of a token response, with the ``required`` keys present."""
    try:
        parsed = parse_qs(response.text, keep_blank_values=True, strict_parsing=True)
    except ValueError as exc:
        raise MalformedResponse("token response is not form-encoded", endpoint=endpoint) from exc
    fields = {key: values[-1] for key, values in parsed.items()}
    missing = [key for key in required if not fields.get(key)]
    if missing:
        raise MalformedResponse(f"token response lacks {', '.join(missing)}", endpoint=endpoint)
    return fields


def fetch_oauth1_request_token(
    *, app: XApp, endpoints: XEndpoints, callback_url: str, http: HttpSettings = DEFAULT_HTTP
) -> OAuth1RequestToken:
    """Step 1: temporary credentials bound to ``callback_url`` (registered at X).

    Raises ``CallbackNotConfirmed`` unless X confirms the callback (RFC 5849 §2.1), and
    ``ClientRejected`` when X refuses the consumer key or the callback URL.
    """
    # x_auth_access_type=read: the dashboard only reads, so ask for no more (docs/x-api.md §4).
    url = f"{endpoints.oauth1_request_token_url}?{urlencode({'x_auth_access_type': 'read'})}"
    auth = OAuth1(app.consumer_key, client_secret=app.consumer_secret, callback_uri=callback_url)
    response = _post(
        url=url, endpoint=_REQUEST_TOKEN_ENDPOINT, auth=auth, http=http, rejected=ClientRejected
    )
    fields = _form_fields(
        response,
        endpoint=_REQUEST_TOKEN_ENDPOINT,
        required=("oauth_token", "oauth_token_secret"),
    )
    if fields.get("oauth_callback_confirmed") != "true":
        raise CallbackNotConfirmed(
            "X did not confirm the callback URL", endpoint=_REQUEST_TOKEN_ENDPOINT
        )
    return OAuth1RequestToken(
        token=fields["oauth_token"], token_secret=fields["oauth_token_secret"]
    )


def build_oauth1_authorize_url(
    *,
    endpoints: XEndpoints,
    request_token: OAuth1RequestToken,
    sign_in: bool = False,
    force_login: bool = False,
) -> str:
    """Step 2: X's consent page. ``sign_in`` uses ``/oauth/authenticate``, which skips the
    prompt for a user who already approved the app; ``force_login`` asks X to show its login
    form, to connect an account other than the one signed in at X."""
    base = endpoints.oauth1_authenticate_url if sign_in else endpoints.oauth1_authorize_url
    params = {"oauth_token": request_token.token}
    if force_login:
        params["force_login"] = "true"
    return f"{base}?{urlencode(params)}"


def parse_oauth1_callback(*, query: Mapping[str, str], expected_token: str) -> str:
    """The ``oauth_verifier`` from the callback, after checking it answers our request token.

    X sends ``denied=<token>`` when the person cancels.
    """
    if "denied" in query:
        raise AccessDenied("the person declined to authorize the app")
    token = query.get("oauth_token") or ""
    if not hmac.compare_digest(token.encode(), expected_token.encode()):
        raise StateMismatch("the callback's oauth_token is not this session's request token")
    verifier = query.get("oauth_verifier")
    if not verifier:
        raise OAuthFlowError("the callback carries no oauth_verifier")
    return verifier


def fetch_oauth1_access_token(
    *,
    app: XApp,
    endpoints: XEndpoints,
    request_token: OAuth1RequestToken,
    verifier: str,
    http: HttpSettings = DEFAULT_HTTP,
) -> OAuth1Token:
    """Step 3: the user's access token. Raises ``CodeRejected`` for a refused verifier."""
    auth = OAuth1(
        app.consumer_key,
        client_secret=app.consumer_secret,
        resource_owner_key=request_token.token,
        resource_owner_secret=request_token.token_secret,
        verifier=verifier,
    )
    response = _post(
        url=endpoints.oauth1_access_token_url,
        endpoint=_ACCESS_TOKEN_ENDPOINT,
        auth=auth,
        http=http,
        rejected=CodeRejected,
    )
    fields = _form_fields(
        response,
        endpoint=_ACCESS_TOKEN_ENDPOINT,
        required=("oauth_token", "oauth_token_secret", "user_id", "screen_name"),
    )
    return OAuth1Token(
        token=fields["oauth_token"],
        token_secret=fields["oauth_token_secret"],
        user_id=fields["user_id"],
        screen_name=fields["screen_name"],
    )


def invalidate_oauth1_token(
    *,
    app: XApp,
    endpoints: XEndpoints,
    token: str,
    token_secret: str,
    http: HttpSettings = DEFAULT_HTTP,
) -> None:
    """Revokes the access token at X. Raises ``TokenRevoked`` if it was already invalid."""
    auth = OAuth1(
        app.consumer_key,
        client_secret=app.consumer_secret,
        resource_owner_key=token,
        resource_owner_secret=token_secret,
    )
    with new_session(http=http) as session:
        response = send(
            session,
            method="POST",
            url=endpoints.oauth1_invalidate_url,
            endpoint=_INVALIDATE_ENDPOINT,
            auth=auth,
        )
    error = error_from_response(response, endpoint=_INVALIDATE_ENDPOINT, now=datetime.now(UTC))
    if error is not None:
        raise error
