"""Schema upgrades through Alembic, run on the caller's engine: `skillport serve` upgrades on start,
`skillport db upgrade` when the admin prefers to; a database whose revision this code does not know
(written by a newer release) is refused, never touched."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from skillport_build.errors import StateError
from skillport_build.proxy.db.engine import open_engine, redacted

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
HEAD = "0003"  # the newest revision in migrations/versions (a test keeps the two in step)
_LOCK_ID = 0x5C17_9087  # one PostgreSQL advisory lock: replicas starting together upgrade one at a time


@dataclass(frozen=True)
class Revision:
    """Where a database stands against this code's migrations."""

    current: str | None  # None: never upgraded (empty, or written before migrations)
    head: str

    @property
    def up_to_date(self) -> bool:
        """Whether the database has every migration this code knows."""
        return self.current == self.head


def _config(connection: sa.Connection | None = None) -> Config:
    from alembic.config import Config  # Alembic only when there is something to migrate

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head() -> str:
    """The newest revision this code knows, from the scripts themselves."""
    from alembic.script import ScriptDirectory

    found = ScriptDirectory.from_config(_config()).get_current_head()
    assert found is not None, "the migrations folder has no head"
    return found


def _current(connection: sa.Connection) -> str | None:
    """The `alembic_version` row, read as Alembic would (None: no such table, or no row)."""
    if not sa.inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def revision(engine: Engine) -> Revision:
    """The database's revision, refused when this code does not know it (a newer release wrote it)."""
    with _connected(engine) as connection:
        current = _current(connection)
    if current == HEAD:
        return Revision(current, HEAD)
    from alembic.script import ScriptDirectory

    known = {script.revision for script in ScriptDirectory.from_config(_config()).walk_revisions()}
    if current is not None and current not in known:
        raise StateError(
            f"the database {redacted(str(engine.url))} is at schema revision {current}, which this "
            f"skillport does not know (it knows up to {HEAD}): a newer release upgraded it. Run that "
            "release (or newer) against it, or give --db a database of this release"
        )
    return Revision(current, HEAD)


def upgrade(engine: Engine) -> tuple[Revision, Revision]:
    """Bring the database to this code's head in one transaction; the revision before and after."""
    before = revision(engine)
    if before.up_to_date:
        return before, before
    with _connected(engine.execution_options(immediate=True)) as connection, connection.begin():
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": _LOCK_ID})
        from alembic import command

        command.upgrade(_config(connection), "head")
    return before, revision(engine)


class _connected:
    """A connection, with an unreachable or unreadable database said plainly."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.connection: sa.Connection | None = None

    def __enter__(self) -> sa.Connection:
        try:
            self.connection = self.engine.connect()
        except SQLAlchemyError as exc:
            raise StateError(
                f"cannot open the database {redacted(str(self.engine.url))}: {_reason(exc)}; check --db "
                "(SKILLPORT_DB), that the server is up and that this user may connect"
            ) from exc
        return self.connection

    def __exit__(self, *exc: object) -> None:
        assert self.connection is not None
        self.connection.close()


def _reason(exc: SQLAlchemyError) -> str:
    origin = getattr(exc, "orig", None) or exc
    return str(origin).strip().splitlines()[0] if str(origin).strip() else type(origin).__name__


def upgrade_database(db: str) -> tuple[Revision, Revision]:
    """`skillport db upgrade`: open `db`, upgrade it, close it."""
    engine = open_engine(db)
    try:
        return upgrade(engine)
    finally:
        engine.dispose()


def database_revision(db: str) -> Revision:
    """`skillport db current`: where `db` stands."""
    engine = open_engine(db)
    try:
        return revision(engine)
    finally:
        engine.dispose()
