"""The CLI's folders: the platform's standard places, the overrides, and the one-time move from the
places older versions used (no sign-in, pinned key or install record is lost)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import platformdirs
import pytest

from skillport_build.client import credentials
from skillport_build.client import places as places_module
from skillport_build.client.agents import load_installs
from skillport_build.client.places import Moved, migrate, places
from skillport_build.client.sync import default_folder
from skillport_build.client.trust import load_pins


def env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"HOME": str(tmp_path / "home"), **extra}


@pytest.mark.skipif(sys.platform in ("darwin", "win32"), reason="the XDG folders")
def test_the_standard_places_are_the_xdg_folders(tmp_path: Path) -> None:
    home = tmp_path / "home"
    found = places(env(tmp_path))
    assert found.config == home / ".config/skillport"
    assert found.state == home / ".local/state/skillport"
    assert found.data == home / ".local/share/skillport"
    moved = places(env(tmp_path, XDG_CONFIG_HOME="/c", XDG_STATE_HOME="/s", XDG_DATA_HOME="/d"))
    assert (moved.config, moved.state, moved.data) == (
        Path("/c/skillport"),
        Path("/s/skillport"),
        Path("/d/skillport"),
    )


@pytest.mark.skipif(sys.platform in ("darwin", "win32"), reason="the XDG folders")
def test_they_are_what_platformdirs_answers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for name in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME"):
        monkeypatch.delenv(name, raising=False)
    found = places(os.environ)
    assert found.config == platformdirs.user_config_path("skillport", appauthor=False)
    assert found.state == platformdirs.user_state_path("skillport", appauthor=False)
    assert found.data == platformdirs.user_data_path("skillport", appauthor=False)


def test_overrides(tmp_path: Path) -> None:
    one = places(env(tmp_path, SKILLPORT_CONFIG_DIR="/one"))
    assert (one.config, one.state) == (Path("/one"), Path("/one"))
    split = places(
        env(tmp_path, SKILLPORT_CONFIG_DIR="/one", SKILLPORT_STATE_DIR="/two", SKILLPORT_DATA_DIR="/d")
    )
    assert (split.config, split.state, split.data) == (Path("/one"), Path("/two"), Path("/d"))


def _old_files(tmp_path: Path, old_config: Path) -> None:
    """What an older skillport left: a sign-in, a pinned key, an install record, a synced marketplace."""
    home = tmp_path / "home"
    old_config.mkdir(parents=True)
    credentials.save(
        credentials.CredentialsFile(
            servers={
                "https://skills.acme.example": credentials.Server(token="sp_old", user="ann@acme.example")
            },
            default="https://skills.acme.example",
        ),
        {"SKILLPORT_CONFIG_DIR": str(old_config)},
    )
    (old_config / "keys.json").write_text(json.dumps({"https://skills.acme.example": {"keys": ["k"]}}))
    installs = {"folders": {str(home / ".agents/skills"): {"agents": ["codex"], "scope": "user"}}}
    (old_config / "installs.json").write_text(json.dumps(installs))
    (home / ".agents/skills").mkdir(parents=True)
    synced = home / ".skillport/claude-code/acme-skills"
    (synced / ".claude-plugin").mkdir(parents=True)
    (synced / ".claude-plugin/marketplace.json").write_text("{}")


@pytest.mark.skipif(sys.platform in ("darwin", "win32"), reason="the XDG folders")
def test_files_in_the_old_places_move_once(tmp_path: Path) -> None:
    environ = env(tmp_path)
    home = tmp_path / "home"
    _old_files(tmp_path, home / ".config/skillport")
    moved = migrate(environ)
    # On Linux the config folder stays; the install records and the synced marketplace move.
    assert [(m.old, m.new) for m in moved] == [
        (home / ".config/skillport/installs.json", home / ".local/state/skillport/installs.json"),
        (
            home / ".skillport/claude-code/acme-skills",
            home / ".local/share/skillport/claude-code/acme-skills",
        ),
    ]
    assert load_installs(environ).folders.keys() == {str(home / ".agents/skills")}
    assert credentials.resolve(None, environ).token == "sp_old"
    assert load_pins(environ)["https://skills.acme.example"].keys == ["k"]
    new_sync = default_folder("acme-skills", environ)
    assert (new_sync / ".claude-plugin/marketplace.json").read_text() == "{}"
    # The old marketplace path still leads there: Claude Code knows the folder by it.
    old_sync = home / ".skillport/claude-code/acme-skills"
    assert old_sync.is_symlink() and old_sync.resolve() == new_sync.resolve()
    assert migrate(environ) == []  # once


def test_a_platform_with_another_config_folder_gets_the_credentials_moved_0600(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As on macOS, where the config folder is ~/Library/Application Support/skillport."""
    home = tmp_path / "home"
    support = home / "Library/Application Support/skillport"
    monkeypatch.setattr(places_module, "standard", lambda kind, environ: support / kind)
    _old_files(tmp_path, home / ".config/skillport")
    environ = env(tmp_path)
    moved = migrate(environ)
    assert {m.new for m in moved} == {
        support / "config/credentials.json",
        support / "config/keys.json",
        support / "state/installs.json",
        support / "data/claude-code/acme-skills",
    }
    assert credentials.resolve(None, environ).token == "sp_old"
    assert (support / "config/credentials.json").stat().st_mode & 0o777 == 0o600
    assert load_pins(environ)["https://skills.acme.example"].keys == ["k"]
    assert not (home / ".config/skillport/credentials.json").exists()
    assert migrate(environ) == []


def test_a_file_already_in_the_new_place_wins(tmp_path: Path) -> None:
    environ = env(tmp_path, XDG_CONFIG_HOME="", XDG_STATE_HOME="")
    home = tmp_path / "home"
    old = home / ".config/skillport/installs.json"
    new = places(environ).state / "installs.json"
    for path, text in (
        (old, '{"folders": {}}'),
        (new, '{"folders": {"/x": {"agents": [], "scope": "user"}}}'),
    ):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    if sys.platform in ("darwin", "win32"):
        pytest.skip("the XDG folders")
    assert migrate(environ) == [Moved(old, new, kept_old=True)]
    assert old.read_text() == '{"folders": {}}' and "/x" in new.read_text()


def test_with_skillport_config_dir_nothing_moves(tmp_path: Path) -> None:
    config = tmp_path / "config"
    _old_files(tmp_path, config)
    environ = env(tmp_path, SKILLPORT_CONFIG_DIR=str(config))
    assert [m.new.name for m in migrate(environ)] == ["acme-skills"]
    assert (config / "installs.json").is_file() and (config / "credentials.json").is_file()
