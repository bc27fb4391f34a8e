"""xapi against the X sandbox over HTTP: real flows, real pages, injected faults.

The sandbox is reached by changing ``XEndpoints`` only. It serves plain http, which oauthlib
accepts for OAuth 2.0 only with OAUTHLIB_INSECURE_TRANSPORT set (the ``plain_http_oauth2``
fixture).
"""

from datetime import UTC, datetime, timedelta
from math import ceil
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from xapi import (
    AccessDenied,
    ClientRejected,
    CodeRejected,
    ConnectionFailed,
    CreditsDepleted,
    HttpSettings,
    MalformedResponse,
    MetricGroup,
    OAuth1UserAuth,
    OAuth2UserAuth,
    RateLimited,
    RefreshRejected,
    ServerError,
    Timeout,
    TokenRevoked,
    Unauthorized,
    UsageCapped,
    XApp,
    XClient,
    XEndpoints,
    build_oauth1_authorize_url,
    build_oauth2_authorization,
    exchange_oauth2_code,
    fetch_oauth1_access_token,
    fetch_oauth1_request_token,
    invalidate_oauth1_token,
    parse_oauth1_callback,
    parse_oauth2_callback,
    refresh_oauth2_token,
    revoke_oauth2_token,
)

DEMO_APP = XApp(
    client_id="quartile-demo-client",
    client_secret="quartile-demo-client-secret",
    consumer_key="quartile-demo-consumer",
    consumer_secret="quartile-demo-consumer-secret",
)
DEMO_PUBLIC_APP = XApp(
    client_id="quartile-demo-public-client",
    client_secret=None,
    consumer_key="quartile-demo-consumer",
    consumer_secret="quartile-demo-consumer-secret",
)
OAUTH2_CALLBACK = "http://127.0.0.1:8000/tests/xapi/oauth2/callback/"
OAUTH1_CALLBACK = "http://127.0.0.1:8000/tests/xapi/oauth1/callback/"
HTTP = HttpSettings(user_agent="Quartile-tests/1", connect_timeout=2, read_timeout=5)
EVERY_METRIC = MetricGroup.PUBLIC | MetricGroup.NON_PUBLIC | MetricGroup.ORGANIC


@pytest.fixture
def x(sandbox_clean, plain_http_oauth2):
    """The sandbox, reset, with our callbacks registered."""
    sandbox_clean.register_callback(OAUTH2_CALLBACK)
    sandbox_clean.register_callback(OAUTH1_CALLBACK)
    return sandbox_clean


@pytest.fixture
def endpoints(x) -> XEndpoints:
    return XEndpoints.under_one_base(x.base_url)


def oauth2_client(endpoints, access_token, **options):
    auth = OAuth2UserAuth(get_access_token=lambda: access_token)
    return XClient(auth=auth, endpoints=endpoints, http=options.pop("http", HTTP), **options)


def oauth1_client(endpoints, minted):
    auth = OAuth1UserAuth(
        consumer_key=DEMO_APP.consumer_key,
        consumer_secret=DEMO_APP.consumer_secret,
        token=minted["oauth_token"],
        token_secret=minted["oauth_token_secret"],
    )
    return XClient(auth=auth, endpoints=endpoints, http=HTTP)


def consent(authorize_url, *, username="quartile_small", action="authorize"):
    """Plays the person on X's consent page: submits its form, returns the callback query."""
    parts = urlsplit(authorize_url)
    page = requests.get(authorize_url, timeout=5)
    assert page.status_code == 200, page.text
    form = {key: values[0] for key, values in parse_qs(parts.query).items()}
    answer = requests.post(
        f"{parts.scheme}://{parts.netloc}{parts.path}",
        data=form | {"username": username, "action": action},
        allow_redirects=False,
        timeout=5,
    )
    assert answer.status_code == 302, answer.text
    return {
        key: values[0]
        for key, values in parse_qs(urlsplit(answer.headers["Location"]).query).items()
    }


def young_original_post_ids(client, user_id, now, *, limit):
    """Posts under 29 days old that the user wrote: all their private metrics can answer."""
    ids = []
    for page in client.iter_timeline(user_id=user_id, metrics=MetricGroup.PUBLIC):
        for post in page.posts:
            if post.created_at < now - timedelta(days=29):
                return ids
            if not post.is_retweet:
                ids.append(post.id)
            if len(ids) == limit:
                return ids
    return ids


