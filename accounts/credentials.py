"""Storing, refreshing and re-encrypting X credentials."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

import xapi
from accounts import crypto
from accounts.models import XAccount, XCredential
from accounts.x_settings import oauth1_user_auth, x_app, x_endpoints, x_http

logger = logging.getLogger(__name__)

SECRET_COLUMNS = ("access_token", "refresh_token", "token_secret")


@dataclass
class RotationReport:
    rotated: int = 0
    already_current: int = 0
    batches: int = 0
    finished: bool = False


def credentials_rotate_keys(
    *, batch_size: int = 100, max_batches: int | None = None
) -> RotationReport:
    """Re-encrypt every credential under the primary key, one committed batch at a time.

    It works on the stored ciphertexts (never on decrypted values), writes a row only if it is
    unchanged since it was read, and skips rows already under the primary key: it can be stopped
    at any point and run again, and loses nothing.
    """
    report = RotationReport()
    table = connection.ops.quote_name(XCredential._meta.db_table)
    columns = ", ".join(SECRET_COLUMNS)
    last_id = 0
    while max_batches is None or report.batches < max_batches:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id, {columns} FROM {table} WHERE id > %s ORDER BY id LIMIT %s",  # noqa: S608
                [last_id, batch_size],
            )
            rows = cursor.fetchall()
            if not rows:
                report.finished = True
                break
            for row_id, *stored in rows:
                last_id = row_id
                if not any(value and crypto.needs_rotation(value) for value in stored):
                    report.already_current += 1
                    continue
                rotated = [crypto.rotate(value) if value else value for value in stored]
                assignments = ", ".join(f"{c} = %s" for c in SECRET_COLUMNS)
                matches = " AND ".join(
                    f"{c} IS NULL" if value is None else f"{c} = %s"
                    for c, value in zip(SECRET_COLUMNS, stored, strict=True)
                )
                cursor.execute(
                    f"UPDATE {table} SET {assignments} WHERE id = %s AND {matches}",  # noqa: S608
                    [*rotated, row_id, *[v for v in stored if v is not None]],
                )
                report.rotated += cursor.rowcount
        report.batches += 1
    return report


# An OAuth 2.0 access token expiring sooner than this is refreshed before use.
REFRESH_MARGIN = timedelta(minutes=5)


def credential_store(
    *, account: XAccount, token: xapi.OAuth2Token | xapi.OAuth1Token
) -> XCredential:
    """Create or replace the account's credential with freshly issued tokens."""
    if isinstance(token, xapi.OAuth2Token):
        values = {
            "access_token": token.access_token,
            "refresh_token": token.refresh_token,
            "token_secret": None,
            "scopes": " ".join(token.scopes),
            "expires_at": token.expires_at,
        }
    else:
        values = {
            "access_token": token.token,
            "refresh_token": None,
            "token_secret": token.token_secret,
            "scopes": "",
            "expires_at": None,
        }
    credential, created = XCredential.objects.get_or_create(account=account, defaults=values)
    if not created:
        for field, value in values.items():
            setattr(credential, field, value)
        credential.version += 1
        credential.save()
    return credential


def _expiring(expires_at: datetime | None) -> bool:
    return expires_at is not None and expires_at - timezone.now() < REFRESH_MARGIN


def account_mark_needs_reauth(*, account_id: int, reason: str) -> None:
    XAccount.objects.filter(pk=account_id).exclude(status=XAccount.Status.DISCONNECTED).update(
        status=XAccount.Status.NEEDS_REAUTH, last_error=reason
    )


