"""Run the real Claude Code CLI (pinned, installed by `make test`) offline with a throwaway HOME."""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

VERSION = "2.1.332"


def claude_binary() -> str:
    """The CLI from SKILLPORT_CLAUDE (set by `make test`); skip when run outside make."""
    path = os.environ.get("SKILLPORT_CLAUDE")
    if not path:
        pytest.skip("Claude Code CLI not configured: run the suite with `make test`")
    if not Path(path).is_file():
        pytest.fail(f"SKILLPORT_CLAUDE={path} does not exist; run `make tools`")
    return path


@dataclass
class Claude:
    """One isolated Claude Code installation: its own HOME and config folder."""

    binary: str
    home: Path
    prefix: tuple[str, ...] = ()
    """What runs the CLI (e.g. `nsenter` into a test network namespace); nothing by default."""
    extra_env: dict[str, str] = field(default_factory=dict)
    """More environment (a CA to trust, a PATH holding `skillport` for a headersHelper)."""

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run `claude ARGS` offline with this HOME."""
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.home),
            "CLAUDE_CONFIG_DIR": str(self.home / ".claude"),
            "DISABLE_AUTOUPDATER": "1",
            "DISABLE_TELEMETRY": "1",
            "DISABLE_ERROR_REPORTING": "1",
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        } | self.extra_env
        return subprocess.run(
            [*self.prefix, self.binary, *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def validate(self, path: Path, *, strict: bool) -> tuple[bool, dict[str, Any]]:
        """`claude plugin validate PATH --json`: whether it passed, and its report."""
        args = ["plugin", "validate", str(path), "--json"] + (["--strict"] if strict else [])
        result = self.run(*args)
        try:
            report = json.loads(result.stdout)
        except json.JSONDecodeError:
            report = {"stdout": result.stdout, "stderr": result.stderr}
        return result.returncode == 0, report

    def installed(self, marketplace: str) -> dict[str, dict[str, Any]]:
        """`claude plugin list --json`, only the plugins of `marketplace`, by plugin name."""
        listing = json.loads(self.run("plugin", "list", "--json").stdout)
        suffix = f"@{marketplace}"
        return {e["id"].removesuffix(suffix): e for e in listing if e["id"].endswith(suffix)}

    def inventory(self, plugin_id: str) -> dict[str, list[str]]:
        """What `claude plugin details` says a plugin loads: skills (commands too), agents, hooks,
        MCP and LSP servers, each as a sorted list of names."""
        text = self.run("plugin", "details", plugin_id).stdout
        found: dict[str, list[str]] = {}
        for line in text.split("Component inventory", 1)[-1].split("Projected token cost", 1)[0].splitlines():
            match = re.match(r"\s+(Skills|Agents|Hooks|MCP servers|LSP servers) \((\d+)\)\s*(.*)$", line)
            if match:
                names = re.sub(r"\s+\(.*\)$", "", match.group(3)).strip()
                found[match.group(1)] = sorted(n.strip() for n in names.split(",") if n.strip())
        return found


def validate_targets(root: Path) -> list[Path]:
    """The marketplace root and every plugin folder with a plugin.json under plugins/."""
    plugins = sorted(p.parent.parent for p in root.glob("plugins/*/.claude-plugin/plugin.json"))
    return [root, *plugins]