# -- connecting ---------------------------------------------------------------------------------


@pytest.mark.parametrize("app", [DEMO_APP, DEMO_PUBLIC_APP], ids=["confidential", "public"])
def test_the_oauth2_flow_connects_an_account(x, endpoints, app):
    authorization = build_oauth2_authorization(
        app=app, endpoints=endpoints, redirect_uri=OAUTH2_CALLBACK
    )
    callback = consent(authorization.url)
    code = parse_oauth2_callback(query=callback, expected_state=authorization.state)

    token = exchange_oauth2_code(
        app=app,
        endpoints=endpoints,
        redirect_uri=OAUTH2_CALLBACK,
        code=code,
        code_verifier=authorization.code_verifier,
        http=HTTP,
    )

    assert set(token.scopes) == {"tweet.read", "users.read", "offline.access"}
    assert token.refresh_token
    with oauth2_client(endpoints, token.access_token) as client:
        assert client.get_me().username == "quartile_small"


def test_a_code_is_single_use(x, endpoints):
    authorization = build_oauth2_authorization(
        app=DEMO_APP, endpoints=endpoints, redirect_uri=OAUTH2_CALLBACK
    )
    code = parse_oauth2_callback(
        query=consent(authorization.url), expected_state=authorization.state
    )
    exchange = {
        "app": DEMO_APP,
        "endpoints": endpoints,
        "redirect_uri": OAUTH2_CALLBACK,
        "code": code,
        "code_verifier": authorization.code_verifier,
        "http": HTTP,
    }
    exchange_oauth2_code(**exchange)

    with pytest.raises(CodeRejected):
        exchange_oauth2_code(**exchange)


def test_declining_consent_is_access_denied(x, endpoints):
    authorization = build_oauth2_authorization(
        app=DEMO_APP, endpoints=endpoints, redirect_uri=OAUTH2_CALLBACK
    )

    callback = consent(authorization.url, action="cancel")

    with pytest.raises(AccessDenied):
        parse_oauth2_callback(query=callback, expected_state=authorization.state)


def test_the_oauth1_flow_connects_an_account(x, endpoints):
    request_token = fetch_oauth1_request_token(
        app=DEMO_APP, endpoints=endpoints, callback_url=OAUTH1_CALLBACK, http=HTTP
    )
    callback = consent(
        build_oauth1_authorize_url(endpoints=endpoints, request_token=request_token),
        username="quartile_brand",
    )
    verifier = parse_oauth1_callback(query=callback, expected_token=request_token.token)

    token = fetch_oauth1_access_token(
        app=DEMO_APP,
        endpoints=endpoints,
        request_token=request_token,
        verifier=verifier,
        http=HTTP,
    )

    assert token.screen_name == "quartile_brand"
    minted = {"oauth_token": token.token, "oauth_token_secret": token.token_secret}
    with oauth1_client(endpoints, minted) as client:
        assert client.get_me().id == token.user_id


def test_an_unregistered_oauth1_callback_is_client_rejected(x, endpoints):
    with pytest.raises(ClientRejected):
        fetch_oauth1_request_token(
            app=DEMO_APP,
            endpoints=endpoints,
            callback_url="http://127.0.0.1:8000/not/registered/",
            http=HTTP,
        )


# -- reading --------------------------------------------------------------------------------------


def test_get_me_with_an_oauth2_token(x, endpoints):
    minted = x.mint_token("quartile_brand", "oauth2")

    with oauth2_client(endpoints, minted["access_token"]) as client:
        me = client.get_me()

    assert me.username == "quartile_brand"
    assert me.id.isdigit()


def test_get_me_with_an_oauth1_token(x, endpoints):
    minted = x.mint_token("quartile_brand", "oauth1")

    with oauth1_client(endpoints, minted) as client:
        me = client.get_me()

    assert (me.id, me.username) == (minted["user_id"], minted["screen_name"])


