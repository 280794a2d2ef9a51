"""Schema migrations: a database written by the release before migrations upgrades without loss
(data/state-before-migrations.db, made with that release's code: its tokens, sign-in, session, CLI
code, secrets, audit, downloads and an MCP grant, secrets below); a fresh database has exactly the
schema the code declares, on SQLite and PostgreSQL; a database newer than the code is refused."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from clirun import Run
from proxy.served import state_db

from skillport_build.errors import StateError
from skillport_build.proxy.connector.grants import Grants
from skillport_build.proxy.db import schema
from skillport_build.proxy.db.migrate import HEAD, head
from skillport_build.proxy.state import State

OLD = Path(__file__).parent / "data" / "state-before-migrations.db"
MADE_AT = 1_900_000_000.0  # the clock the old release wrote it with
SESSION, CLI_CODE = (
    "Juf9VCrAMi_c64nwn4f5KgXKBimdPN23UxoCjhAgOjI",
    "YgHd9CnDQRUIhFBe39vQ31IZIFwj9875yqFk4zgcApM",
)
TOKEN = "sp_77851b0bdf16_-Lpa8QfEGe7UufG0AYTAcyXrsIQ-uBx74kVI_u_jumk"
REVOKED_ID = "1d82982197dd"
ACCESS = "spa_ElILLUG31iXzMaER_aKuMO8Pu5sW1gerFUeRxyBKst4"
REFRESH = "spr_eGKU6J5rk4tbuf0ohpI3I4xTYfcQ7Q76VZtOTEG5VRw"


@pytest.fixture
def old_file(tmp_path: Path, state_backend: str) -> Path:
    if state_backend != "sqlite":
        pytest.skip("the release before migrations kept SQLite files only")
    copy = tmp_path / "state.db"
    shutil.copyfile(OLD, copy)
    return copy


def raw(path: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as db:
        return db.execute(sql).fetchall()


def test_a_database_of_the_release_before_migrations_upgrades_without_loss(old_file: Path) -> None:
    before = {
        table: raw(old_file, f"SELECT * FROM {table}") for table in ("tokens", "audit", "secrets", "people")
    }
    state = State(old_file, lambda: MADE_AT + 60)
    token = state.check_token(TOKEN)
    assert token is not None and token.user == "ann@acme.example" and token.groups == ("sre",)
    assert [t.revoked is not None for t in state.tokens("bob@acme.example")] == [True]
    assert state.revoke_token(REVOKED_ID, "admin") is False  # still revoked, not revived
    assert state.session_live(SESSION) and state.take_code(CLI_CODE) == (
        "ann@acme.example",
        ("sre",),
        "challenge",
    )
    assert state.download_counts() == {("csv-profiler", "1.0.0"): 2, ("pdf-tools", "2.1.0"): 1}
    assert state.secret("links").hex() == dict(before["secrets"])["links"]  # download links stay good
    grants = Grants(state, lambda: MADE_AT + 60)
    grant = grants.token(ACCESS, "access")
    assert grant is not None and grant.user == "ann@acme.example" and grant.groups == ("sre",)
    assert grants.client("client-1") == '{"client_name": "Claude"}'
    assert grants.use_refresh(REFRESH)
    state.audit("after.upgrade", "admin", {})
    events = [e["event"] for e in state.audit_tail(100)]
    assert events == [row[2] for row in before["audit"]] + ["after.upgrade"]
    assert raw(old_file, "SELECT * FROM tokens") == before["tokens"]
    assert raw(old_file, "SELECT version_num FROM alembic_version") == [(head(),)]
    indexes = {row[0] for row in raw(old_file, "SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"audit_at", "audit_event", "audit_actor", "oauth_tokens_grant", "oauth_grants_user"} <= indexes
    state.close()


def test_a_fresh_database_has_exactly_the_declared_schema(tmp_path: Path) -> None:
    state = State(state_db(tmp_path))
    with state.reading() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), schema.metadata)
    assert differences == []
    state.close()


def test_the_old_file_upgraded_has_the_declared_schema_too(old_file: Path) -> None:
    """Every table, column and index; SQLite's own spellings aside (its REAL is our DOUBLE, and
    an old primary key column was not declared NOT NULL), which SQLite treats alike."""
    state = State(old_file)
    with state.reading() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), schema.metadata)
    state.close()
    assert all(isinstance(d, list) for d in differences)  # no table, column or index added or missing
    for ((kind, _, table, column, _, old, *_),) in differences:
        primary = schema.metadata.tables[table].c[column].primary_key
        assert (kind == "modify_nullable" and primary) or (kind == "modify_type" and str(old) == "REAL")


def test_a_database_newer_than_the_code_is_refused_and_left_alone(tmp_path: Path) -> None:
    db = state_db(tmp_path)
    State(db).close()
    state = State(db)
    with state.transaction() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '0099'"))
    state.close()
    with pytest.raises(StateError) as refused:
        State(db)
    assert "is at schema revision 0099, which this skillport does not know" in str(refused.value)
    assert "a newer release upgraded it" in str(refused.value)


def test_an_admin_who_upgrades_by_hand_is_told_to(old_file: Path, run: Run) -> None:
    with pytest.raises(
        StateError, match=r"schema revision none, this release needs 0003: run `skillport db upgrade"
    ):
        State(old_file, upgrade_schema=False)
    assert run("db", "current", "--db", str(old_file)) == (
        0,
        "schema revision none (this release upgrades it to 0003)\n",
        "",
    )
    assert run("db", "upgrade", "--db", str(old_file)) == (
        0,
        "upgraded from schema revision none to 0003\n",
        "",
    )
    assert run("db", "upgrade", "--db", str(old_file)) == (0, "already at schema revision 0003\n", "")
    assert run("db", "current", "--db", str(old_file))[1] == "schema revision 0003 (up to date)\n"
    State(old_file, upgrade_schema=False).close()


def test_db_commands_on_a_postgresql_url(tmp_path: Path, run: Run, state_backend: str) -> None:
    if state_backend != "postgresql":
        pytest.skip("the URL form")
    db = state_db(tmp_path)
    assert run("db", "upgrade", "--db", db) == (0, "upgraded from schema revision none to 0003\n", "")
    assert run("db", "current", "--db", db)[1] == "schema revision 0003 (up to date)\n"


def test_the_known_head_is_the_scripts_head() -> None:
    assert head() == HEAD  # the fast path at start skips Alembic when a database is at HEAD
