"""`propose_change` through /mcp against the local GitHub API server: an editor's change becomes one
branch, one commit and one pull request; someone who is not a writer of the plugin, or files that do
not validate, are refused before anything is written to the repository."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fakes.github_api import TOKEN, FakeGitHub
from proxy.live_server import LiveProxy, live_proxy

NOTES = "plugins/writing/skills/release-notes"
MISSING = "no-such-skill"


@pytest.fixture(scope="module")
def github(state_backend: str) -> Iterator[FakeGitHub]:
    with FakeGitHub() as api:
        yield api


@pytest.fixture(scope="module")
def live(
    state_backend: str, tmp_path_factory: pytest.TempPathFactory, github: FakeGitHub
) -> Iterator[LiveProxy]:
    propose = {"token": TOKEN, "repository": "acme/skill-store", "api_url": github.api_url}
    with live_proxy(tmp_path_factory.mktemp("editing"), propose=propose) as served:
        github.seed(served.repo)
        yield served


@pytest.fixture(scope="module")
def editors(
    state_backend: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[LiveProxy, FakeGitHub]]:
    """A proxy whose policy makes the sre group and ann editors of every plugin; ann reads only what
    everyone reads, and the sre group cannot read decision-record."""
    with FakeGitHub() as api:
        propose = {"token": TOKEN, "repository": "acme/skill-store", "api_url": api.api_url}
        with live_proxy(tmp_path_factory.mktemp("editors"), propose=propose) as served:
            policy = served.repo / ".skillport" / "access.yaml"
            policy.write_text(policy.read_text() + '\neditors: ["group:sre", "user:ann@acme.example"]\n')
            served.republish()
            api.seed(served.repo)
            yield served, api


def propose(
    live: LiveProxy, who: str, files: dict[str, Any], skill: str = "release-notes", plugin: str = "writing"
) -> tuple[bool, Any]:
    arguments = {"plugin": plugin, "skill": skill, "files": files, "title": "Say who a note is for",
                 "description": "Readers asked."}  # fmt: skip
    response = httpx.post(
        f"{live.url}/mcp",
        json={
            "jsonrpc": "2.0",
            "id": 1,
            "method": "tools/call",
            "params": {"name": "propose_change", "arguments": arguments},
        },
        headers={
            "Authorization": f"Bearer {live.tokens[who]}",
            "Accept": "application/json, text/event-stream",
        },
        timeout=60,
    )
    result = response.json()["result"]
    text = result["content"][0]["text"]
    return bool(result.get("isError")), text if result.get("isError") else json.loads(text)


def test_an_editor_opens_one_pull_request_and_the_default_branch_is_untouched(
    live: LiveProxy, github: FakeGitHub
) -> None:
    main, before = github.branches["main"], github.files_at("main")
    skill_md = (live.repo / NOTES / "SKILL.md").read_text() + "\nName the audience of each note.\n"
    failed, opened = propose(live, "admin", {"SKILL.md": skill_md})  # admins may propose everywhere
    assert not failed, opened
    assert github.branches["main"] == main and github.files_at("main") == before
    assert set(github.branches) == {"main", opened["branch"]}
    assert github.files_at(opened["branch"])[f"{NOTES}/SKILL.md"] == skill_md.encode()
    [pull] = github.pulls.values()
    assert pull.number == opened["number"] and pull.base == "main" and "ada@acme.example" in pull.body
    assert "### Validation" in pull.body
    assert live.state.audit_tail(1)[0]["event"] == "propose"


def test_someone_who_is_not_a_writer_is_refused_and_nothing_is_written(
    live: LiveProxy, github: FakeGitHub
) -> None:
    github.requests.clear()
    failed, text = propose(live, "engineer", {"SKILL.md": "---\nname: release-notes\n---\n"})
    assert failed and "you may not propose changes to writing/release-notes" in text
    assert github.writes() == []
    assert live.state.audit_tail(1)[0]["event"] == "propose.refused"


def test_files_that_do_not_validate_are_refused_with_the_findings_and_nothing_is_written(
    live: LiveProxy, github: FakeGitHub
) -> None:
    github.requests.clear()
    failed, text = propose(live, "admin", {"SKILL.md": "---\nname: Release Notes!\n---\nbody\n"})
    assert failed and "SKILL.md" in text and "description" in text
    failed_path, path_text = propose(live, "admin", {"../escape.md": "x"})
    assert failed_path and ".." in path_text
    assert github.writes() == []


def test_a_writer_who_may_not_read_a_skill_is_answered_as_for_a_missing_one(
    editors: tuple[LiveProxy, FakeGitHub],
) -> None:
    live, github = editors
    github.requests.clear()

    def attempt(who: str, plugin: str, skill: str) -> str:
        files = {"SKILL.md": f"---\nname: {skill}\n---\nNo description.\n", "assets/adr-template.md": None}
        failed, text = propose(live, who, files, skill, plugin)
        assert failed
        return str(text).replace(skill, MISSING).replace(plugin, "a-plugin")

    # sam edits everything but may not read decision-record (writing): its files are never loaded
    assert attempt("sre", "writing", "decision-record") == attempt("sre", "writing", MISSING)
    # nor is its name confirmed when sam proposes a new skill of that name elsewhere
    assert attempt("sre", "data-tools", "decision-record") == attempt("sre", "data-tools", MISSING)
    # ann edits everything but may not read the operations plugin: as if it did not exist
    hidden = attempt("anyone", "operations", "incident-postmortem")
    assert hidden == attempt("anyone", "no-such-plugin", "incident-postmortem")
    assert "you may not propose changes to a-plugin/" in hidden
    assert github.writes() == []
