"""`python -m sandbox --host 127.0.0.1 --port 8765`: run the X sandbox standalone."""

from __future__ import annotations

import argparse
import logging
import sys

from sandbox.app import create_app
from sandbox.config import ConfigError, SandboxConfig
from sandbox.server import serve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sandbox", description="A local emulator of X's API."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--quiet", action="store_true", help="do not log each request")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        format="%(asctime)s %(name)s %(message)s",
    )
    try:
        config = SandboxConfig.from_env()
    except ConfigError as error:
        print(f"sandbox: {error}", file=sys.stderr)
        return 2
    serve(create_app(config), args.host, args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
