"""What a plugin bundle holds for Claude Code besides skills, by name: its commands (`/review`), its
agents (`security-reviewer`), its MCP servers and the hook events it listens to."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any


@dataclass(frozen=True)
class Parts:
    """The named Claude Code parts of one plugin, each list sorted."""

    commands: tuple[str, ...] = ()
    agents: tuple[str, ...] = ()
    mcp: tuple[str, ...] = ()
    hooks: tuple[str, ...] = ()


def plugin_parts(bundle: bytes) -> Parts:
    """Read a plugin zip's commands, agents, MCP servers and hook events (what Claude Code loads)."""
    with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
        names = [PurePosixPath(n) for n in archive.namelist() if not n.endswith("/")]
        mcp = _keys(archive, ".mcp.json", "mcpServers")
        hooks = _keys(archive, "hooks/hooks.json", "hooks")
    return Parts(
        commands=_markdown_names(names, "commands"),
        agents=_markdown_names(names, "agents"),
        mcp=mcp,
        hooks=hooks,
    )


def _markdown_names(names: list[PurePosixPath], top: str) -> tuple[str, ...]:
    """`commands/git/review.md` is `git:review`, as Claude Code names a command in a subfolder."""
    found = {
        ":".join((*p.parts[1:-1], p.stem))
        for p in names
        if p.parts[0] == top and p.suffix == ".md" and len(p.parts) > 1
    }
    return tuple(sorted(found))


def _keys(archive: zipfile.ZipFile, path: str, wrapper: str) -> tuple[str, ...]:
    """The keys of a JSON object in the zip (under `wrapper` when the file nests them there)."""
    try:
        data: Any = json.loads(archive.read(path))
    except (KeyError, ValueError):
        return ()
    if isinstance(data, dict) and isinstance(data.get(wrapper), dict):
        data = data[wrapper]
    return tuple(sorted(str(k) for k in data)) if isinstance(data, dict) else ()
