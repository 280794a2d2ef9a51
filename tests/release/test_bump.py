from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from factory import write
from releasing import build_at

from skillport_build.errors import NotFound, UsageError
from skillport_build.release.bump import bump
from skillport_build.validate import validate_path


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True).stdout


def test_bump_edits_only_the_version_lines(market: Path) -> None:
    _git(market, "init", "-q")
    _git(market, "add", "-A")
    _git(market, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "init")
    assert [(b.plugin, b.old, b.new) for b in bump(market, "minor")] == [("tools", "1.0.0", "1.1.0")]
    diff = _git(market, "diff", "--unified=0")
    changed = [line for line in diff.splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert changed == [
        '-      "version": "1.0.0",',
        '+      "version": "1.1.0",',
        '-  "version": "1.0.0",',
        '+  "version": "1.1.0",',
    ]
    assert validate_path(market).diagnostics == ()


def test_bump_changed_only_touches_changed_plugins(market: Path, tmp_path: Path) -> None:
    published = build_at(market, tmp_path / "out").catalog
    assert bump(market, changed_since=published) == []
    write(market, {"plugins/tools/skills/hello/references/checklist.md": "new\n"})
    assert [b.new for b in bump(market, "patch", changed_since=published)] == ["1.0.1"]
    assert build_at(market, tmp_path / "out", previous=published).catalog.catalog_version == 2


def test_bump_adds_a_missing_entry_version_only_where_it_was(market: Path) -> None:
    text = (market / ".claude-plugin/marketplace.json").read_text().replace('      "version": "1.0.0",\n', "")
    write(market, {".claude-plugin/marketplace.json": text})
    bump(market, "prerelease")
    assert '"version"' not in (market / ".claude-plugin/marketplace.json").read_text()
    assert '"version": "1.0.1-rc.1"' in (market / "plugins/tools/.claude-plugin/plugin.json").read_text()


def test_unknown_plugins_and_levels_are_usage_errors(market: Path) -> None:
    with pytest.raises(NotFound, match="no plugin named nope"):
        bump(market, plugins=("nope",))
    with pytest.raises(UsageError, match="level 'huge'"):
        bump(market, "huge")
