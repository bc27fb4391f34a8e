"""Just enough HTTP on top of WSGI: a request, a response and a path router."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, urlencode

JSON = "application/json; charset=utf-8"
PROBLEM_JSON = "application/problem+json"
FORM = "application/x-www-form-urlencoded"
HTML = "text/html; charset=utf-8"


class Request:
    def __init__(self, environ: dict[str, Any]) -> None:
        self.environ = environ
        self.method: str = environ["REQUEST_METHOD"].upper()
        self.path: str = environ.get("PATH_INFO", "") or "/"
        self.query_string: str = environ.get("QUERY_STRING", "")
        self.query: list[tuple[str, str]] = parse_qsl(self.query_string, keep_blank_values=True)
        self.content_type: str = environ.get("CONTENT_TYPE", "")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        self.body: bytes = environ["wsgi.input"].read(length) if length else b""
        self.path_params: dict[str, str] = {}
        self.caller: Any = None  # who an API request authenticated as, for the ledger

    def header(self, name: str) -> str | None:
        key = name.upper().replace("-", "_")
        return self.environ.get(key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{key}")

    @property
    def base_url(self) -> str:
        """scheme://host[:port] as the client addressed it (the Host header), without a path."""
        host = self.header("Host") or f"{self.environ['SERVER_NAME']}:{self.environ['SERVER_PORT']}"
        return f"{self.environ['wsgi.url_scheme']}://{host}"

    @property
    def url(self) -> str:
        """The URL the client addressed, without the query (what OAuth 1.0a signs)."""
        return f"{self.base_url}{self.path}"

    @property
    def is_form(self) -> bool:
        return self.content_type.split(";")[0].strip().lower() == FORM

    @property
    def form_text(self) -> str:
        return self.body.decode("utf-8", "replace") if self.is_form else ""

    @property
    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.form_text, keep_blank_values=True))

    def query_value(self, name: str) -> str | None:
        return next((value for key, value in reversed(self.query) if key == name), None)

    def json(self) -> Any:
        """The JSON body; an empty body reads as {}."""
        return json.loads(self.body) if self.body.strip() else {}


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    # What the ledger records about an API answer: the Post and User ids it returned as data.
    returned_post_ids: list[str] = field(default_factory=list)
    returned_user_ids: list[str] = field(default_factory=list)

    @property
    def status_line(self) -> str:
        return f"{self.status} {HTTPStatus(self.status).phrase}"


def json_response(payload: Any, status: int = 200, content_type: str = JSON) -> Response:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(status, body, [("Content-Type", content_type)])


def form_response(pairs: dict[str, str], status: int = 200) -> Response:
    return Response(status, urlencode(pairs).encode(), [("Content-Type", FORM)])


def html_response(markup: str, status: int = 200) -> Response:
    return Response(status, markup.encode(), [("Content-Type", HTML)])


def redirect(location: str) -> Response:
    return Response(302, b"", [("Location", location)])


Handler = Callable[[Request], Response]


class Router:
    """Routes like "/2/users/:id/tweets"; `:name` matches one path segment."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], str, Handler]] = []

    def add(self, method: str, template: str, handler: Handler) -> None:
        pattern = re.sub(r":(\w+)", r"(?P<\1>[^/]+)", template)
        self._routes.append((method, re.compile(f"^{pattern}$"), template, handler))

    def match(self, method: str, path: str) -> tuple[str, Handler, dict[str, str]] | None:
        """(endpoint name such as "GET /2/users/:id/tweets", handler, path parameters)."""
        for route_method, pattern, template, handler in self._routes:
            found = pattern.match(path)
            if found and route_method == method:
                return f"{method} {template}", handler, found.groupdict()
        return None