def credential_refresh(*, account_id: int, rejected_access_token: str | None = None) -> XCredential:
    """Refresh the OAuth 2.0 tokens, one refresh per account at a time; the current row.

    The credential row stays locked while X answers (the HTTP call is bounded by its
    timeout), so concurrent callers wait and then find the new token instead of spending the
    single-use refresh token twice. The rotated tokens are committed before they are used.
    `rejected_access_token` is the token X just answered 401 to: if another caller replaced
    it meanwhile, the replacement is used without a second refresh. Without it, the tokens are
    refreshed only if they (still) expire within `REFRESH_MARGIN`.

    What it returns is the row as it now stands (read under the lock, and saved if refreshed),
    so a caller takes the access token and its expiry from it without reading the row again.
    """
    try:
        with transaction.atomic():
            credential = XCredential.objects.select_for_update().get(account_id=account_id)
            current = credential.access_token.reveal()
            replaced = rejected_access_token is not None and current != rejected_access_token
            if replaced or (rejected_access_token is None and not _expiring(credential.expires_at)):
                return credential
            if credential.refresh_token is None:
                raise xapi.RefreshRejected("the credential has no refresh token")
            token = xapi.refresh_oauth2_token(
                app=x_app(),
                endpoints=x_endpoints(),
                refresh_token=credential.refresh_token.reveal(),
                http=x_http(),
            )
            credential.access_token = crypto.Secret(token.access_token)
            if token.refresh_token:
                credential.refresh_token = crypto.Secret(token.refresh_token)
            credential.expires_at = token.expires_at
            if token.scopes:
                credential.scopes = " ".join(token.scopes)
            credential.version += 1
            credential.save()
            logger.info("refreshed the OAuth 2.0 token of X account %s", account_id)
            return credential
    except xapi.RefreshRejected:
        # The grant is gone (revoked, or the rotated token was lost): only an admin can help.
        account_mark_needs_reauth(account_id=account_id, reason="X refused the refresh token")
        raise


class HeldCredential:
    """An OAuth 2.0 credential held for the length of a sync, refreshing itself.

    Made from one loaded `XCredential` row (its secrets decrypted once, when it was loaded),
    it hands `xapi` the access token in hand before every request and asks the database
    again only to refresh: when the token expires within `REFRESH_MARGIN`, and after a 401.
    Both go through `credential_refresh` (the locked read), and the token and expiry in hand
    become what it returns, a refresh of its own or the one a concurrent refresher already
    made. A sync reads the row once while nothing expires, and once more per refresh.

    The refresh token is not held: it rotates, and only the locked read may spend it.
    """

    def __init__(self, credential: XCredential) -> None:
        self.account_id = credential.account_id
        self._hold(credential)

    def _hold(self, credential: XCredential) -> None:
        # One assignment, so a reader never sees one token with another's expiry.
        self._held = (
            credential.access_token,
            credential.expires_at,
            credential.refresh_token is not None,
        )

    def __repr__(self) -> str:
        token, expires_at, _ = self._held
        return f"<HeldCredential account={self.account_id} token={token!r} until={expires_at}>"

    def access_token(self) -> str:
        """The token for the next request, refreshed first when it expires within 5 minutes."""
        token, expires_at, refreshable = self._held
        if refreshable and _expiring(expires_at):
            self._hold(credential_refresh(account_id=self.account_id))
            token = self._held[0]
        return token.reveal()

    def refresh_after_401(self) -> str:
        """X refused the token in hand: a new one (or the one another caller already got)."""
        rejected = self._held[0].reveal()
        self._hold(credential_refresh(account_id=self.account_id, rejected_access_token=rejected))
        return self._held[0].reveal()

    def user_auth(self) -> xapi.OAuth2UserAuth:
        return xapi.OAuth2UserAuth(
            get_access_token=self.access_token, refresh=self.refresh_after_401
        )


def credential_access_token(*, account_id: int) -> str:
    """The account's access token, refreshed first when it expires within 5 minutes."""
    return HeldCredential(XCredential.objects.get(account_id=account_id)).access_token()


def user_auth_for(account: XAccount) -> xapi.UserAuth:
    """The `xapi` auth of an account: OAuth 1.0a tokens, or a `HeldCredential`'s OAuth 2.0.

    It reads `account.credential` once (no query when the account was loaded with
    `select_related("credential")`, as a sync loads it); nothing else reads the row unless a
    token needs refreshing.
    """
    credential = account.credential
    if account.auth_method == XAccount.AuthMethod.OAUTH1:
        return oauth1_user_auth(
            token=credential.access_token.reveal(), token_secret=credential.token_secret.reveal()
        )
    return HeldCredential(credential).user_auth()


def client_for(account: XAccount, **kwargs) -> xapi.XClient:
    return xapi.XClient(
        auth=user_auth_for(account), endpoints=x_endpoints(), http=x_http(), **kwargs
    )
