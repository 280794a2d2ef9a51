"""install_skill tells the story the website and the CLI tell: a skill's surface tags decide the
steps, and asking for a surface it is not offered on says so."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from proxy.connector.test_mcp_access import tool
from proxy.live_server import LiveProxy, live_proxy


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveProxy]:
    with live_proxy(tmp_path_factory.mktemp("mcp-surfaces")) as served:
        yield served


def test_a_chat_only_skill_gets_upload_steps_and_a_note_when_asked_for_claude_code(live: LiveProxy) -> None:
    failed, answer = tool(live, "anyone", "install_skill", name="csv-profiler", surface="claude-code")
    assert not failed
    assert answer["note"] == (
        "csv-profiler is offered for Claude.ai and Claude Desktop only, not Claude Code: these are the "
        "steps for Claude.ai and Claude Desktop. Tell the person before installing it."
    )
    assert "--claude-code" not in " ".join(answer["steps"]) and "Upload skill" in " ".join(answer["steps"])


def test_a_claude_code_skill_gets_claude_code_steps_whatever_was_asked(live: LiveProxy) -> None:
    _, answer = tool(live, "anyone", "install_skill", name="pr-review", surface="claude-ai")
    assert "not Claude.ai" in answer["note"]
    assert any("--claude-code" in step for step in answer["steps"])
    _, asked = tool(live, "anyone", "install_skill", name="release-notes", surface="claude-code")
    assert "note" not in asked and any("--claude-code" in step for step in asked["steps"])
