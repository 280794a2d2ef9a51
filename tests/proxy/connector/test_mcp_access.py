"""Who sees what through /mcp, and what /mcp refuses. The template marketplace is served on
127.0.0.1 and each person calls every tool, the Skills extension and the `skill://` resources with
a personal token: a skill they may not read is answered exactly as one that does not exist,
everywhere. Then the transport's refusals: no token, a bad one, a token issued for another
resource, a token in the query string, a foreign browser Origin, a token without `skills:read`."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from proxy.live_server import LiveProxy, live_proxy
from proxy.served import ALL_SKILLS, PEOPLE, SEES

from skillport_build.models.api import RecordProof
from skillport_build.proxy.connector.grants import Grants
from skillport_build.proxy.connector.skills_ext import PROOF_META
from skillport_build.trust.records import verified_record

MISSING = "no-such-skill"


@pytest.fixture(scope="module")
def live(state_backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveProxy]:
    with live_proxy(tmp_path_factory.mktemp("mcp")) as served:
        yield served


def rpc(
    live: LiveProxy, token: str | None, method: str, params: dict[str, Any], **headers: str
) -> httpx.Response:
    sent = {"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-11-25", **headers}
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
    return httpx.post(f"{live.url}/mcp", json=body, headers=sent)


def result(live: LiveProxy, who: str, method: str, params: dict[str, Any]) -> dict[str, Any]:
    response = rpc(live, live.tokens[who], method, params)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def tool(live: LiveProxy, who: str, tool_name: str, **arguments: Any) -> tuple[bool, Any]:
    """(is_error, the parsed answer or the error text)."""
    answer = result(live, who, "tools/call", {"name": tool_name, "arguments": arguments})["result"]
    text = answer["content"][0]["text"]
    return answer.get("isError", False), text if answer.get("isError") else json.loads(text)


def as_missing(text: str, name: str) -> str:
    return text.replace(name, MISSING)


@pytest.mark.parametrize("who", sorted(PEOPLE))
def test_every_tool_and_the_skills_extension_show_only_readable_skills(live: LiveProxy, who: str) -> None:
    sees = SEES[who]
    _, listed = tool(live, who, "search_skills", limit=50)
    assert {s["name"] for s in listed["skills"]} == sees and listed["total"] == len(sees)
    entries = result(live, who, "skills/list", {})["result"]["skills"]
    assert {e["frontmatter"]["name"] for e in entries} == sees
    _, nothing = tool(live, who, "get_skill", name=MISSING)
    _, nothing_install = tool(live, who, "install_skill", name=MISSING, surface="claude-ai")
    not_served = result(live, who, "skills/get", {"uri": f"skill://{MISSING}/SKILL.md"})["error"]
    for name in sorted(ALL_SKILLS):
        _, found = tool(live, who, "search_skills", query=name, limit=50)
        assert {s["name"] for s in found["skills"]} <= sees
        failed, got = tool(live, who, "get_skill", name=name)
        failed_install, install = tool(live, who, "install_skill", name=name, surface="claude-code")
        _, updates = tool(live, who, "check_updates", installed={name: "0.0.1"})
        ext = result(live, who, "skills/get", {"uri": f"skill://{name}/SKILL.md"})
        read = result(live, who, "resources/read", {"uri": f"skill://{name}/SKILL.md"})
        if name in sees:
            assert not failed and got["name"] == name and got["files"]
            assert not failed_install and install["url"].startswith(live.url + "/bundles/")
            assert updates["updates"][0]["status"] == "update"
            assert ext["result"]["skill"]["frontmatter"]["name"] == name
            assert f"name: {name}" in read["result"]["contents"][0]["text"]
        else:  # word for word what a skill that does not exist gets
            assert failed and as_missing(got, name) == nothing
            assert failed_install and as_missing(install, name) == nothing_install
            assert updates["updates"] == [{"name": name, "status": "unknown"}]
            assert ext["error"]["code"] == not_served["code"] == -32602
            assert as_missing(ext["error"]["message"], name) == not_served["message"]
            assert read["error"]["code"] == -32602 and "result" not in read


def test_skill_entries_carry_verbatim_front_matter_and_every_file_with_digests(live: LiveProxy) -> None:
    entry = result(live, "anyone", "skills/get", {"uri": "skill://csv-profiler/SKILL.md"})["result"]
    assert entry["resultType"] == "complete" and entry["cacheScope"] == "private"
    skill = entry["skill"]
    paths = {r["uri"].removeprefix("skill://csv-profiler/") for r in skill["resources"]}
    assert {"SKILL.md", "scripts/profile_csv.py"} <= paths
    script = next(r for r in skill["resources"] if r["uri"].endswith("profile_csv.py"))
    read = result(live, "anyone", "resources/read", {"uri": script["uri"]})["result"]["contents"][0]
    data = read["text"].encode()
    assert script["digest"] == "sha256:" + hashlib.sha256(data).hexdigest() and script["size"] == len(data)
    _, detail = tool(live, "anyone", "get_skill", name="csv-profiler")
    assert skill["frontmatter"]["description"] == detail["description"]
    proof = RecordProof.model_validate(entry["_meta"][PROOF_META])  # the record as the CI signed it
    record = verified_record(proof, [live.key.public()], datetime.now(UTC), kind="skill", ref="csv-profiler")
    assert any(f.path == "scripts/profile_csv.py" for f in record.files)
    outside = result(
        live, "anyone", "resources/read", {"uri": "skill://csv-profiler/../release-notes/SKILL.md"}
    )
    assert "error" in outside


def test_no_token_or_a_bad_one_gets_401_with_the_resource_metadata(live: LiveProxy) -> None:
    for token in (None, "sp_nope_nope", "spa_forged", "not-even-a-token"):
        response = rpc(live, token, "tools/list", {})
        assert response.status_code == 401
        challenge = response.headers["www-authenticate"]
        assert f'resource_metadata="{live.url}/.well-known/oauth-protected-resource/mcp"' in challenge
    for path in ("/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"):
        metadata = httpx.get(live.url + path).json()
        assert metadata["resource"] == f"{live.url}/mcp" and metadata["authorization_servers"] == [live.url]
    server = httpx.get(f"{live.url}/.well-known/oauth-authorization-server").json()
    assert server["issuer"] == live.url and server["code_challenge_methods_supported"] == ["S256"]
    assert server["client_id_metadata_document_supported"] is True and server["registration_endpoint"]


def test_a_token_issued_for_another_resource_is_refused(live: LiveProxy) -> None:
    grants = Grants(live.state)
    email, groups = PEOPLE["admin"]
    elsewhere = grants.issue("c", email, groups, ("skills:read",), "https://elsewhere.example/mcp", 600, 600)
    assert rpc(live, elsewhere.access, "tools/list", {}).status_code == 401
    here = grants.issue("c", email, groups, ("skills:read",), f"{live.url}/mcp", 600, 600)
    assert rpc(live, here.access, "tools/list", {}).status_code == 200
    expired = grants.issue("c", email, groups, ("skills:read",), f"{live.url}/mcp", -1, 600)
    assert rpc(live, expired.access, "tools/list", {}).status_code == 401


def test_a_token_without_skills_read_gets_403_insufficient_scope(live: LiveProxy) -> None:
    email, groups = PEOPLE["admin"]
    narrow = Grants(live.state).issue("c", email, groups, ("skills:propose",), f"{live.url}/mcp", 600, 600)
    response = rpc(live, narrow.access, "tools/list", {})
    assert (
        response.status_code == 403 and 'error="insufficient_scope"' in response.headers["www-authenticate"]
    )


def test_proposing_needs_the_propose_scope(live: LiveProxy) -> None:
    email, groups = PEOPLE["admin"]
    read_only = Grants(live.state).issue("c", email, groups, ("skills:read",), f"{live.url}/mcp", 600, 600)
    body = {"name": "propose_change", "arguments": {"plugin": "writing", "skill": "release-notes",
            "files": {"SKILL.md": "x"}, "title": "t", "description": "d"}}  # fmt: skip
    answer = rpc(live, read_only.access, "tools/call", body).json()["result"]
    assert answer["isError"]


def test_a_token_in_the_query_string_is_refused_even_with_a_good_header(live: LiveProxy) -> None:
    token = live.tokens["admin"]
    for name in ("access_token", "token"):
        response = httpx.post(
            f"{live.url}/mcp?{name}={token}",
            json={"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}},
            headers={"Accept": "application/json, text/event-stream", "Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 400 and "Authorization header" in response.text


def test_a_foreign_browser_origin_is_refused_the_proxys_own_is_not(live: LiveProxy) -> None:
    token = live.tokens["admin"]
    assert rpc(live, token, "tools/list", {}, Origin="https://evil.example").status_code == 403
    assert rpc(live, token, "tools/list", {}, Origin=live.url).status_code == 200
    refused = [e for e in live.state.audit_tail(20) if e["event"] == "auth.refused"]
    assert refused[-1]["reason"] == "origin not allowed"


def test_the_authorization_endpoint_refuses_another_resource_and_unknown_clients(live: LiveProxy) -> None:
    registered = httpx.post(
        f"{live.url}/register",
        json={
            "redirect_uris": ["http://127.0.0.1:9/cb"],
            "token_endpoint_auth_method": "none",
            "client_name": "t",
        },
    ).json()
    query = {
        "response_type": "code",
        "client_id": registered["client_id"],
        "redirect_uri": "http://127.0.0.1:9/cb",
        "code_challenge": "x" * 43,
        "code_challenge_method": "S256",
        "state": "s",
    }
    foreign = httpx.get(
        f"{live.url}/authorize", params={**query, "resource": "https://elsewhere.example/mcp"}
    )
    assert foreign.status_code == 302 and "error=invalid_target" in foreign.headers["location"]
    plain = httpx.get(f"{live.url}/authorize", params={**query, "code_challenge_method": "plain"})
    assert plain.status_code in (302, 400) and "code=" not in plain.headers.get("location", "")
    ours = httpx.get(f"{live.url}/authorize", params={**query, "resource": f"{live.url}/mcp"})
    assert ours.status_code == 302 and ours.headers["location"].startswith(
        f"{live.url}/oauth/consent?request="
    )
    unknown = httpx.get(f"{live.url}/authorize", params={**query, "client_id": "made-up"})
    assert unknown.status_code == 400 and "location" not in unknown.headers


def test_registration_refuses_redirects_that_are_neither_https_nor_loopback(live: LiveProxy) -> None:
    bad = httpx.post(f"{live.url}/register", json={"redirect_uris": ["http://evil.example/cb"]})
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_redirect_uri"
    good = httpx.post(
        f"{live.url}/register", json={"redirect_uris": ["https://claude.ai/api/mcp/auth_callback"]}
    )
    assert good.status_code == 201


def test_the_consent_page_needs_a_sign_in_and_a_live_request(live: LiveProxy) -> None:
    page = httpx.get(f"{live.url}/oauth/consent?request=whatever")
    assert page.status_code == 303 and page.headers["location"].startswith("/login?next=")
    with httpx.Client(base_url=live.url) as browser:
        form = browser.get("/login").text
        csrf = form.split('name="csrf" value="')[1].split('"')[0]
        browser.post("/login/dev", data={"email": "ann@acme.example", "groups": "", "csrf": csrf})
        assert browser.get("/oauth/consent?request=whatever").status_code == 400
        forged = browser.post(
            "/oauth/consent", data={"request": "whatever", "decision": "allow", "csrf": "no"}
        )
        assert forged.status_code == 403


def test_reads_and_links_through_mcp_are_audited(live: LiveProxy) -> None:
    tool(live, "sre", "install_skill", name="incident-postmortem", surface="desktop")
    event = live.state.audit_tail(1)[0]
    assert (event["event"], event["actor"], event["skill"], event["via"]) == (
        "link",
        "sam@acme.example",
        "incident-postmortem",
        "mcp",
    )


def test_refused_tokens_are_audited(live: LiveProxy) -> None:
    assert rpc(live, "spa_forged", "tools/list", {}).status_code == 401
    event = live.state.audit_tail(1)[0]
    assert (event["event"], event["path"]) == ("auth.refused", "/mcp")


def test_over_the_rate_a_caller_gets_429(tmp_path_factory: pytest.TempPathFactory) -> None:
    with live_proxy(tmp_path_factory.mktemp("rate"), rate_limit=0.01, rate_burst=2) as strict:
        answers = [rpc(strict, strict.tokens["anyone"], "tools/list", {}).status_code for _ in range(3)]
        limited = rpc(strict, strict.tokens["anyone"], "tools/list", {})
        other = rpc(strict, strict.tokens["sre"], "tools/list", {})
    assert answers[:2] == [200, 200] and answers[2] == 429
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    assert other.status_code == 200  # counted per caller


@pytest.mark.parametrize("mode", ["legacy", "auto"])
def test_the_sdk_client_works_in_both_protocol_eras(live: LiveProxy, mode: str) -> None:
    """2025-11-25 (initialize handshake) and 2026-07-28 (per-request envelope, server/discover)."""

    async def session() -> tuple[list[str], Any, str | None, str]:
        headers = {"Authorization": f"Bearer {live.tokens['sre']}"}
        async with (
            httpx2.AsyncClient(headers=headers) as http,
            Client(streamable_http_client(f"{live.url}/mcp", http_client=http), mode=mode) as client,
        ):
            tools = [t.name for t in (await client.list_tools()).tools]
            found = await client.call_tool("search_skills", {"query": "blameless"})
            return tools, client.server_capabilities, client.instructions, found.content[0].text  # type: ignore[union-attr]

    tools, capabilities, instructions, found = asyncio.run(session())
    assert len(tools) == 5 and instructions and "search_skills" in instructions
    assert json.loads(found)["skills"][0]["name"] == "incident-postmortem"
    if mode == "auto":  # the modern era advertises extensions
        assert "io.modelcontextprotocol/skills" in (capabilities.extensions or {})
