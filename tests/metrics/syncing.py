"""Accounts wired to the sandbox, and syncs run the way workers run them."""

from datetime import UTC, datetime, timedelta

import xapi
from accounts.crypto import Secret
from accounts.models import XAccount, XCredential
from metrics import scheduler, sync
from metrics.models import Post, PostMetrics
from tests.factories import XAccountFactory
from tests.workers import broker_env


def sandbox_account(sandbox, team, username: str, kind: str = "oauth2") -> XAccount:
    """An account connected with a token minted by the sandbox (as X's portal does)."""
    token = sandbox.mint_token(username, kind)
    user = sandbox.user(username)
    account = XAccountFactory(
        team=team,
        x_user_id=user["id"],
        username=username,
        auth_method=kind,
        post_count=user.get("posts"),
    )
    if kind == "oauth2":
        XCredential.objects.create(
            account=account,
            access_token=Secret(token["access_token"]),
            refresh_token=Secret(token["refresh_token"]),
            scopes=token["scope"],
            expires_at=datetime.now(UTC) + timedelta(seconds=token["expires_in"]),
        )
    else:
        XCredential.objects.create(
            account=account,
            access_token=Secret(token["oauth_token"]),
            token_secret=Secret(token["oauth_token_secret"]),
        )
    return account


def run_sync(account: XAccount):
    """Claim the account as the scheduler does and sync it inline, as a worker would."""
    claim = scheduler.claim_account(account.pk, due_only=False)
    assert claim is not None, "the account could not be claimed"
    return sync.sync_account(account_id=account.pk, claim=claim)


def truth_client(sandbox, username: str) -> xapi.XClient:
    """A client that reads what the sandbox serves, to compare the store with."""
    token = sandbox.mint_token(username, "oauth2")["access_token"]
    return xapi.XClient(
        auth=xapi.OAuth2UserAuth(get_access_token=lambda: token),
        endpoints=xapi.XEndpoints.under_one_base(sandbox.base_url),
    )


def worker_env(sandbox, broker: str, folder, **extra) -> dict[str, str]:
    base = sandbox.base_url
    return {
        **broker_env(broker, folder),
        "DEBUG": "true",
        "X_API_BASE_URL": base,
        "X_AUTHORIZE_URL": f"{base}/i/oauth2/authorize",
        "X_OAUTH1_AUTHORIZE_URL": f"{base}/oauth/authorize",
        "X_CLIENT_ID": "quartile-demo-client",
        "X_CLIENT_SECRET": "quartile-demo-client-secret",
        "X_CONSUMER_KEY": "quartile-demo-consumer",
        "X_CONSUMER_SECRET": "quartile-demo-consumer-secret",
        **extra,
    }


def end_state(account: XAccount) -> tuple:
    """What a sync leaves: the account's Post count and each Post's latest key metrics."""
    metrics = sorted(
        PostMetrics.objects.filter(post__account=account).values_list(
            "post__x_post_id", "context", "impression_count", "like_count", "url_link_clicks"
        )
    )
    return Post.objects.filter(account=account).count(), metrics
