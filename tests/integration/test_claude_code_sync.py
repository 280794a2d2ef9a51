"""`skillport claude-code sync` end to end: a real proxy on 127.0.0.1, the real CLI in a subprocess,
then the real Claude Code adds the folder and installs a plugin only its group may read."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from integration.claude_code import Claude
from proxy.live_server import LiveProxy, live_proxy

pytestmark = pytest.mark.integration

MARKETPLACE = "acme-skills"


def skillport_sync(live: LiveProxy, who: str, home: Path, folder: Path) -> subprocess.CompletedProcess[str]:
    """`skillport claude-code sync --dir FOLDER` as `who`, with the token in the environment (as in CI)."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "CLAUDE_CONFIG_DIR": str(home / ".claude"),
        "SKILLPORT_CONFIG_DIR": str(home / ".config/skillport"),
        "SKILLPORT_URL": live.url,
        "SKILLPORT_TOKEN": live.tokens[who],
    }
    command = [sys.executable, "-m", "skillport_build", "claude-code", "sync", "--dir", str(folder)]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)


def test_synced_marketplace_installs_in_claude_code(claude: Claude, tmp_path: Path) -> None:
    with live_proxy(tmp_path / "proxy") as live:
        folder = tmp_path / "sre-market"
        synced = skillport_sync(live, "sre", claude.home, folder)
        assert synced.returncode == 0, synced.stderr
        lines = synced.stdout.splitlines()
        assert lines[0] == f"claude plugin marketplace add {folder}"
        assert f"claude plugin install operations@{MARKETPLACE}" in lines[1:]
        # Every line printed is a command the real Claude Code accepts, as printed.
        for line in lines:
            words = shlex.split(line)
            assert words[0] == "claude"
            done = claude.run(*words[1:])
            assert done.returncode == 0, line + "\n" + done.stdout + done.stderr
        cache = claude.home / ".claude/plugins/cache" / MARKETPLACE / "operations"
        skill_md = list(cache.glob("*/skills/incident-postmortem/SKILL.md"))
        assert len(skill_md) == 1 and "postmortem" in skill_md[0].read_text().lower()

        again = skillport_sync(live, "sre", claude.home, folder)
        assert again.stdout == f"claude plugin marketplace update {MARKETPLACE}\n", again.stderr
        updated = claude.run("plugin", "marketplace", "update", MARKETPLACE)
        assert updated.returncode == 0, updated.stdout + updated.stderr


def test_without_the_group_there_is_no_operations_plugin(claude: Claude, tmp_path: Path) -> None:
    with live_proxy(tmp_path / "proxy") as live:
        folder = tmp_path / "anyone-market"
        synced = skillport_sync(live, "anyone", claude.home, folder)
        assert synced.returncode == 0, synced.stderr
    manifest = json.loads((folder / ".claude-plugin/marketplace.json").read_text())
    assert "operations" not in {p["name"] for p in manifest["plugins"]}
    assert not (folder / "plugins/operations").exists()
    assert "incident-postmortem" not in "".join(str(p) for p in folder.rglob("*"))

    added = claude.run("plugin", "marketplace", "add", str(folder))
    assert added.returncode == 0, added.stdout + added.stderr
    refused = claude.run("plugin", "install", f"operations@{MARKETPLACE}")
    assert refused.returncode != 0, refused.stdout + refused.stderr
    assert 'Plugin "operations" not found in marketplace' in refused.stdout + refused.stderr
    assert not (claude.home / ".claude/plugins/cache" / MARKETPLACE / "operations").exists()
    data_tools = claude.run("plugin", "install", f"data-tools@{MARKETPLACE}")
    assert data_tools.returncode == 0, data_tools.stdout + data_tools.stderr
