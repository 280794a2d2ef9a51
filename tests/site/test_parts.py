from __future__ import annotations

import io
import json
import zipfile

from skillport_build.site.parts import Parts, plugin_parts


def plugin_zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def test_commands_agents_mcp_servers_and_hooks_are_named() -> None:
    data = plugin_zip(
        {
            ".claude-plugin/plugin.json": "{}",
            "commands/review.md": "# review",
            "commands/git/squash.md": "# squash",
            "commands/notes.txt": "not a command",
            "agents/security-reviewer.md": "# agent",
            "skills/pr-review/SKILL.md": "---\n---\n",
            ".mcp.json": json.dumps({"mcpServers": {"tickets": {}, "docs": {}}}),
            "hooks/hooks.json": json.dumps({"hooks": {"PreToolUse": [], "SessionStart": []}}),
        }
    )
    assert plugin_parts(data) == Parts(
        commands=("git:squash", "review"),
        agents=("security-reviewer",),
        mcp=("docs", "tickets"),
        hooks=("PreToolUse", "SessionStart"),
    )


def test_a_plugin_without_parts_or_with_broken_json_names_none() -> None:
    data = plugin_zip(
        {".claude-plugin/plugin.json": "{}", ".mcp.json": "{not json", "hooks/hooks.json": "[]"}
    )
    assert plugin_parts(data) == Parts()
