"""A throwaway PostgreSQL cluster for the tests: Debian's `postgresql` binaries, `initdb` and
`pg_ctl` run as an unprivileged user (PostgreSQL refuses root), listening on its own port on
127.0.0.1 and a socket in its own folder, fsync off; stopped and deleted after."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path

import psycopg
import pytest
from integration.registry import free_port

USER = "skillport"


def postgres_bin() -> Path:
    """The folder of Debian's PostgreSQL server binaries; under `make test` a missing one fails."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    if os.environ.get("SKILLPORT_INTEGRATION") == "1":
        pytest.fail("PostgreSQL is not installed; `make system-deps` installs Debian's postgresql")
    pytest.skip("PostgreSQL not installed: run the suite with `make test`")


@dataclass
class Postgres:
    """A running cluster; `database()` makes a fresh, empty database on it."""

    port: int
    socket_dir: Path
    _names: Iterator[int] = field(default_factory=lambda: count(1))

    def url(self, name: str = "postgres") -> str:
        """The SQLAlchemy URL of one database (psycopg 3, over TCP on 127.0.0.1)."""
        return f"postgresql+psycopg://{USER}@127.0.0.1:{self.port}/{name}"

    def database(self) -> str:
        """A new empty database's URL."""
        name = f"skillport_{os.getpid()}_{next(self._names)}"
        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user={USER} dbname=postgres", autocommit=True
        ) as c:
            c.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def _as_owner(argv: list[str], owner: str | None) -> list[str]:
    return ["runuser", "-u", owner, "--", *argv] if owner else argv


@contextmanager
def running_postgres() -> Iterator[Postgres]:
    """Start a cluster in a new temporary folder; stop and delete it after."""
    binaries = postgres_bin()
    owner = "nobody" if os.geteuid() == 0 else None
    top = Path(tempfile.mkdtemp(prefix="skillport-pg-"))
    data, sockets = top / "data", top / "run"
    sockets.mkdir()
    if owner:
        shutil.chown(top, owner)
        shutil.chown(sockets, owner)
    port = free_port()
    log = top / "server.log"
    initdb = [str(binaries / "initdb"), "-D", str(data), "-U", USER, "-A", "trust", "-E", "UTF8"]
    options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off"
    options += " -c full_page_writes=off -c max_connections=300"
    pg_ctl = [str(binaries / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w"]
    try:
        for argv in (initdb, [*pg_ctl, "start"]):
            subprocess.run(
                _as_owner(argv, owner), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=top
            )
    except subprocess.CalledProcessError as exc:
        shutil.rmtree(top, ignore_errors=True)
        pytest.fail(f"PostgreSQL did not start: {exc.stderr.decode(errors='replace')}")
    try:
        yield Postgres(port, sockets)
    finally:
        subprocess.run(
            _as_owner([*pg_ctl, "-m", "immediate", "stop"], owner), check=False, capture_output=True
        )
        shutil.rmtree(top, ignore_errors=True)
