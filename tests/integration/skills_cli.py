"""Run the real `skills` CLI (npm, pinned, installed by `make tools` with the Node 22 it needs) with
a throwaway HOME, no telemetry."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

VERSION = "1.7.4"


def _tool(variable: str) -> str:
    path = os.environ.get(variable)
    if not path:
        if os.environ.get("SKILLPORT_INTEGRATION") == "1":
            pytest.fail(f"{variable} is not set; `make test` sets it")
        pytest.skip(f"the skills CLI is not configured ({variable}): run the suite with `make test`")
    if not Path(path).is_file():
        pytest.fail(f"{variable}={path} does not exist; run `make tools`")
    return path


@dataclass
class SkillsCli:
    """One isolated `skills` installation: the CLI, the Node that runs it, its own HOME."""

    node: str
    cli: str
    home: Path

    def run(self, *args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """`skills ARGS` in `cwd` with this HOME."""
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.home),
            "DISABLE_TELEMETRY": "1",
            "DO_NOT_TRACK": "1",
            "NO_COLOR": "1",
        }
        command = [self.node, self.cli, *args]
        return subprocess.run(
            command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )


def skills_cli(home: Path) -> SkillsCli:
    """The CLI from SKILLPORT_SKILLS_CLI run by SKILLPORT_SKILLS_NODE (set by `make test`)."""
    return SkillsCli(_tool("SKILLPORT_SKILLS_NODE"), _tool("SKILLPORT_SKILLS_CLI"), home)
