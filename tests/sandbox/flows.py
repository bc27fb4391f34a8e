"""What a person's browser and the dashboard's client do against the sandbox, for the tests."""

from __future__ import annotations

from datetime import datetime, timedelta
from html.parser import HTMLParser
from urllib.parse import urljoin

import requests
from requests_oauthlib import OAuth1, OAuth2Session

from sandbox import SandboxConfig
from tests._sandbox import SandboxClient

DEMO = SandboxConfig()
OAUTH2_CALLBACK, OAUTH1_CALLBACK = DEMO.callback_urls
SCOPES = ["tweet.read", "users.read", "offline.access"]
BRAND, SMALL, ARCHIVE = "quartile_brand", "quartile_small", "quartile_arch"
ALL_POST_FIELDS = (
    "attachments,author_id,conversation_id,created_at,edit_controls,entities,in_reply_to_user_id,"
    "lang,possibly_sensitive,referenced_tweets,reply_settings,public_metrics,non_public_metrics,"
    "organic_metrics"
)
ALL_MEDIA_FIELDS = (
    "duration_ms,height,media_key,preview_image_url,type,url,variants,width,public_metrics,"
    "non_public_metrics,organic_metrics"
)


class _Form(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.fields: dict[str, str] = {}
        self.usernames: list[str] = []
        self.buttons: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.action = a["action"]
        elif tag == "input" and a.get("type") == "hidden":
            self.fields[a["name"]] = a["value"]
        elif tag == "input" and a.get("type") == "radio":
            self.usernames.append(a["value"])
        elif tag == "button":
            self.buttons.append((a["name"], a["value"]))


def consent_form(page_url: str) -> _Form:
    page = requests.get(page_url)
    assert page.status_code == 200, page.text
    form = _Form()
    form.feed(page.text)
    form.action = urljoin(page_url, form.action)
    return form


def consent(page_url: str, username: str = BRAND, action: str = "authorize") -> str:
    """Open the consent page, pick a demo user, press a button; return the redirect Location."""
    form = consent_form(page_url)
    assert ("action", action) in form.buttons
    answer = requests.post(
        form.action,
        data={**form.fields, "username": username, "action": action},
        allow_redirects=False,
    )
    assert answer.status_code == 302, answer.text
    return answer.headers["Location"]


def oauth2_session(
    client_id: str = DEMO.oauth2_client_id,
    scope: list[str] = SCOPES,
    redirect_uri: str = OAUTH2_CALLBACK,
) -> OAuth2Session:
    return OAuth2Session(client_id, redirect_uri=redirect_uri, scope=scope, pkce="S256")


def oauth2_tokens(sandbox: SandboxClient, username: str = BRAND, scope: list[str] = SCOPES) -> dict:
    """The whole Authorization Code Flow with PKCE, as the dashboard runs it."""
    session = oauth2_session(scope=scope)
    authorize_url, _state = session.authorization_url(sandbox.url("/i/oauth2/authorize"))
    callback = consent(authorize_url, username)
    return session.fetch_token(
        sandbox.url("/2/oauth2/token"),
        authorization_response=callback,
        client_secret=DEMO.oauth2_client_secret,
    )


def bearer(token: dict | str) -> dict[str, str]:
    value = token if isinstance(token, str) else token["access_token"]
    return {"Authorization": f"Bearer {value}"}


def oauth1_auth(token: dict) -> OAuth1:
    return OAuth1(
        DEMO.oauth1_consumer_key,
        DEMO.oauth1_consumer_secret,
        token["oauth_token"],
        token["oauth_token_secret"],
    )


def freeze_after_anchor(sandbox: SandboxClient, hours: float = 12) -> datetime:
    """Set the clock `hours` after the end of the demo history; return that instant."""
    anchor = datetime.fromisoformat(sandbox.clock()["anchor"])
    return sandbox.set_clock(anchor + timedelta(hours=hours))


def a_video_post(sandbox: SandboxClient, username: str = ARCHIVE) -> dict:
    """One of the user's newest Posts that carries a video (X's video keys: 7_ and 13_)."""
    user_id = sandbox.user(username)["id"]
    page = requests.get(
        sandbox.url(f"/2/users/{user_id}/tweets"),
        params={"max_results": 100, "tweet.fields": "attachments"},
        headers=bearer(sandbox.mint_token(username)),
    ).json()
    return next(
        post
        for post in page["data"]
        if any(
            key.startswith(("7_", "13_"))
            for key in post.get("attachments", {}).get("media_keys", [])
        )
    )


def timeline(sandbox: SandboxClient, username: str, token: dict, **params) -> list[dict]:
    """Every reachable Post of a user's timeline, newest first, following next_token."""
    user_id = sandbox.user(username)["id"]
    posts, next_token = [], None
    while True:
        query = {"max_results": 100, **params}
        if next_token:
            query["pagination_token"] = next_token
        page = requests.get(
            sandbox.url(f"/2/users/{user_id}/tweets"), params=query, headers=bearer(token)
        )
        assert page.status_code == 200, page.text
        body = page.json()
        posts += body.get("data", [])
        next_token = body["meta"].get("next_token")
        if not next_token:
            return posts
