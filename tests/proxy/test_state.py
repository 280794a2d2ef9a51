from __future__ import annotations

import threading
from pathlib import Path

import pytest

from skillport_build.errors import UsageError
from skillport_build.proxy.state import TOKEN_PREFIX, State


def test_tokens_are_shown_once_and_stored_hashed(tmp_path: Path) -> None:
    state = State(tmp_path / "state.db")
    secret, info = state.create_token("Alice@Example.com", ("sre",), "laptop")
    assert secret.startswith(f"{TOKEN_PREFIX}{info.id}_") and len(secret) > 40
    assert state.check_token(secret) == info and info.user == "alice@example.com" and info.groups == ("sre",)
    assert secret.encode() not in (tmp_path / "state.db").read_bytes()
    assert state.check_token(secret[:-1] + ("A" if secret[-1] != "A" else "B")) is None
    assert state.check_token("sp_nothing") is None and state.check_token("ghp_x_y") is None
    assert state.revoke_token(info.id, "admin@example.com") is True
    assert state.check_token(secret) is None
    assert state.revoke_token(info.id, "admin@example.com") is False
    assert [t.id for t in state.tokens("alice@example.com")] == [info.id]


def test_audit_and_download_counts(tmp_path: Path) -> None:
    state = State(tmp_path / "state.db")
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
    state = State(tmp_path / "state.db")
    threads = [
        threading.Thread(target=lambda: [state.count_download("a", "1") for _ in range(50)]) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    state.close()
    assert State(tmp_path / "state.db").download_counts() == {("a", "1"): 200}


def test_a_postgresql_url_is_refused_with_a_clear_message() -> None:
    with pytest.raises(UsageError, match="PostgreSQL state is not available"):
        State("postgresql://skillport@db/skillport")
