"""Connecting a team's X accounts: OAuth 2.0 with PKCE or OAuth 1.0a three-legged.

The flow's secrets (state, PKCE verifier, request-token secret) live only in the person's
session, are used once and expire; the callback URL comes from settings. Whatever goes wrong
comes back as a `ConnectError` whose message is shown on the Accounts page, with nothing stored.
"""

import logging
import time
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

import xapi
from accounts.credentials import credential_store
from accounts.crypto import Secret
from accounts.models import AuditEvent, Membership, Role, Team, User, XAccount, XCredential
from accounts.services import audit_record
from accounts.signals import x_account_connected
from accounts.x_settings import oauth1_user_auth, x_app, x_callback_url, x_endpoints, x_http

logger = logging.getLogger(__name__)

SESSION_KEY = "x_connect"
FLOW_LIFETIME_SECONDS = 600
PENDING_FLOWS = 5
METHODS = (XAccount.AuthMethod.OAUTH2, XAccount.AuthMethod.OAUTH1)


class ConnectError(Exception):
    """The connection failed; the message tells the person why and what to do."""

    def __init__(self, message: str, *, team: Team | None = None) -> None:
        super().__init__(message)
        self.team = team


@dataclass(frozen=True)
class ConnectResult:
    account: XAccount
    created: bool


def _message_for(error: xapi.XError) -> str:
    if isinstance(error, xapi.AccessDenied):
        return "You cancelled on X, so nothing was connected."
    if isinstance(error, xapi.StateMismatch):
        return "That sign-in with X did not come from this browser session. Please start again."
    if isinstance(error, xapi.CodeRejected):
        return "X did not accept the sign-in (it may have taken too long). Please try again."
    if isinstance(error, xapi.ClientNotEnrolled):
        return error.advice()
    if isinstance(error, xapi.CallbackNotConfirmed | xapi.ClientRejected):
        return "X refused our app's settings (callback URL or keys). Tell your administrator."
    if isinstance(error, xapi.Timeout | xapi.ConnectionFailed | xapi.ServerError):
        return "X could not be reached. Please try again in a minute."
    return "Connecting to X failed. Please try again."


def connect_start(
    *, session, membership: Membership, method: str, reconnect: XAccount | None = None
) -> str:
    """Begin a connection; returns X's consent URL to redirect the person to."""
    pending = {
        "method": method,
        "team_id": membership.team_id,
        "user_id": membership.user_id,
        "reconnect_id": reconnect.pk if reconnect else None,
        "started": time.time(),
    }
    try:
        if method == XAccount.AuthMethod.OAUTH2:
            request = xapi.build_oauth2_authorization(
                app=x_app(), endpoints=x_endpoints(), redirect_uri=x_callback_url(method)
            )
            pending.update(state=request.state, verifier=request.code_verifier)
            url = request.url
        elif method == XAccount.AuthMethod.OAUTH1:
            token = xapi.fetch_oauth1_request_token(
                app=x_app(),
                endpoints=x_endpoints(),
                callback_url=x_callback_url(method),
                http=x_http(),
            )
            pending.update(request_token=token.token, request_token_secret=token.token_secret)
            url = xapi.build_oauth1_authorize_url(endpoints=x_endpoints(), request_token=token)
        else:
            raise ConnectError("Choose OAuth 2.0 or OAuth 1.0a.", team=membership.team)
    except xapi.XError as exc:
        logger.warning("starting an X connection failed: %s", type(exc).__name__)
        raise ConnectError(_message_for(exc), team=membership.team) from exc
    # Several flows at once (an agency connects accounts in several tabs), each found again by
    # what X sends back to its callback; the oldest give way beyond PENDING_FLOWS.
    flows = _pending_flows(session)
    flows[_flow_key(method, pending.get("state") or pending.get("request_token"))] = pending
    newest = sorted(flows.items(), key=lambda item: item[1]["started"])[-PENDING_FLOWS:]
    session[SESSION_KEY] = dict(newest)
    return url


