"""Shared set-up of the benchmarks: a dedicated PostgreSQL database and Django."""

import os
import sys
from urllib.parse import urlsplit, urlunsplit

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


def database_name(name: str) -> str:
    """A benchmark's database name; BENCH_DATABASE_SUFFIX keeps the tests' small runs apart
    from the full-scale databases a developer has seeded."""
    return name + os.environ.get("BENCH_DATABASE_SUFFIX", "")


def database_url(name: str) -> str:
    """The DATABASE_URL of a benchmark's database (named by `database_name`), on the server
    of BENCH_DATABASE_SERVER."""
    server = os.environ.get("BENCH_DATABASE_SERVER", DEFAULT_SERVER)
    return urlunsplit(urlsplit(server)._replace(path=f"/{database_name(name)}"))


def bench_database(name: str) -> str:
    """Create (or recreate) a database for one benchmark; return its DATABASE_URL."""
    import psycopg

    server = os.environ.get("BENCH_DATABASE_SERVER", DEFAULT_SERVER)
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database_name(name)}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{database_name(name)}"')
    return database_url(name)


def django_setup(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, os.getcwd())
    import django
    from django.core.management import call_command

    django.setup()
    from django.conf import settings

    settings.DEBUG = False  # DEBUG keeps every query in memory: not what a worker does
    call_command("migrate", verbosity=0)


def rss_mb() -> float:
    """This process's resident memory now, in MiB (Linux)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def table(headers: list[str], rows: list[tuple]) -> str:
    cells = [list(map(str, headers))] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
