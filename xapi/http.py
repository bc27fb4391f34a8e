"""The one HTTP seam: every request xapi makes goes through a session built here.

Like healthchecks' ``hc/lib/curl.py`` and allauth's ``get_requests_session``: a timeout
and a User-Agent are always set, and no ``requests`` exception leaves this module.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import requests
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase

from xapi.errors import ConnectionFailed, Timeout

SessionT = TypeVar("SessionT", bound=requests.Session)


@dataclass(frozen=True, slots=True)
class HttpSettings:
    user_agent: str = "Quartile/0.1 (xapi)"
    connect_timeout: float = 5.0
    read_timeout: float = 30.0


DEFAULT_HTTP = HttpSettings()


class _TimeoutAdapter(HTTPAdapter):
    """Applies the default timeout to any request sent without one.

    Mounted on every session, so it also covers requests that requests-oauthlib sends
    from inside ``OAuth2Session.fetch_token`` and ``refresh_token``.
    """

    def __init__(self, *, timeout: tuple[float, float]) -> None:
        super().__init__()  # max_retries=0: retry policy belongs to the caller
        self._timeout = timeout

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self._timeout
        return super().send(request, *args, **kwargs)


def new_session(
    *, http: HttpSettings, session_class: type[SessionT] = requests.Session, **session_kwargs: Any
) -> SessionT:
    """A session of ``session_class`` (e.g. ``OAuth2Session``) with our timeout and User-Agent."""
    session = session_class(**session_kwargs)
    session.headers["User-Agent"] = http.user_agent
    adapter = _TimeoutAdapter(timeout=(http.connect_timeout, http.read_timeout))
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


@contextmanager
def transport_errors(*, endpoint: str) -> Iterator[None]:
    """Turns ``requests`` exceptions into xapi's transient errors.

    The message names the exception class only: ``str(exc)`` can quote the URL.
    """
    try:
        yield
    except requests.Timeout as exc:
        raise Timeout("no response in time", endpoint=endpoint) from exc
    except requests.RequestException as exc:
        raise ConnectionFailed(
            f"connection failed ({type(exc).__name__})", endpoint=endpoint
        ) from exc


def send(
    session: requests.Session,
    *,
    method: str,
    url: str,
    endpoint: str,
    auth: AuthBase | None = None,
    params: Mapping[str, str] | None = None,
    data: Mapping[str, str] | None = None,
) -> requests.Response:
    """Sends one request; X's API never redirects, so a redirect is not followed."""
    with transport_errors(endpoint=endpoint):
        return session.request(
            method, url, params=params, data=data, auth=auth, allow_redirects=False
        )
