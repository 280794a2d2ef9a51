"""Where the CLI keeps what it remembers on this machine: the platform's standard folders.

    config  credentials.json (sign-ins, 0600), keys.json (pinned signing keys)
    state   installs.json (the skills folders installed into), trust.json (`skillport verify`)
    data    claude-code/<marketplace>/ (what `skillport claude-code sync` writes)

On Linux and the BSDs these are the XDG folders: $XDG_CONFIG_HOME/skillport (~/.config/skillport),
$XDG_STATE_HOME/skillport (~/.local/state/skillport), $XDG_DATA_HOME/skillport
(~/.local/share/skillport); on macOS and Windows, what platformdirs names (~/Library/Application
Support/skillport; %LOCALAPPDATA%\\skillport). $SKILLPORT_CONFIG_DIR holds config and state in one
folder (as before), $SKILLPORT_STATE_DIR the state alone, $SKILLPORT_DATA_DIR the data.

Earlier versions kept installs.json beside the credentials and synced marketplaces in
~/.skillport/claude-code; `migrate` moves what it finds there once, so no sign-in, pinned key or
install record is lost.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP = "skillport"
CONFIG_ENV, STATE_ENV, DATA_ENV = "SKILLPORT_CONFIG_DIR", "SKILLPORT_STATE_DIR", "SKILLPORT_DATA_DIR"
# The XDG variable and its default under $HOME, for each kind of folder.
XDG = {"config": ("XDG_CONFIG_HOME", ".config"), "state": ("XDG_STATE_HOME", ".local/state"),
       "data": ("XDG_DATA_HOME", ".local/share")}  # fmt: skip


@dataclass(frozen=True)
class Places:
    """The three folders."""

    config: Path
    state: Path
    data: Path


@dataclass(frozen=True)
class Moved:
    """One file or folder `migrate` dealt with: moved, or left where it was beside a newer copy."""

    old: Path
    new: Path
    kept_old: bool = False


def home(environ: Mapping[str, str] = os.environ) -> Path:
    """$HOME, else the account's home folder."""
    return Path(environ["HOME"]) if environ.get("HOME") else Path.home()


def standard(kind: str, environ: Mapping[str, str] = os.environ) -> Path:
    """The platform's folder of this kind for skillport, ignoring our own overrides."""
    if sys.platform in ("darwin", "win32"):
        found: str = getattr(platformdirs, f"user_{kind}_dir")(APP, appauthor=False)
        return Path(found)
    # What platformdirs answers on Unix, read from `environ` rather than the process environment,
    # so a test (or a caller) can point it at another home.
    variable, default = XDG[kind]
    chosen = environ.get(variable, "").strip()
    return (Path(chosen) if chosen else home(environ) / default) / APP


def places(environ: Mapping[str, str] = os.environ) -> Places:
    """The folders in use, overrides first."""
    config = Path(environ[CONFIG_ENV]) if environ.get(CONFIG_ENV) else standard("config", environ)
    state_dir = environ.get(STATE_ENV) or environ.get(CONFIG_ENV)
    state = Path(state_dir) if state_dir else standard("state", environ)
    data = Path(environ[DATA_ENV]) if environ.get(DATA_ENV) else standard("data", environ)
    return Places(config, state, data)


def legacy(environ: Mapping[str, str] = os.environ) -> dict[Path, Path]:
    """Where each file of an older version lived, and where it belongs now."""
    now = places(environ)
    old_config = Path(environ[CONFIG_ENV]) if environ.get(CONFIG_ENV) else _old_xdg("config", environ)
    old_state = Path(environ[STATE_ENV]) if environ.get(STATE_ENV) else _old_xdg("state", environ)
    moves = {
        old_config / "credentials.json": now.config / "credentials.json",
        old_config / "keys.json": now.config / "keys.json",
        old_config / "installs.json": now.state / "installs.json",
        old_state / "trust.json": now.state / "trust.json",
    }
    old_sync = home(environ) / ".skillport" / "claude-code"
    if old_sync.is_dir() and not old_sync.is_symlink():
        for folder in sorted(old_sync.iterdir()):
            if folder.is_dir() and not folder.is_symlink():
                moves[folder] = now.data / "claude-code" / folder.name
    return {old: new for old, new in moves.items() if old != new}


def _old_xdg(kind: str, environ: Mapping[str, str]) -> Path:
    variable, default = XDG[kind]
    return (Path(environ[variable]) if environ.get(variable) else home(environ) / default) / APP


def migrate(environ: Mapping[str, str] = os.environ) -> list[Moved]:
    """Move what an older version left in the old places to the new ones, once.

    A file already at its new place wins and the old copy stays where it is (reported, never
    overwritten). A synced marketplace folder leaves a link behind, since Claude Code knows it by
    its old path.
    """
    done = []
    for old, new in legacy(environ).items():
        if not old.exists() or old.is_symlink():
            continue
        if new.exists():
            done.append(Moved(old, new, kept_old=True))
            continue
        new.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        shutil.move(old, new)
        if new.is_dir():
            _link_back(old, new)
        done.append(Moved(old, new))
    return done


def _link_back(old: Path, new: Path) -> None:
    # Without symlinks (Windows without the privilege) `claude-code sync` prints `marketplace add`.
    with contextlib.suppress(OSError):
        old.symlink_to(new, target_is_directory=True)
