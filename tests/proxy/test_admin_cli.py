"""`skillport tokens create|list|revoke` and `skillport audit tail` on the proxy's state file."""

from __future__ import annotations

import json
from pathlib import Path

from clirun import Run

from skillport_build.proxy.state import State


def test_create_prints_the_token_alone_and_once(tmp_path: Path, run: Run) -> None:
    db = tmp_path / "state.db"
    code, out, err = run(
        "tokens", "create", "--db", str(db), "--user", "Dana@Acme.example", "--groups", "sre, ops"
    )
    assert code == 0
    token = out.strip()
    assert token.startswith("sp_") and out == token + "\n"
    assert "created" in err and token not in err
    state = State(db)
    info = state.check_token(token)
    assert info is not None and info.user == "dana@acme.example" and info.groups == ("sre", "ops")
    state.close()
    code, out, _ = run("tokens", "list", "--db", str(db))
    assert info.id in out and token not in out


def test_revoke_by_id_or_secret(tmp_path: Path, run: Run) -> None:
    db = tmp_path / "state.db"
    token = run("tokens", "create", "--db", str(db), "--user", "a@acme.example")[1].strip()
    assert run("tokens", "revoke", "--db", str(db), token)[0] == 0
    code, _, err = run("tokens", "revoke", "--db", str(db), token)
    assert code == 1 and "no active token" in err
    state = State(db)
    assert state.check_token(token) is None
    state.close()


def test_commands_refuse_a_missing_database(tmp_path: Path, run: Run) -> None:
    code, _, err = run("tokens", "list", "--db", str(tmp_path / "nope.db"))
    assert code == 1 and "no such state database" in err
    assert run("tokens", "create", "--db", str(tmp_path / "x.db"), "--user", "not-an-email")[0] != 0


def test_audit_tail_prints_json_lines(tmp_path: Path, run: Run) -> None:
    db = tmp_path / "state.db"
    run("tokens", "create", "--db", str(db), "--user", "a@acme.example")
    code, out, _ = run("audit", "tail", "--db", str(db), "-n", "5")
    assert code == 0
    events = [json.loads(line) for line in out.splitlines()]
    assert events[-1]["event"] == "token.create" and events[-1]["actor"] == "a@acme.example"


def test_state_file_found_through_the_config(tmp_path: Path, run: Run) -> None:
    config = tmp_path / "skillport.yaml"
    config.write_text("store: s\nkeys: [k]\ndev: true\n")
    run("tokens", "create", "--config", str(config), "--user", "a@acme.example")
    assert (tmp_path / "skillport.db").exists()
