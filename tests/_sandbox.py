"""Pytest fixtures that run the X sandbox over real HTTP, for any test that talks to X.

    from tests._sandbox import sandbox, sandbox_clean  # noqa: F401  (in a conftest.py)

`sandbox` (session): one sandbox on a free port with the demo config. `sandbox_clean` (function):
the same sandbox, reset first: no ledger, faults or tokens; real-time clock; default tier.
Imports nothing of Django.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
import requests

from sandbox import SandboxConfig, create_app, start_in_thread


class SandboxClient:
    """The control API (/_sandbox/…) of a running sandbox, plus its base URL."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = requests.Session()

    def url(self, path: str) -> str:
        return self.base_url + path

    def reset(self) -> None:
        self._post("/_sandbox/reset", {})

    def delete_post(self, post_id: str) -> None:
        """Its author deletes the Post on X (until the next reset)."""
        self._post(f"/_sandbox/posts/{post_id}/delete", {})

    def edit_post(self, post_id: str, text: str) -> str:
        """Its author edits the Post on X: the new version's id (until the next reset)."""
        return self._post(f"/_sandbox/posts/{post_id}/edit", {"text": text})["id"]

    def add_nullcast(self, username: str, text: str) -> str:
        """A promoted-only Post of the user, absent from its timeline: its id."""
        return self._post(f"/_sandbox/users/{username}/nullcast", {"text": text})["id"]

    def add_post(self, username: str, text: str, media_from: str | None = None) -> str:
        """The user posts now, on their timeline; with `media_from`, carrying that Post's media
        (a video of another account, say): its id (until the next reset)."""
        body = {"text": text, **({"media_from": media_from} if media_from else {})}
        return self._post(f"/_sandbox/users/{username}/posts", body)["id"]

    def set_clock(self, now: datetime | None) -> datetime | None:
        """Freeze the sandbox clock at `now` (aware datetime); None returns to real time."""
        self._post("/_sandbox/clock", {"now": None if now is None else now.isoformat()})
        return now

    def clock(self) -> dict:
        """{"now": …, "real_time": bool, "anchor": …}: anchor is where the demo history ends."""
        return self._get("/_sandbox/clock")

    def fault(
        self, kind: str, count: int = 1, path: str | None = None, seconds: float | None = None
    ) -> None:
        body: dict = {"kind": kind, "count": count}
        if path is not None:
            body["path"] = path
        if seconds is not None:
            body["seconds"] = seconds
        self._post("/_sandbox/faults", body)

    def clear_faults(self) -> None:
        self.http.delete(self.url("/_sandbox/faults")).raise_for_status()

    def ledger(self) -> dict:
        return self._get("/_sandbox/ledger")

    def mint_token(self, username: str, kind: str = "oauth2") -> dict:
        return self._post("/_sandbox/tokens", {"username": username, "kind": kind})

    def register_callback(self, url: str) -> None:
        self._post("/_sandbox/callbacks", {"urls": [url]})

    def users(self) -> list[dict]:
        return self._get("/_sandbox/users")["users"]

    def user(self, username: str) -> dict:
        return next(user for user in self.users() if user["username"] == username)

    def add_user(self, username: str, posts: int) -> dict:
        return self._post("/_sandbox/users", {"username": username, "posts": posts})

    def set_tier(self, name: str | None = None, **settings: object) -> dict:
        """Rate-limit tier ("pay_per_use", "basic", "free") and/or daily_post_reads=N|None."""
        body = {**({"name": name} if name else {}), **settings}
        return self._post("/_sandbox/tier", body)

    def billing(self) -> dict:
        return self._get("/_sandbox/billing")

    def set_billing(self, **settings: object) -> dict:
        """credits="10.00"|None (app=...), monthly_post_cap=N|None, app_owner=username|None."""
        return self._post("/_sandbox/billing", settings)

    def _get(self, path: str) -> dict:
        response = self.http.get(self.url(path))
        response.raise_for_status()
        return response.json()

    def _post(self, path: str, body: dict) -> dict:
        response = self.http.post(self.url(path), json=body)
        response.raise_for_status()
        return response.json()


@pytest.fixture(scope="session")
def sandbox() -> Iterator[SandboxClient]:
    server = start_in_thread(create_app(SandboxConfig()))
    yield SandboxClient(server.base_url)
    server.stop()


@pytest.fixture
def sandbox_clean(sandbox: SandboxClient) -> SandboxClient:
    sandbox.reset()
    return sandbox
