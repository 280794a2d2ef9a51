"""Open the proxy's database: a file path (or `sqlite:///…`) for SQLite, `postgresql+psycopg://…` for
PostgreSQL. SQLite gets WAL, a busy timeout and write transactions that take the lock at BEGIN (so
two workers never deadlock upgrading a read to a write)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError

from skillport_build.errors import UsageError

POSTGRES_SCHEMES = ("postgresql", "postgresql+psycopg", "postgres")


def database_url(db: Path | str) -> sa.URL:
    """The SQLAlchemy URL of `--db`: a URL as given, anything else a SQLite file."""
    text = str(db)
    if "://" not in text:
        return sa.URL.create("sqlite", database=text)
    try:
        url = make_url(text.replace("postgres://", "postgresql://", 1))
    except ArgumentError as exc:
        raise UsageError(f"--db {redacted(text)}: not a database URL ({exc})") from exc
    if url.drivername in ("postgresql", "postgresql+psycopg"):
        return url.set(drivername="postgresql+psycopg")
    if url.drivername == "sqlite":
        return url
    raise UsageError(
        f"--db {redacted(text)}: unsupported database {url.drivername!r}; give a SQLite file path or "
        "postgresql+psycopg://user@host/dbname"
    )


def redacted(text: str) -> str:
    """A database URL fit for a message or log: never its password."""
    try:
        return make_url(text).render_as_string(hide_password=True)
    except ArgumentError:
        return "<the database URL>"


def open_engine(db: Path | str) -> Engine:
    """An engine for `--db`, shared by the threads of one process."""
    url = database_url(db)
    if url.drivername == "sqlite":
        return _sqlite(url)
    return sa.create_engine(url, pool_pre_ping=True, pool_size=8, max_overflow=16)


def _sqlite(url: sa.URL) -> Engine:
    engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi: Any, _: object) -> None:
        dbapi.isolation_level = None  # SQLAlchemy emits BEGIN itself (below)
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=30000"):
            dbapi.execute(f"PRAGMA {pragma}")

    @sa.event.listens_for(engine, "begin")
    def _begin(connection: sa.Connection) -> None:
        immediate = connection.get_execution_options().get("immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine
