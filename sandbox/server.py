"""A threaded WSGI server from the standard library, blocking or in a background thread."""

from __future__ import annotations

import logging
import signal
import socketserver
import threading
from dataclasses import dataclass
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

log = logging.getLogger("sandbox")


class ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True  # a hanging request never keeps the process alive
    allow_reuse_address = True


class QuietRequestHandler(WSGIRequestHandler):
    """Access lines go to the "sandbox" logger instead of stderr."""

    def log_message(self, format: str, *args: object) -> None:
        log.info("%s %s", self.address_string(), format % args)


@dataclass
class RunningServer:
    base_url: str
    _server: ThreadingWSGIServer
    _thread: threading.Thread

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def _make(app, host: str, port: int) -> ThreadingWSGIServer:
    return make_server(host, port, app, ThreadingWSGIServer, QuietRequestHandler)  # type: ignore[return-value]


def start_in_thread(app, host: str = "127.0.0.1", port: int = 0) -> RunningServer:
    """Serve in a daemon thread; port 0 picks a free port. Returns the base URL and stop()."""
    server = _make(app, host, port)
    thread = threading.Thread(target=server.serve_forever, name="x-sandbox", daemon=True)
    thread.start()
    bound_host, bound_port = server.server_address[:2]
    return RunningServer(f"http://{bound_host}:{bound_port}", server, thread)


def serve(app, host: str, port: int) -> None:
    """Serve until SIGINT or SIGTERM, then close the socket and return."""
    server = _make(app, host, port)

    def stop(signum: int, frame: object) -> None:
        log.info("stopping on signal %s", signal.Signals(signum).name)
        # shutdown() waits for serve_forever() to return, which runs in this very thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        log.info("X sandbox listening on http://%s:%s", *server.server_address[:2])
        server.serve_forever()
    finally:
        server.server_close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
