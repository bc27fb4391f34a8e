"""Who is calling an API endpoint: a user, by an OAuth 2.0 Bearer token or an OAuth 1.0a signed
request, or the app itself, by its App-Only Bearer token."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sandbox import problems
from sandbox.apps import AppRegistry, RegisteredApp
from sandbox.http import Request, Response
from sandbox.oauth1 import OAuth1Server
from sandbox.oauth2 import OAuth2Server
from sandbox.world import World

# GET /2/users/me, /2/tweets, /2/tweets/:id and /2/users/:id/tweets all need these (docs/x-api.md
# §3).
API_SCOPES = frozenset({"tweet.read", "users.read"})


@dataclass(frozen=True)
class Caller:
    user_id: str
    username: str
    app: RegisteredApp
    token_key: str  # names the token's rate-limit buckets without keeping the token
    scopes: frozenset[str] | None  # None for OAuth 1.0a, which has no scopes

    @property
    def may_read(self) -> bool:
        return self.scopes is None or self.scopes >= API_SCOPES

    @property
    def context(self) -> str:
        """X's name for the kind of token, as its Unsupported Authentication answers word it."""
        return "OAuth 1.0a User Context" if self.scopes is None else "OAuth 2.0 User Context"


@dataclass(frozen=True)
class AppCaller:
    """The developer app by its App-Only Bearer token: no user behind it."""

    app: RegisteredApp
    token_key: str
    username: None = None  # the ledger's owner


def authenticate(
    request: Request, oauth2: OAuth2Server, oauth1: OAuth1Server, world: World, apps: AppRegistry
) -> Caller | AppCaller | Response:
    header = request.header("Authorization") or ""
    scheme, _, credentials = header.partition(" ")
    app_only = apps.by_bearer_token(credentials.strip()) if scheme.lower() == "bearer" else None
    if app_only is not None:
        return AppCaller(app_only, hashlib.sha256(credentials.strip().encode()).hexdigest())
    if scheme.lower() == "oauth":
        verified = oauth1.authenticate(request)
        if isinstance(verified, Response):
            return verified
        assert verified.token is not None
        user_id, scopes = verified.token.user_id, None  # type: ignore[union-attr]
        app, token = verified.app, verified.token.value
    elif scheme.lower() == "bearer":
        access = oauth2.access_token(credentials.strip())
        if access is None:
            return problems.unauthorized()
        grant = access.grant
        user_id, scopes, app, token = (
            grant.user_id,
            frozenset(grant.scopes),
            grant.app,
            access.value,
        )
    else:
        return problems.unauthorized()
    account = world.account_by_id(user_id)
    assert account is not None
    return Caller(
        user_id, account.username, app, hashlib.sha256(token.encode()).hexdigest(), scopes
    )
