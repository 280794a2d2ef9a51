from __future__ import annotations

import hashlib
import sqlite3
import threading
from pathlib import Path

import pytest
from integration.registry import free_port
from proxy.served import state_db

from skillport_build.errors import StateError, UsageError
from skillport_build.proxy.db import schema
from skillport_build.proxy.state import TOKEN_PREFIX, State


def test_tokens_are_shown_once_and_stored_hashed(tmp_path: Path) -> None:
    state = State(state_db(tmp_path))
    secret, info = state.create_token("Alice@Example.com", ("sre",), "laptop")
    assert secret.startswith(f"{TOKEN_PREFIX}{info.id}_") and len(secret) > 40
    assert state.check_token(secret) == info and info.user == "alice@example.com" and info.groups == ("sre",)
    stored = " ".join(
        str(row) for table in schema.metadata.sorted_tables for row in state.rows(table.select())
    )
    assert secret not in stored and hashlib.sha256(secret.encode()).hexdigest() in stored
    assert state.check_token(secret[:-1] + ("A" if secret[-1] != "A" else "B")) is None
    assert state.check_token("sp_nothing") is None and state.check_token("ghp_x_y") is None
    assert state.revoke_token(info.id, "admin@example.com") is True
    assert state.check_token(secret) is None
    assert state.revoke_token(info.id, "admin@example.com") is False
    assert [t.id for t in state.tokens("alice@example.com")] == [info.id]


def test_audit_and_download_counts(tmp_path: Path) -> None:
    state = State(state_db(tmp_path))
    state.audit("download", "bob@example.com", {"skill": "csv-profiler", "version": "1.0.0"})
    for _ in range(3):
        state.count_download("csv-profiler", "1.0.0")
    assert state.download_counts() == {("csv-profiler", "1.0.0"): 3}
    assert state.audit_tail(1) == [
        {
            "at": state.audit_tail(1)[0]["at"],
            "event": "download",
            "actor": "bob@example.com",
            "skill": "csv-profiler",
            "version": "1.0.0",
        }
    ]


def test_state_survives_restarts_and_threads(tmp_path: Path) -> None:
    state = State(state_db(tmp_path))
    threads = [
        threading.Thread(target=lambda: [state.count_download("a", "1") for _ in range(50)]) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    state.close()
    assert State(state_db(tmp_path)).download_counts() == {("a", "1"): 200}


def test_an_unreachable_or_unknown_database_is_a_clear_message(tmp_path: Path) -> None:
    port = free_port()
    with pytest.raises(StateError) as refused:
        State(f"postgresql+psycopg://skillport:hunter2@127.0.0.1:{port}/skillport")
    assert str(refused.value).startswith(
        f"cannot open the database postgresql+psycopg://skillport:***@127.0.0.1:{port}/skillport: "
    )
    assert "hunter2" not in str(refused.value) and "check --db (SKILLPORT_DB)" in str(refused.value)
    with pytest.raises(UsageError, match="unsupported database 'mysql'; give a SQLite file path or"):
        State("mysql://root@127.0.0.1/skillport")


class Clock:
    """A settable clock for the state."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def test_tokens_expire_after_their_days_and_never_outlive_the_maximum(tmp_path: Path) -> None:
    clock = Clock()
    state = State(state_db(tmp_path), clock)
    state.limit_tokens(30, 90)
    default, info = state.create_token("ann@acme.example")
    longer, _ = state.create_token("ann@acme.example", days=90)
    assert info.expires == "2027-02-14T08:00:00Z"  # 30 days after 2027-01-15T08:00:00Z
    with pytest.raises(UsageError, match="a token may live 1 to 90 days, not 91"):
        state.create_token("ann@acme.example", days=91)
    clock.now += 30 * 86400 - 1
    assert state.check_token(default) is not None
    clock.now += 1
    assert state.check_token(default) is None and state.check_token(longer) is not None
    clock.now += 30 * 86400  # day 60 of a 90-day token
    assert state.check_token(longer) is not None
    state.limit_tokens(30, 60)  # the admin lowers the maximum: older tokens shorten too
    assert state.check_token(longer) is None
    assert sorted(t.expires for t in state.tokens()) == ["2027-02-14T08:00:00Z", "2027-03-16T08:00:00Z"]
    with pytest.raises(UsageError, match="between 1 and token_max_days"):
        state.limit_tokens(61, 60)


def test_tokens_from_before_expiry_get_the_maximum_life(tmp_path: Path, state_backend: str) -> None:
    if state_backend != "sqlite":
        pytest.skip("databases from before expiry are SQLite files")

    old = sqlite3.connect(tmp_path / "state.db")
    old.execute(
        "CREATE TABLE tokens (id TEXT PRIMARY KEY, hash TEXT NOT NULL UNIQUE, user TEXT NOT NULL, "
        "groups TEXT NOT NULL, name TEXT NOT NULL, created TEXT NOT NULL, revoked TEXT)"
    )
    old.execute(
        "INSERT INTO tokens VALUES ('abc', ?, 'ann@acme.example', '[]', 'old', '2020-01-01T00:00:00Z', NULL)",
        (hashlib.sha256(b"sp_abc_secret").hexdigest(),),
    )
    old.commit()
    old.close()
    state = State(tmp_path / "state.db")
    assert state.check_token("sp_abc_secret") is None  # 2020 + 365 days is long gone
    assert state.tokens()[0].expires == "2020-12-31T00:00:00Z"


def test_a_tokens_groups_follow_the_holders_latest_sign_in(tmp_path: Path) -> None:
    clock = Clock()
    state = State(state_db(tmp_path), clock)
    state.record_sign_in("sam@acme.example", ["sre", "oncall"])
    secret, _ = state.create_token("sam@acme.example", ("sre", "oncall"))
    clock.now += 60
    assert state.check_token(secret).groups == ("sre", "oncall")  # type: ignore[union-attr]
    state.record_sign_in("Sam@acme.example", ["oncall", "platform"])  # left sre, joined platform
    assert state.check_token(secret).groups == ("oncall",)  # type: ignore[union-attr]
    assert state.tokens("sam@acme.example")[0].groups == ("oncall",)
    admin_made, _ = state.create_token("sam@acme.example", ("sre",))  # after the sign-in: as made
    assert state.check_token(admin_made).groups == ("sre",)  # type: ignore[union-attr]