def _pending_flows(session) -> dict[str, dict]:
    flows = session.get(SESSION_KEY)
    # A session from before flows were keyed holds one flow itself: it is simply dropped.
    return dict(flows) if isinstance(flows, dict) and "method" not in flows else {}


def _flow_key(method: str, handle: str | None) -> str:
    return f"{method}:{handle}"


def _take_pending_flow(session, method: str, query) -> dict | None:
    """The flow this callback answers (single use, whatever happens next): OAuth 2.0 names it
    by `state`, OAuth 1.0a by its request token (`oauth_token`, or `denied` on a refusal)."""
    if method == XAccount.AuthMethod.OAUTH2:
        handle = query.get("state")
    else:
        handle = query.get("oauth_token") or query.get("denied")
    flows = _pending_flows(session)
    pending = flows.pop(_flow_key(method, handle), None) if handle else None
    session[SESSION_KEY] = flows
    return pending


def connect_finish(*, session, user: User, method: str, query) -> ConnectResult:
    """Complete a connection from X's callback query."""
    pending = _take_pending_flow(session, method, query)
    if not pending or pending.get("method") != method or pending.get("user_id") != user.pk:
        raise ConnectError("This sign-in with X was not started here, or was already used.")
    membership = (
        Membership.objects.select_related("team")
        .filter(team_id=pending["team_id"], user=user)
        .first()
    )
    if membership is None:
        raise ConnectError("You are no longer a member of that team.")
    team = membership.team
    if not membership.has_role(Role.ADMIN):
        raise ConnectError("Only the team's admins can connect X accounts.", team=team)
    if time.time() - pending["started"] > FLOW_LIFETIME_SECONDS:
        raise ConnectError("The sign-in with X took too long. Please start again.", team=team)
    try:
        if method == XAccount.AuthMethod.OAUTH2:
            code = xapi.parse_oauth2_callback(query=query, expected_state=pending["state"])
            token = xapi.exchange_oauth2_code(
                app=x_app(),
                endpoints=x_endpoints(),
                redirect_uri=x_callback_url(method),
                code=code,
                code_verifier=pending["verifier"],
                http=x_http(),
            )
        else:
            request_token = xapi.OAuth1RequestToken(
                token=pending["request_token"], token_secret=pending["request_token_secret"]
            )
            verifier = xapi.parse_oauth1_callback(query=query, expected_token=request_token.token)
            token = xapi.fetch_oauth1_access_token(
                app=x_app(),
                endpoints=x_endpoints(),
                request_token=request_token,
                verifier=verifier,
                http=x_http(),
            )
        me = _read_me(method, token)
    except xapi.XError as exc:
        logger.warning("completing an X connection failed: %s", type(exc).__name__)
        raise ConnectError(_message_for(exc), team=team) from exc
    reconnect = XAccount.objects.filter(pk=pending["reconnect_id"], team=team).first()
    return _save_connection(
        team=team, actor=user, method=method, token=token, me=me, reconnect=reconnect
    )


def _read_me(method: str, token: xapi.OAuth2Token | xapi.OAuth1Token) -> xapi.User:
    """GET /2/users/me with the new token, before anything is stored."""
    if isinstance(token, xapi.OAuth2Token):
        auth = xapi.OAuth2UserAuth(get_access_token=lambda: token.access_token)
    else:
        auth = oauth1_user_auth(token=token.token, token_secret=token.token_secret)
    with xapi.XClient(auth=auth, endpoints=x_endpoints(), http=x_http()) as client:
        return client.get_me()


