"""A tiny local HTTP server that answers with canned responses and records every request.

Tests of HTTP behaviour use it instead of X: stdlib ``http.server`` on 127.0.0.1, port 0,
in a thread. Besides responding it can hang (until the test ends) or reset the connection.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qs, urlsplit

SAMPLES = Path(__file__).parent / "samples"


def load_sample(name: str) -> dict:
    return json.loads((SAMPLES / f"{name}.json").read_text())


@dataclass(frozen=True)
class Canned:
    status: int = HTTPStatus.OK
    body: object = None
    raw: bytes | None = None  # sent as-is instead of the JSON body
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"
    behaviour: Literal["respond", "hang", "reset"] = "respond"

    @classmethod
    def sample(cls, name: str, **overrides) -> Canned:
        sample = load_sample(name)
        return cls(
            status=sample["status"],
            body=sample["body"],
            headers=sample.get("headers", {}),
            **overrides,
        )


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes

    @property
    def route(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def form(self) -> dict[str, str]:
        return {key: values[-1] for key, values in parse_qs(self.body.decode()).items()}


class FakeX:
    """Routes ``"METHOD /path"`` to queued responses; the last one of a queue repeats."""

    def __init__(self) -> None:
        self._routes: dict[str, deque[Canned]] = defaultdict(deque)
        self._lock = threading.Lock()
        self.released = threading.Event()
        self.requests: list[Recorded] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.fake = self  # type: ignore[attr-defined]
        self._server.handle_error = lambda request, client_address: None  # resets are expected
        # A short poll interval keeps shutdown, and so each test's teardown, fast.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.released.set()
        self._server.shutdown()
        self._server.server_close()

    def on(self, route: str, *responses: Canned) -> None:
        with self._lock:
            self._routes[route].extend(responses)

    def requests_to(self, route: str) -> list[Recorded]:
        return [request for request in self.requests if request.route == route]

    def next_response(self, request: Recorded) -> Canned:
        with self._lock:
            self.requests.append(request)
            queue = self._routes.get(request.route)
            if not queue:
                return Canned(status=HTTPStatus.NOT_FOUND, body={"title": "Not Found Error"})
            return queue.popleft() if len(queue) > 1 else queue[0]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def _answer(self) -> None:
        fake: FakeX = self.server.fake  # type: ignore[attr-defined]
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        request = Recorded(
            method=self.command,
            path=url.path,
            query={key: values[-1] for key, values in parse_qs(url.query).items()},
            headers={name.lower(): value for name, value in self.headers.items()},
            body=self.rfile.read(length),
        )
        canned = fake.next_response(request)
        if canned.behaviour == "hang":
            fake.released.wait(timeout=10)
            self.close_connection = True
            return
        if canned.behaviour == "reset":
            # SO_LINGER 0: close() sends RST instead of FIN.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return
        payload = canned.raw if canned.raw is not None else json.dumps(canned.body).encode()
        if "Date" in canned.headers:
            self.send_response_only(canned.status)  # the canned Date stands in for the clock's
        else:
            self.send_response(canned.status)
        self.send_header("Content-Type", canned.content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in canned.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)
