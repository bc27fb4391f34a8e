"""OAuth 2.0 Authorization Code Flow with PKCE against X (docs/x-api.md §3; docs/reliability.md §1).

requests-oauthlib builds the authorize URL (S256 PKCE, ``state``) and talks to the token
endpoint; these functions add X's client authentication rules and typed errors.
A confidential client authenticates with HTTP Basic on every token call, refresh included
(otherwise "Missing valid authorization header", docs/x-api.md §3, §5 xdk); a public client
sends ``client_id`` in the body.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, Literal

import requests
from oauthlib.oauth2 import InsecureTransportError, OAuth2Error, WebApplicationClient
from requests.auth import HTTPBasicAuth
from requests_oauthlib import OAuth2Session

from xapi.config import XApp, XEndpoints, mask
from xapi.errors import (
    AccessDenied,
    CodeRejected,
    MalformedResponse,
    OAuthFlowError,
    RefreshRejected,
    StateMismatch,
    XError,
)
from xapi.http import DEFAULT_HTTP, HttpSettings, new_session, send, transport_errors
from xapi.responses import flow_error_from_response, json_body

OAUTH2_SCOPES = ("tweet.read", "users.read", "offline.access")

_TOKEN_ENDPOINT = "POST /2/oauth2/token"
_REVOKE_ENDPOINT = "POST /2/oauth2/revoke"


@dataclass(frozen=True, slots=True, repr=False)
class OAuth2AuthorizationRequest:
    """Where to send the person, and what to keep in their session until the callback."""

    url: str
    state: str
    code_verifier: str

    def __repr__(self) -> str:
        return (
            f"OAuth2AuthorizationRequest(url=..., state={mask(self.state)}, "
            f"code_verifier={mask(self.code_verifier)})"
        )


@dataclass(frozen=True, slots=True, repr=False)
class OAuth2Token:
    access_token: str
    refresh_token: str | None
    expires_at: datetime | None
    scopes: tuple[str, ...]

    def __repr__(self) -> str:
        return (
            f"OAuth2Token(access_token={mask(self.access_token)}, "
            f"refresh_token={mask(self.refresh_token)}, expires_at={self.expires_at!r}, "
            f"scopes={self.scopes!r})"
        )


@contextmanager
def _https_required() -> Iterator[None]:
    try:
        yield
    except InsecureTransportError as exc:
        raise ValueError(
            "OAuth 2.0 URLs must be https; oauthlib allows http only when the "
            "OAUTHLIB_INSECURE_TRANSPORT environment variable is set (local sandbox)"
        ) from exc


def build_oauth2_authorization(
    *,
    app: XApp,
    endpoints: XEndpoints,
    redirect_uri: str,
    scopes: tuple[str, ...] = OAUTH2_SCOPES,
) -> OAuth2AuthorizationRequest:
    """The consent URL with a fresh ``state`` and an S256 PKCE challenge.

    Keep ``state`` and ``code_verifier`` in the person's session; ``redirect_uri`` must be
    the exact registered callback, and the same one is sent when exchanging the code.
    """
    client = WebApplicationClient(app.client_id)
    with (
        _https_required(),
        OAuth2Session(
            client=client, redirect_uri=redirect_uri, scope=list(scopes), pkce="S256"
        ) as session,
    ):
        url, state = session.authorization_url(endpoints.oauth2_authorize_url)
    # pkce="S256" made the verifier on our client: requests-oauthlib keeps no public handle.
    return OAuth2AuthorizationRequest(url=url, state=state, code_verifier=client.code_verifier)


def parse_oauth2_callback(*, query: Mapping[str, str], expected_state: str) -> str:
    """The authorization code from the callback's query, after checking ``state``."""
    state = query.get("state") or ""
    if not hmac.compare_digest(state.encode(), expected_state.encode()):
        raise StateMismatch("the callback's state is not the one this session issued")
    error = query.get("error")
    if error == "access_denied":
        raise AccessDenied("the person declined to authorize the app")
    if error:
        raise OAuthFlowError(f"authorization failed: {error}")
    code = query.get("code")
    if not code:
        raise OAuthFlowError("the callback carries no code")
    return code


def _client_authentication(app: XApp) -> dict[str, Any]:
    if app.client_secret is not None:
        return {"auth": HTTPBasicAuth(app.client_id, app.client_secret)}
    return {}