def test_the_timeline_pages_to_the_end(x, endpoints):
    minted = x.mint_token("quartile_brand", "oauth2")

    with oauth2_client(endpoints, minted["access_token"]) as client:
        user_id = client.get_me().id
        pages = list(client.iter_timeline(user_id=user_id, metrics=MetricGroup.PUBLIC))

    posts = [post for page in pages for post in page.posts]
    assert len(posts) > 250
    assert len({post.id for post in posts}) == len(posts)
    assert pages[-1].meta.next_token is None
    assert len(pages) == ceil(len(posts) / 100)
    assert [post.created_at for post in posts] == sorted(
        (post.created_at for post in posts), reverse=True
    )
    assert all(post.public_metrics.impression_count is not None for post in posts)
    assert any(page.media for page in pages), "the brand posts videos"


def test_the_timeline_reaches_only_the_newest_3200_posts(x, endpoints):
    minted = x.mint_token("quartile_arch", "oauth2")

    with oauth2_client(endpoints, minted["access_token"]) as client:
        user_id = client.get_me().id
        count = sum(
            len(page.posts)
            for page in client.iter_timeline(
                user_id=user_id, metrics=MetricGroup.PUBLIC, with_media=False
            )
        )

    assert count == 3200


def test_a_batch_of_100_young_posts_answers_every_metric_group(x, endpoints):
    minted = x.mint_token("quartile_arch", "oauth2")

    with oauth2_client(endpoints, minted["access_token"]) as client:
        user_id = client.get_me().id
        ids = young_original_post_ids(client, user_id, datetime.now(UTC), limit=100)
        page = client.lookup_posts(ids=ids, metrics=EVERY_METRIC)
        promoted_ids = [
            post.id
            for post in page.posts
            if post.non_public_metrics.impression_count > post.organic_metrics.impression_count
        ]
        promoted = client.lookup_posts(ids=promoted_ids, metrics=MetricGroup.PROMOTED)

    assert len(ids) == 100
    assert page.errors == ()
    assert sorted(post.id for post in page.posts) == sorted(ids)
    for post in page.posts:
        assert post.public_metrics.like_count is not None
        assert post.non_public_metrics.impression_count is not None
        assert post.organic_metrics.impression_count is not None
        for media in page.media_of(post):
            if media.type == "video":
                assert media.public_metrics.view_count is not None
                assert media.non_public_metrics.playback_0_count is not None
    assert promoted_ids, "the archive promotes some Posts"
    assert all(post.promoted_metrics is not None for post in promoted.posts)
    assert x.ledger()["totals"]["GET /2/tweets"]["requests"] == 2


def test_private_metrics_on_an_old_post_come_back_as_partial_errors(x, endpoints):
    minted = x.mint_token("quartile_brand", "oauth2")

    with oauth2_client(endpoints, minted["access_token"]) as client:
        user_id = client.get_me().id
        posts = [
            post
            for page in client.iter_timeline(user_id=user_id, metrics=MetricGroup.PUBLIC)
            for post in page.posts
            if not post.is_retweet
        ]
        young, old = posts[0], posts[-1]
        page = client.lookup_posts(ids=[young.id, old.id], metrics=EVERY_METRIC)

    assert [post.id for post in page.posts] == [young.id]
    assert page.errors
    assert all(error.is_field_authorization_error for error in page.errors)
    assert {error.resource_id for error in page.errors} == {old.id}


def test_rate_limit_headers_are_recorded_and_obeyed(x, endpoints):
    minted = x.mint_token("quartile_small", "oauth2")

    with oauth2_client(endpoints, minted["access_token"]) as client:
        client.get_me()
        window = client.rate_limits.window("GET /2/users/me")
        assert (window.limit, window.remaining) == (75, 74)
        assert window.reset_at > datetime.now(UTC)
        for _ in range(74):
            client.get_me()
        with pytest.raises(RateLimited) as refused:
            client.get_me()

    assert refused.value.refused_before_sending
    assert x.ledger()["totals"]["GET /2/users/me"]["requests"] == 75


# -- faults ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "error_class", "permanent"),
    [
        ("503", ServerError, False),
        ("500", ServerError, False),
        ("hang", Timeout, False),
        ("malformed_json", MalformedResponse, False),
        ("reset", ConnectionFailed, False),
        ("429", RateLimited, False),
        ("429_v1", RateLimited, False),
        ("usage_cap", UsageCapped, True),
        ("credits_depleted", CreditsDepleted, True),
        ("revoked", Unauthorized, True),
    ],
)
def test_each_fault_maps_to_its_error(x, endpoints, kind, error_class, permanent):
    minted = x.mint_token("quartile_small", "oauth2")
    x.fault(kind, count=1, path="/2/users/me", seconds=1 if kind == "hang" else None)
    quick = HttpSettings(connect_timeout=2, read_timeout=0.3)

    with (
        oauth2_client(endpoints, minted["access_token"], http=quick) as client,
        pytest.raises(error_class) as raised,
    ):
        client.get_me()

    assert type(raised.value) is error_class
    assert raised.value.permanent is permanent


