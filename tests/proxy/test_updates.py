"""Update checks against the real proxy on 127.0.0.1 (REST `POST /api/updates` and the MCP
`check_updates` tool): a removed skill is named only to those who could read it as it left, even
when its plugin's rule left the policy with it; everyone else hears "unknown", as for a name that
never existed."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from proxy.connector.test_mcp_access import tool
from proxy.live_server import LiveProxy, live_proxy

NEVER = "no-such-skill"


def remove_operations(live: LiveProxy) -> None:
    """Delete the SRE-only plugin, its marketplace entry and its policy rule, and publish."""
    shutil.rmtree(live.repo / "plugins/operations")
    manifest = live.repo / ".claude-plugin/marketplace.json"
    data = json.loads(manifest.read_text())
    data["plugins"] = [p for p in data["plugins"] if p["name"] != "operations"]
    manifest.write_text(json.dumps(data, indent=2))
    policy = live.repo / ".skillport/access.yaml"
    text = policy.read_text()
    rule = '  operations:\n    read: ["group:sre", "group:engineering-managers"]\n'
    assert rule in text
    policy.write_text(text.replace(rule, "").replace("plugins:\n", "plugins: {}\n"))
    live.republish()


@pytest.fixture(scope="module")
def live(state_backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveProxy]:
    with live_proxy(tmp_path_factory.mktemp("updates")) as served:
        remove_operations(served)
        yield served


def rest(live: LiveProxy, who: str, names: list[str]) -> dict[str, Any]:
    response = httpx.post(
        f"{live.url}/api/updates",
        json={"installed": [{"name": n, "version": "1.0.0"} for n in names]},
        headers={"Authorization": f"Bearer {live.tokens[who]}"},
    )
    assert response.status_code == 200, response.text
    return {r["name"]: r for r in response.json()["results"]}


@pytest.mark.parametrize("who", ["anyone", "engineer"])
def test_a_removed_restricted_skill_is_unknown_to_those_who_could_not_read_it(
    live: LiveProxy, who: str
) -> None:
    found = rest(live, who, ["incident-postmortem", NEVER])
    assert found["incident-postmortem"] == {**found[NEVER], "name": "incident-postmortem"}
    assert found[NEVER]["status"] == "unknown"
    _, mcp = tool(live, who, "check_updates", installed={"incident-postmortem": "1.0.0", NEVER: "1.0.0"})
    statuses = {r["name"]: r for r in mcp["updates"]}
    assert statuses["incident-postmortem"] == {**statuses[NEVER], "name": "incident-postmortem"}


@pytest.mark.parametrize("who", ["sre", "admin"])
def test_a_removed_skill_is_reported_to_its_readers(live: LiveProxy, who: str) -> None:
    found = rest(live, who, ["incident-postmortem"])["incident-postmortem"]
    assert (found["status"], found["last_version"]) == ("removed", "1.0.0")
    _, mcp = tool(live, who, "check_updates", installed={"incident-postmortem": "1.0.0"})
    assert [(r["name"], r["status"]) for r in mcp["updates"]] == [("incident-postmortem", "removed")]
