"""The MCP server itself (the `mcp` SDK's MCPServer): five tools, the Skills extension, `skill://`
resources and the instructions a model reads once. Every handler starts from the bearer token the
request came with; there is no anonymous path.

What the model sees costs context on every conversation, so descriptions are short and tools
return compact JSON text (no output schemas).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any, Literal

import anyio.to_thread
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError, ToolError
from mcp_types import ToolAnnotations
from pydantic import Field

from skillport_build import __version__
from skillport_build.errors import SkillportError
from skillport_build.models.access import Identity
from skillport_build.proxy.connector.editing import Proposer
from skillport_build.proxy.connector.propose import Proposal
from skillport_build.proxy.connector.provider import SCOPE_PROPOSE
from skillport_build.proxy.connector.skills_ext import SkillFiles, SkillsExtension
from skillport_build.proxy.connector.tools import Tools
from skillport_build.proxy.identity import identity_of

INSTRUCTIONS = """\
Skillport: the organisation's private Agent Skills. Only skills this person may read exist here.
- Find: search_skills (empty query lists all), then get_skill for SKILL.md and files.
- Install: install_skill with the person's surface; follow its steps (on claude-ai/desktop: run its \
command, then present_files the .skill file). Never invent links; they are personal and expire in minutes.
- Updates: check_updates with installed names and versions (and the surface), then the same steps.
- Change: propose_change opens a pull request for review (editors only); never claim it is live."""

READ_ONLY = ToolAnnotations(readOnlyHint=True, openWorldHint=False)
Surface = Literal["claude-ai", "desktop", "claude-code"]


def caller() -> Identity:
    """The person the request's bearer token stands for."""
    token = get_access_token()
    if token is None or not token.subject:
        raise ToolError("not signed in")  # the transport refuses such requests before this
    groups = (token.claims or {}).get("groups") or []
    return identity_of(token.subject, [str(g) for g in groups])


def _scopes() -> list[str]:
    token = get_access_token()
    return list(token.scopes) if token is not None else []


def _text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _run(action: Callable[[], Any]) -> str:
    try:
        return _text(action())
    except SkillportError as exc:
        raise ToolError(str(exc)) from exc


def build_server(tools: Tools, files: SkillFiles, propose: Proposer | None) -> MCPServer:
    """The connector's MCPServer over one proxy."""
    server: MCPServer = MCPServer(
        "skillport",
        title="Skillport",
        instructions=INSTRUCTIONS,
        version=__version__,
        extensions=[SkillsExtension(files, caller)],
        warn_on_duplicate_resources=False,
        log_level="WARNING",
    )

    @server.tool(annotations=READ_ONLY, structured_output=False)
    async def search_skills(
        query: str = "",
        surface: Surface | None = None,
        category: str | None = None,
        limit: Annotated[int, Field(ge=1, le=50)] = 10,
    ) -> str:
        """Ranked search of skills by name, description and SKILL.md text."""
        return _run(lambda: tools.search(caller(), query, surface, category, limit))

    @server.tool(annotations=READ_ONLY, structured_output=False)
    async def get_skill(name: str) -> str:
        """A skill's metadata, SKILL.md and file list."""
        return _run(lambda: tools.get(caller(), name))

    @server.tool(annotations=READ_ONLY, structured_output=False)
    async def install_skill(name: str, surface: Surface) -> str:
        """Install steps for the surface: on claude-ai/desktop a command that writes <skill>.skill."""
        return _run(lambda: tools.install_steps(caller(), name, surface))

    @server.tool(annotations=READ_ONLY, structured_output=False)
    async def check_updates(
        installed: Annotated[dict[str, str], Field(description="name -> version or sha256:digest")],
        surface: Surface | None = None,
    ) -> str:
        """Which installed skills are outdated, yanked, deprecated or removed (with install commands)."""
        return _run(lambda: tools.updates(caller(), installed, surface))

    @server.tool(
        annotations=ToolAnnotations(destructiveHint=False, openWorldHint=True), structured_output=False
    )
    async def propose_change(
        plugin: str,
        skill: str,
        files: Annotated[dict[str, str | None], Field(description="path in the skill -> text; null deletes")],
        title: str,
        description: str,
    ) -> str:
        """Editors: validate a skill's changed files and open a pull request for review."""
        if propose is None:
            raise ToolError("proposing changes is not set up on this server (no GitHub repository and token)")
        if SCOPE_PROPOSE not in _scopes():
            raise ToolError(f"this connection was not granted {SCOPE_PROPOSE}; reconnect and allow it")
        who = caller()
        proposal = Proposal(plugin, skill, files, title, description, who.email)
        try:
            opened = await anyio.to_thread.run_sync(propose, who, proposal)
        except SkillportError as exc:
            raise ToolError(str(exc)) from exc
        return _text(opened)

    @server.resource("skill://{name}/SKILL.md", mime_type="text/markdown")
    async def skill_md(name: str) -> str:
        """A skill's SKILL.md."""
        return _read(files, f"{name}/SKILL.md").decode("utf-8-sig")

    @server.resource("skill://{name}/{+path}", mime_type="text/plain")
    async def skill_file(name: str, path: str) -> str | bytes:
        """A file of a skill (binary files come as blobs); plugin/name skills are read here too."""
        data = _read(files, f"{name}/{path}")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return data

    return server


def _read(files: SkillFiles, path: str) -> bytes:
    try:
        return files.read(caller(), path)
    except LookupError as exc:
        raise ResourceNotFoundError(str(exc)) from exc
    except SkillportError as exc:
        raise ResourceError(f"cannot be read now: {exc}") from exc