def _raise_for_token_response(
    response: requests.Response, *, rejected: type[XError]
) -> requests.Response:
    """A requests-oauthlib compliance hook: typed errors before oauthlib reads the body."""
    error = flow_error_from_response(
        response, endpoint=_TOKEN_ENDPOINT, now=datetime.now(UTC), rejected=rejected
    )
    if error is not None:
        raise error
    json_body(response, endpoint=_TOKEN_ENDPOINT)
    return response


def _token_request(
    *,
    http: HttpSettings,
    hook: Literal["access_token_response", "refresh_token_response"],
    rejected: type[XError],
    call: Callable[[OAuth2Session], dict[str, Any]],
    **session_kwargs: Any,
) -> OAuth2Token:
    session = new_session(http=http, session_class=OAuth2Session, **session_kwargs)
    session.register_compliance_hook(hook, partial(_raise_for_token_response, rejected=rejected))
    with (
        session,
        _https_required(),
        transport_errors(endpoint=_TOKEN_ENDPOINT),
    ):
        try:
            token = call(session)
        except InsecureTransportError:
            raise
        except OAuth2Error as exc:
            # A 200 that oauthlib cannot use (no access_token, an "error" key). Only the
            # class name goes in the message: oauthlib's may quote the body.
            raise MalformedResponse(
                f"unusable token response ({type(exc).__name__})", endpoint=_TOKEN_ENDPOINT
            ) from exc
    return _token_record(token)


def _token_record(token: Mapping[str, Any]) -> OAuth2Token:
    expires_in = token.get("expires_in")
    scope = token.get("scope") or ()
    return OAuth2Token(
        access_token=token["access_token"],
        refresh_token=token.get("refresh_token"),
        expires_at=(
            datetime.now(UTC) + timedelta(seconds=expires_in)
            if isinstance(expires_in, int | float)
            else None
        ),
        scopes=tuple(scope.split() if isinstance(scope, str) else scope),
    )


def exchange_oauth2_code(
    *,
    app: XApp,
    endpoints: XEndpoints,
    redirect_uri: str,
    code: str,
    code_verifier: str,
    http: HttpSettings = DEFAULT_HTTP,
) -> OAuth2Token:
    """Redeems the code (within 30 s of consent, docs/x-api.md §3) for tokens.

    Raises ``CodeRejected`` for an expired, reused or mismatched code or verifier.
    """
    return _token_request(
        http=http,
        hook="access_token_response",
        rejected=CodeRejected,
        call=lambda session: session.fetch_token(
            endpoints.oauth2_token_url,
            code=code,
            code_verifier=code_verifier,
            include_client_id=not app.is_confidential_client,
            **_client_authentication(app),
        ),
        client_id=app.client_id,
        redirect_uri=redirect_uri,
    )


def refresh_oauth2_token(
    *,
    app: XApp,
    endpoints: XEndpoints,
    refresh_token: str,
    http: HttpSettings = DEFAULT_HTTP,
) -> OAuth2Token:
    """New tokens for a refresh token. X rotates refresh tokens: store the new one first.

    Raises ``RefreshRejected`` when X refuses the refresh token (already used, revoked).
    Call it under a per-account lock: two refreshes with one token invalidate each other
    (docs/x-api.md §3, §7.10; docs/reliability.md §1.4).
    """
    public_client = {} if app.is_confidential_client else {"client_id": app.client_id}
    return _token_request(
        http=http,
        hook="refresh_token_response",
        rejected=RefreshRejected,
        call=lambda session: session.refresh_token(
            endpoints.oauth2_token_url,
            refresh_token=refresh_token,
            **_client_authentication(app),
            **public_client,
        ),
        client_id=app.client_id,
    )


def revoke_oauth2_token(
    *,
    app: XApp,
    endpoints: XEndpoints,
    token: str,
    token_type_hint: Literal["access_token", "refresh_token"],
    http: HttpSettings = DEFAULT_HTTP,
) -> bool:
    """Revokes one token at X; True when X reports it revoked (``{"revoked": true}``)."""
    data = {"token": token, "token_type_hint": token_type_hint}
    if not app.is_confidential_client:
        data["client_id"] = app.client_id
    with new_session(http=http) as session:
        response = send(
            session,
            method="POST",
            url=endpoints.oauth2_revoke_url,
            endpoint=_REVOKE_ENDPOINT,
            data=data,
            **_client_authentication(app),
        )
    error = flow_error_from_response(
        response, endpoint=_REVOKE_ENDPOINT, now=datetime.now(UTC), rejected=OAuthFlowError
    )
    if error is not None:
        raise error
    body = json_body(response, endpoint=_REVOKE_ENDPOINT)
    return not isinstance(body, dict) or body.get("revoked") is not False
