"""The agents table and the remembered install folders (no network)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from skillport_build.client.agents import (
    AGENTS,
    agent,
    folders_for,
    known_folders,
    load_installs,
    remember_folder,
    skills_folder,
)
from skillport_build.errors import UsageError


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"HOME": str(tmp_path / "home"), "SKILLPORT_CONFIG_DIR": str(tmp_path / "config")}


def test_folders_are_those_the_skills_cli_writes(env: dict[str, str], tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert skills_folder(agent("claude-code"), None, env) == home / ".claude/skills"
    moved = env | {"CLAUDE_CONFIG_DIR": "/cc"}
    assert skills_folder(agent("claude-code"), None, moved) == Path("/cc/skills")
    assert skills_folder(agent("claude-code"), tmp_path / "repo", env) == tmp_path / "repo/.claude/skills"
    for name in ("codex", "cursor", "gemini-cli", "github-copilot", "opencode"):
        assert skills_folder(agent(name), None, env) == home / ".agents/skills"
        assert skills_folder(agent(name), tmp_path / "repo", env) == tmp_path / "repo/.agents/skills"


def test_agents_sharing_a_folder_get_it_once(env: dict[str, str], tmp_path: Path) -> None:
    folders = folders_for(["codex", "claude-code", "cursor", "codex"], tmp_path, env)
    assert folders == {
        tmp_path / ".agents/skills": ["codex", "cursor"],
        tmp_path / ".claude/skills": ["claude-code"],
    }


def test_an_unknown_agent_names_the_known_ones() -> None:
    with pytest.raises(UsageError) as refused:
        agent("vim")
    assert str(refused.value) == f"unknown agent 'vim'; choose from {', '.join(AGENTS)}"


def test_remembered_folders_merge_their_agents(env: dict[str, str], tmp_path: Path) -> None:
    project = tmp_path / "repo/.agents/skills"
    project.mkdir(parents=True)
    remember_folder(project, ["codex"], "project", env)
    remember_folder(project, ["cursor"], "project", env)
    remember_folder(tmp_path / "gone", ["amp"], "project", env)
    saved = json.loads((tmp_path / "config/installs.json").read_text())
    assert saved["folders"][str(project)] == {"agents": ["codex", "cursor"], "scope": "project"}
    found = known_folders(env)
    assert list(found) == [tmp_path / "home/.claude/skills", project]
    assert found[project].agents == ["codex", "cursor"]


def test_an_unreadable_installs_file_counts_as_none(env: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config/installs.json").write_text("{")
    assert load_installs(env).folders == {}
    assert list(known_folders(env)) == [tmp_path / "home/.claude/skills"]