@transaction.atomic
def _save_connection(
    *, team: Team, actor: User, method: str, token, me: xapi.User, reconnect: XAccount | None
) -> ConnectResult:
    if reconnect is not None and reconnect.x_user_id != me.id:
        raise ConnectError(
            f"You signed in to X as @{me.username}, but this reconnects @{reconnect.username}. "
            f"Sign in to X as @{reconnect.username} and try again.",
            team=team,
        )
    account, created = XAccount.objects.select_for_update().get_or_create(
        team=team,
        x_user_id=me.id,
        defaults={"username": me.username, "auth_method": method, "connected_by": actor},
    )
    previous = None if created else _issued_tokens(account)
    account.username = me.username
    account.name = me.name or ""
    account.profile_image_url = me.profile_image_url or ""
    account.post_count = me.post_count
    account.auth_method = method
    account.status = XAccount.Status.ACTIVE
    account.connected_by = actor
    account.connected_at = timezone.now()
    account.disconnected_at = None
    account.last_error = ""
    account.save()
    credential_store(account=account, token=token)
    if previous is not None and not previous.same_as(token):
        # The tokens this replaces stay valid at X until revoked, whichever method issued them.
        transaction.on_commit(lambda: _revoke_at_x(previous, account_id=account.pk))
    transaction.on_commit(lambda: x_account_connected.send(sender=XAccount, account=account))
    audit_record(
        team=team,
        actor=actor,
        verb=AuditEvent.Verb.X_ACCOUNT_CONNECTED,
        target=f"@{account.username}",
        data={"method": method, "reconnected": not created},
    )
    return ConnectResult(account=account, created=created)


def account_disconnect(*, account: XAccount, actor: Membership) -> bool:
    """Revoke the account's tokens at X and forget them. Returns whether X confirmed.

    The account and its history stay; its credential is deleted either way, so a token that
    X could not be told about is at least gone from here.
    """
    revoked = _revoke_at_x(_issued_tokens(account), account_id=account.pk)
    with transaction.atomic():
        XCredential.objects.filter(account=account).delete()
        account.status = XAccount.Status.DISCONNECTED
        account.disconnected_at = timezone.now()
        account.save(update_fields=["status", "disconnected_at"])
        audit_record(
            team=account.team,
            actor=actor.user,
            verb=AuditEvent.Verb.X_ACCOUNT_DISCONNECTED,
            target=f"@{account.username}",
            data={"revoked_at_x": revoked},
        )
    return revoked


@dataclass(frozen=True)
class _IssuedTokens:
    """The tokens X issued for an account's current connection, and by which method."""

    method: str
    access: Secret
    refresh: Secret | None
    secret: Secret | None

    def same_as(self, token: xapi.OAuth2Token | xapi.OAuth1Token) -> bool:
        # X hands out the same OAuth 1.0a token again when the same person authorizes again.
        new = token.access_token if isinstance(token, xapi.OAuth2Token) else token.token
        return self.access.reveal() == new


def _issued_tokens(account: XAccount) -> _IssuedTokens | None:
    credential = XCredential.objects.filter(account=account).first()
    if credential is None:
        return None
    return _IssuedTokens(
        account.auth_method,
        credential.access_token,
        credential.refresh_token,
        credential.token_secret,
    )


def _revoke_at_x(tokens: _IssuedTokens | None, *, account_id: int) -> bool:
    """Revoke `tokens` at X; True when X confirmed (or they were already invalid)."""
    if tokens is None:
        return True
    try:
        if tokens.method == XAccount.AuthMethod.OAUTH1:
            xapi.invalidate_oauth1_token(
                app=x_app(),
                endpoints=x_endpoints(),
                token=tokens.access.reveal(),
                token_secret=tokens.secret.reveal(),
                http=x_http(),
            )
            return True
        revoked = True
        for token, hint in ((tokens.refresh, "refresh_token"), (tokens.access, "access_token")):
            if token is not None:
                revoked &= xapi.revoke_oauth2_token(
                    app=x_app(),
                    endpoints=x_endpoints(),
                    token=token.reveal(),
                    token_type_hint=hint,
                    http=x_http(),
                )
        return revoked
    except xapi.TokenRevoked:
        return True  # already invalid at X: nothing left to revoke
    except xapi.XError as exc:
        logger.warning("revoking X account %s failed: %s", account_id, type(exc).__name__)
        return False
