"""The connector through the real MCP Inspector CLI over streamable HTTP, with a personal token in
the header: it lists the tools and calls search_skills; without a token it is told to authenticate;
its Skills-extension check downloads every file of every listed skill and compares digest and size
with the entries, and a person never gets a restricted skill in any of it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from integration.inspector import inspector_failure, run_inspector
from proxy.live_server import LiveProxy, live_proxy
from proxy.served import SEES

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def live(state_backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveProxy]:
    with live_proxy(tmp_path_factory.mktemp("inspector")) as served:
        yield served


def test_the_inspector_lists_the_tools_and_searches(live: LiveProxy) -> None:
    url, token = f"{live.url}/mcp", live.tokens["anyone"]
    listed = run_inspector(url, "--method", "tools/list", token=token)
    assert isinstance(listed, dict)
    names = sorted(t["name"] for t in listed["tools"])
    assert names == ["check_updates", "get_skill", "install_skill", "propose_change", "search_skills"]
    found = run_inspector(
        url, "--method", "tools/call", "--tool-name", "search_skills", "--tool-arg", "query=csv", token=token
    )
    assert isinstance(found, dict) and not found.get("isError")
    body = json.loads(found["content"][0]["text"])
    assert body["skills"][0]["name"] == "csv-profiler"
    everything = run_inspector(
        url, "--method", "tools/call", "--tool-name", "search_skills", "--tool-arg", "limit=50", token=token
    )
    assert isinstance(everything, dict)
    assert {s["name"] for s in json.loads(everything["content"][0]["text"])["skills"]} == SEES["anyone"]


def test_without_a_token_the_inspector_is_told_to_authenticate(live: LiveProxy) -> None:
    denied = inspector_failure(f"{live.url}/mcp", "--method", "tools/list")
    assert denied.returncode == 3 and denied.error["code"] == "auth_required"


def test_a_hidden_skill_is_a_tool_error_like_a_missing_one(live: LiveProxy) -> None:
    url, token = f"{live.url}/mcp", live.tokens["anyone"]
    refused = inspector_failure(
        url,
        "--method",
        "tools/call",
        "--tool-name",
        "get_skill",
        "--tool-arg",
        "name=decision-record",
        token=token,
    )
    assert refused.returncode == 5 and isinstance(refused.result, dict)
    assert "no skill named 'decision-record'" in refused.result["content"][0]["text"]


@pytest.mark.parametrize("who", ["anyone", "sre"])
def test_the_inspector_verifies_every_skill_the_extension_lists(live: LiveProxy, who: str) -> None:
    reports = run_inspector(
        f"{live.url}/mcp",
        "--protocol-era",
        "auto",
        "--method",
        "skills/list",
        "--verify",
        token=live.tokens[who],
    )
    entries: list[dict[str, Any]] = reports if isinstance(reports, list) else [reports]
    assert {e["name"] for e in entries} == SEES[who]
    assert all(e["ok"] and e["outcome"] == "verified" for e in entries), entries
    assert all(f["status"] == "verified" for e in entries for f in e["files"])
    text = json.dumps(entries)
    for name in SEES[who]:
        assert f"skill://{name}/SKILL.md" in text
    for hidden in SEES["admin"] - SEES[who]:
        assert hidden not in text
