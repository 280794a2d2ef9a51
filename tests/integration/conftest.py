from __future__ import annotations

from pathlib import Path

import pytest
from integration.claude_code import Claude, claude_binary


@pytest.fixture
def claude(tmp_path: Path) -> Claude:
    """A Claude Code CLI with a HOME of its own."""
    home = tmp_path / "home"
    home.mkdir()
    return Claude(claude_binary(), home)
