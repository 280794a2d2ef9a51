"""The agents a skill installs for, and where each one reads skills from.

Agent Skills are one format read by many agents; what differs is the folder. The table follows the
agents table of the `skills` CLI 1.7.4 (its `agents` map and `getAgentBaseDir`), so a skill that
`skillport install --agent` puts down sits exactly where `npx skills add --agent` would put it:
Claude Code reads `.claude/skills` in a project and `$CLAUDE_CONFIG_DIR` (else `~/.claude`)`/skills`
for the user; the agents of the shared convention read `.agents/skills` in a project and
`~/.agents/skills` for the user.

The folders installed into are remembered, so `skillport updates` finds project installs too:

    the state folder (see `places`: $SKILLPORT_CONFIG_DIR, else ~/.local/state/skillport)/installs.json
        {"folders": {PATH: {"agents": [...], "scope": "user" | "project"}}}
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from skillport_build.client.places import home, places
from skillport_build.client.unpack import write_atomic
from skillport_build.errors import ClientError, UsageError

Scope = Literal["user", "project"]
INSTALLS_FILE = "installs.json"
SHARED_PROJECT = ".agents/skills"


def claude_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """Claude Code's configuration folder: $CLAUDE_CONFIG_DIR, else ~/.claude."""
    chosen = environ.get("CLAUDE_CONFIG_DIR", "").strip()
    return Path(chosen) if chosen else home(environ) / ".claude"


def _claude_user(environ: Mapping[str, str]) -> Path:
    return claude_dir(environ) / "skills"


def _shared_user(environ: Mapping[str, str]) -> Path:
    return home(environ) / ".agents" / "skills"


@dataclass(frozen=True)
class Agent:
    """One agent: its name on the command line, its display name, and its two skills folders."""

    name: str
    title: str
    user: Callable[[Mapping[str, str]], Path]
    project: str


def _shared(name: str, title: str) -> Agent:
    return Agent(name, title, _shared_user, SHARED_PROJECT)


AGENTS: dict[str, Agent] = {
    agent.name: agent
    for agent in (
        Agent("claude-code", "Claude Code", _claude_user, ".claude/skills"),
        _shared("amp", "Amp"),
        _shared("cline", "Cline"),
        _shared("codex", "Codex"),
        _shared("cursor", "Cursor"),
        _shared("gemini-cli", "Gemini CLI"),
        _shared("github-copilot", "GitHub Copilot"),
        _shared("kilo", "Kilo Code"),
        _shared("opencode", "OpenCode"),
        _shared("warp", "Warp"),
    )
}


def agent(name: str) -> Agent:
    """The agent called `name`, or a usage error that lists the known ones."""
    found = AGENTS.get(name)
    if found is None:
        raise UsageError(f"unknown agent {name!r}; choose from {', '.join(AGENTS)}")
    return found


def skills_folder(chosen: Agent, project: Path | None, environ: Mapping[str, str] = os.environ) -> Path:
    """Where `chosen` reads skills: under the project folder when one is given, else the user's."""
    return project / chosen.project if project is not None else chosen.user(environ)


def folders_for(
    names: Iterable[str], project: Path | None, environ: Mapping[str, str] = os.environ
) -> dict[Path, list[str]]:
    """Each distinct skills folder the named agents read, with the agents reading it (agents of
    the shared convention share one folder, so a skill is written there once)."""
    folders: dict[Path, list[str]] = {}
    for name in dict.fromkeys(names):
        folders.setdefault(skills_folder(agent(name), project, environ), []).append(name)
    return folders


class Placement(BaseModel):
    """A skills folder `skillport install` wrote into."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    agents: list[str] = Field(description="the agents it was installed for")
    scope: Scope = Field(description="a person's folder, or one inside a project")


class InstallsFile(BaseModel):
    """installs.json: every skills folder installed into, so updates can find them again."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    folders: dict[str, Placement] = Field(default_factory=dict, description="by absolute path")


def _installs_path(environ: Mapping[str, str]) -> Path:
    return places(environ).state / INSTALLS_FILE


def load_installs(environ: Mapping[str, str] = os.environ) -> InstallsFile:
    """The folders installed into; an unreadable file counts as none (install records stay the
    source of truth, this only says where to look)."""
    try:
        return InstallsFile.model_validate_json(_installs_path(environ).read_bytes())
    except (OSError, ValidationError):
        return InstallsFile()


def remember_folder(
    folder: Path, agents: Iterable[str], scope: Scope, environ: Mapping[str, str] = os.environ
) -> None:
    """Add a folder (and the agents installed for) to installs.json."""
    before = load_installs(environ)
    key = str(folder.absolute())
    known = before.folders.get(key)
    merged = sorted(set(known.agents if known else ()) | set(agents))
    after = before.model_copy(
        update={"folders": before.folders | {key: Placement(agents=merged, scope=scope)}}
    )
    try:
        _installs_path(environ).parent.mkdir(parents=True, exist_ok=True)
        write_atomic(_installs_path(environ), after.model_dump_json(indent=2).encode() + b"\n", 0o600)
    except OSError as exc:
        raise ClientError(f"cannot record the install in {_installs_path(environ)}: {exc}") from exc


def known_folders(environ: Mapping[str, str] = os.environ) -> dict[Path, Placement]:
    """Every skills folder to check for updates: Claude Code's user folder (installs made before
    folders were remembered went there), then each one remembered that still exists."""
    folders = {_claude_user(environ): Placement(agents=["claude-code"], scope="user")}
    for path, placement in sorted(load_installs(environ).folders.items()):
        if Path(path).is_dir():
            folders[Path(path)] = placement
    return folders
