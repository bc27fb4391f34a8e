"""A local emulator of X (Twitter) for the Quartile demo and tests.

It serves X's OAuth 2.0 and OAuth 1.0a flows and the v2 read endpoints under one base URL, with
deterministic demo data, X's limits and error bodies, fault injection and a request ledger. It
imports nothing from the rest of the project. See sandbox/README.md.
"""

from sandbox.app import create_app
from sandbox.config import SandboxConfig
from sandbox.server import serve, start_in_thread

__all__ = ["SandboxConfig", "create_app", "serve", "start_in_thread"]