def test_a_revoked_oauth1_token_fault_is_token_revoked(x, endpoints):
    minted = x.mint_token("quartile_small", "oauth1")
    x.fault("revoked", path="/2/users/me")

    with oauth1_client(endpoints, minted) as client, pytest.raises(TokenRevoked):
        client.get_me()


# -- refresh, revoke, invalidate ------------------------------------------------------------------


def test_refresh_rotates_and_the_old_refresh_token_is_rejected(x, endpoints):
    minted = x.mint_token("quartile_small", "oauth2")

    fresh = refresh_oauth2_token(
        app=DEMO_APP, endpoints=endpoints, refresh_token=minted["refresh_token"], http=HTTP
    )

    assert fresh.refresh_token != minted["refresh_token"]
    with pytest.raises(RefreshRejected) as raised:
        refresh_oauth2_token(
            app=DEMO_APP, endpoints=endpoints, refresh_token=minted["refresh_token"], http=HTTP
        )
    assert raised.value.permanent is True
    with oauth2_client(endpoints, fresh.access_token) as client:
        assert client.get_me().username == "quartile_small"


def test_a_401_refreshes_through_the_hook_and_the_retry_succeeds(x, endpoints):
    minted = x.mint_token("quartile_small", "oauth2")
    stored = {"access": minted["access_token"], "refresh": minted["refresh_token"]}
    revoke_oauth2_token(
        app=DEMO_APP,
        endpoints=endpoints,
        token=stored["access"],
        token_type_hint="access_token",
        http=HTTP,
    )

    def refresh():
        token = refresh_oauth2_token(
            app=DEMO_APP, endpoints=endpoints, refresh_token=stored["refresh"], http=HTTP
        )
        stored.update(access=token.access_token, refresh=token.refresh_token)
        return token.access_token

    auth = OAuth2UserAuth(get_access_token=lambda: stored["access"], refresh=refresh)
    with XClient(auth=auth, endpoints=endpoints, http=HTTP) as client:
        assert client.get_me().username == "quartile_small"

    assert stored["refresh"] != minted["refresh_token"]
    assert client.requests_sent == {"GET /2/users/me": 2}


def test_a_revoked_grant_ends_in_refresh_rejected(x, endpoints):
    minted = x.mint_token("quartile_small", "oauth2")
    revoke_oauth2_token(
        app=DEMO_APP,
        endpoints=endpoints,
        token=minted["refresh_token"],
        token_type_hint="refresh_token",
        http=HTTP,
    )

    def refresh():
        return refresh_oauth2_token(
            app=DEMO_APP, endpoints=endpoints, refresh_token=minted["refresh_token"], http=HTTP
        ).access_token

    auth = OAuth2UserAuth(get_access_token=lambda: minted["access_token"], refresh=refresh)
    with (
        XClient(auth=auth, endpoints=endpoints, http=HTTP) as client,
        pytest.raises(RefreshRejected) as raised,
    ):
        client.get_me()

    assert isinstance(raised.value, Unauthorized)


def test_a_revoked_access_token_without_refresh_is_unauthorized(x, endpoints):
    minted = x.mint_token("quartile_small", "oauth2")
    revoke_oauth2_token(
        app=DEMO_APP,
        endpoints=endpoints,
        token=minted["access_token"],
        token_type_hint="access_token",
        http=HTTP,
    )

    with oauth2_client(endpoints, minted["access_token"]) as client, pytest.raises(Unauthorized):
        client.get_me()


def test_an_invalidated_oauth1_token_is_token_revoked(x, endpoints):
    minted = x.mint_token("quartile_small", "oauth1")

    invalidate_oauth1_token(
        app=DEMO_APP,
        endpoints=endpoints,
        token=minted["oauth_token"],
        token_secret=minted["oauth_token_secret"],
        http=HTTP,
    )

    with oauth1_client(endpoints, minted) as client, pytest.raises(TokenRevoked):
        client.get_me()
