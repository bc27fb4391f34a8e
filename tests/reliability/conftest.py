"""The reliability suite: minutes of real processes, run by `make reliability` (and CI)."""

import contextlib
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from tests.workers import free_port

pytestmark = pytest.mark.reliability


@dataclass
class PrivateRedis:
    """A redis-server of the test's own, so it can be stopped, flushed and restarted."""

    port: int
    folder: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                redis.Redis.from_url(self.url).ping()
                return
            except redis.ConnectionError:
                time.sleep(0.1)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def private_redis(tmp_path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(port=free_port(), folder=tmp_path)
    server.start()
    yield server
    server.stop()


@dataclass
class PrivatePostgres:
    """A PostgreSQL cluster of the test's own (initdb in a temporary folder), so it can be
    stopped and started under a running site and its workers."""

    port: int
    folder: Path
    bin: Path

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/quartile"

    def _pg_ctl(self, *args: str) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", str(self.bin / "pg_ctl"), "-D",
             str(self.folder / "data"), *args],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip

    def init(self) -> None:
        shutil.chown(self.folder, "postgres")
        self.folder.chmod(0o700)
        subprocess.run(
            ["runuser", "-u", "postgres", "--", str(self.bin / "initdb"), "-D",
             str(self.folder / "data"), "-A", "trust", "-U", "postgres"],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        self.start()
        import psycopg

        with psycopg.connect(self.url.replace("/quartile", "/postgres"), autocommit=True) as c:
            c.execute("CREATE DATABASE quartile")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
        self._pg_ctl("-o", options, "-l", str(self.folder / "log"), "-w", "start")

    def stop(self) -> None:
        self._pg_ctl("-m", "fast", "-w", "stop")


def _postgres_bin() -> Path | None:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return versions[-1].parent if versions else None


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    binaries = _postgres_bin()
    if binaries is None or shutil.which("runuser") is None:
        pytest.skip("needs Debian's PostgreSQL server binaries and runuser")
    # Not under pytest's tmp folder: the postgres user must be able to reach its data folder.
    folder = Path(tempfile.mkdtemp(prefix="quartile-pg-"))
    server = PrivatePostgres(port=free_port(), folder=folder, bin=binaries)
    server.init()
    yield server
    with contextlib.suppress(subprocess.CalledProcessError):
        server.stop()  # unless already stopped
    shutil.rmtree(folder, ignore_errors=True)
