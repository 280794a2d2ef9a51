"""The whole MCP authorization flow over real HTTP, as an MCP client runs it: the SDK's OAuth client
finds the protected-resource and authorization-server metadata, registers itself, sends the person
(Debian's Chromium) to /authorize; the proxy sends them to sign in at a real OpenID provider
(oidc-provider on 127.0.0.1) and to the consent page; the client exchanges the code with its PKCE
verifier, then calls every tool. Then refresh (rotation, reuse detection) and revocation."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import anyio.to_thread
import httpx
import httpx2
import pytest
from integration.browser import chromium
from integration.oidc import sign_in
from mcp import Client
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import (
    AuthorizationCodeResult,
    OAuthClientInformationFull,
    OAuthClientMetadata,
    OAuthToken,
)
from proxy.live_server import oidc_proxy

from skillport_build.proxy.state import State

pytestmark = pytest.mark.integration

USERS = {
    "sam@acme.example": {"name": "Sam", "groups": ["idp-sre"]},
    "ann@acme.example": {"name": "Ann", "groups": []},
}
CALLBACK = "http://127.0.0.1:9/callback"  # never reached: the browser's navigation to it is intercepted


@dataclass
class Memory:
    """TokenStorage for the SDK client."""

    tokens: OAuthToken | None = None
    client: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client = client_info


@dataclass
class Person:
    """Drives the browser part of the flow as one person, and records what the browser saw."""

    email: str
    allow: bool = True
    seen: list[str] = field(default_factory=list)
    result: AuthorizationCodeResult | None = None

    def authorize(self, url: str) -> None:
        with chromium() as browser:
            page = browser.new_page()
            page.route(f"{CALLBACK}*", lambda route: route.fulfill(status=200, body="done"))
            page.goto(url)
            self.seen.append(page.url)
            if "/login" in page.url:
                with page.expect_navigation():
                    page.click("text=Sign in with Acme SSO")
                sign_in(page, self.email)
                page.wait_for_load_state()
            self.seen.append(page.url)
            self.seen.append(page.content())
            with page.expect_request(lambda r: r.url.startswith(CALLBACK), timeout=10_000) as request:
                page.click(f"button[value={'allow' if self.allow else 'deny'}]")
            back = request.value.url
        query = parse_qs(urlsplit(back).query)
        self.seen.append(back)
        if "code" in query:
            self.result = AuthorizationCodeResult(
                code=query["code"][0], state=query.get("state", [None])[0], iss=query.get("iss", [None])[0]
            )


@pytest.fixture(scope="module")
def proxy(state_backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, State]]:
    with oidc_proxy(tmp_path_factory.mktemp("mcp-oauth"), USERS) as served:
        yield served


def oauth(url: str, person: Person, storage: Memory) -> OAuthClientProvider:
    async def redirect(authorization_url: str) -> None:
        await anyio.to_thread.run_sync(person.authorize, authorization_url)

    async def callback() -> AuthorizationCodeResult:
        assert person.result is not None, f"no code came back: {person.seen[-1]}"
        return person.result

    return OAuthClientProvider(
        server_url=f"{url}/mcp",
        client_metadata=OAuthClientMetadata(
            client_name="Flow test client",
            redirect_uris=[CALLBACK],  # type: ignore[list-item]
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
            token_endpoint_auth_method="none",
        ),
        storage=storage,
        redirect_handler=redirect,
        callback_handler=callback,
    )


async def call(client: Client, tool: str, **arguments: Any) -> Any:
    result = await client.call_tool(tool, arguments)
    text = result.content[0].text  # type: ignore[union-attr]
    return text if result.is_error else json.loads(text)


def test_the_sdk_client_signs_in_through_the_idp_then_uses_every_tool(proxy: tuple[str, State]) -> None:
    url, state = proxy
    sam, storage = Person("sam@acme.example"), Memory()

    async def session() -> dict[str, Any]:
        out: dict[str, Any] = {}
        async with (
            httpx2.AsyncClient(auth=oauth(url, sam, storage), timeout=60) as http,
            Client(streamable_http_client(f"{url}/mcp", http_client=http)) as client,
        ):
            out["tools"] = sorted(t.name for t in (await client.list_tools()).tools)
            out["search"] = await call(client, "search_skills", query="blameless")
            out["all"] = await call(client, "search_skills", limit=50)
            out["hidden"] = await call(client, "get_skill", name="decision-record")
            out["get"] = await call(client, "get_skill", name="incident-postmortem")
            out["install"] = await call(
                client, "install_skill", name="incident-postmortem", surface="desktop"
            )
            out["updates"] = await call(
                client,
                "check_updates",
                installed={"incident-postmortem": "0.9.0", "decision-record": "1.0.0"},
            )
            out["propose"] = await call(
                client, "propose_change", plugin="operations", skill="incident-postmortem",
                files={"SKILL.md": "x"}, title="t", description="d",
            )  # fmt: skip
        return out

    out = asyncio.run(session())
    # the browser went: /authorize -> consent -> sign-in at the IdP -> back to consent -> the client
    assert "/login" in sam.seen[0] and "/oauth/consent" in sam.seen[1] and "Flow test client" in sam.seen[2]
    assert sam.seen[-1].startswith(CALLBACK) and "code=" in sam.seen[-1]
    assert storage.tokens is not None and storage.tokens.refresh_token and storage.tokens.scope
    assert set(storage.tokens.scope.split()) == {"skills:read", "skills:propose"}
    assert out["tools"] == ["check_updates", "get_skill", "install_skill", "propose_change", "search_skills"]
    assert [s["name"] for s in out["search"]["skills"]] == ["incident-postmortem"]
    names = {s["name"] for s in out["all"]["skills"]}
    assert "incident-postmortem" in names and "decision-record" not in names  # sre, not engineering
    assert out["hidden"].endswith("no skill named 'decision-record'; use search_skills to find one")
    assert out["get"]["name"] == "incident-postmortem" and "postmortem" in out["get"]["skill_md"].lower()
    zipped = httpx.get(out["install"]["url"])
    assert (
        zipped.status_code == 200 and hashlib.sha256(zipped.content).hexdigest() == out["install"]["sha256"]
    )
    assert "sha256sum -c" in out["install"]["command"]
    assert out["updates"]["updates"][0]["status"] == "update"
    assert out["updates"]["updates"][1] == {"name": "decision-record", "status": "unknown"}
    assert "proposing changes is not set up on this server" in out["propose"]  # no `propose:` here
    events = [e["event"] for e in state.audit_tail(100)]
    assert {"oauth.register", "oauth.consent", "oauth.token", "signin"} <= set(events)


def test_refresh_rotates_and_a_reused_refresh_token_ends_the_grant(proxy: tuple[str, State]) -> None:
    url, _ = proxy
    ann, storage = Person("ann@acme.example"), Memory()

    async def connect() -> list[str]:
        async with (
            httpx2.AsyncClient(auth=oauth(url, ann, storage), timeout=60) as http,
            Client(streamable_http_client(f"{url}/mcp", http_client=http)) as client,
        ):
            found = await call(client, "search_skills", limit=50)
        return sorted(s["name"] for s in found["skills"])

    assert "incident-postmortem" not in asyncio.run(connect())
    assert storage.tokens is not None and storage.client is not None
    first = storage.tokens
    form = {
        "grant_type": "refresh_token",
        "refresh_token": first.refresh_token,
        "client_id": storage.client.client_id,
    }
    rotated = httpx.post(f"{url}/token", data=form)
    assert rotated.status_code == 200, rotated.text
    second = rotated.json()
    assert second["refresh_token"] != first.refresh_token and second["access_token"] != first.access_token
    mcp = {
        "Authorization": f"Bearer {second['access_token']}",
        "Accept": "application/json, text/event-stream",
    }
    ping = {"jsonrpc": "2.0", "id": 1, "method": "ping", "params": {}}
    assert httpx.post(f"{url}/mcp", json=ping, headers=mcp).status_code == 200
    # the old refresh token again: someone else has it, so the whole grant ends
    assert httpx.post(f"{url}/token", data=form).json()["error"] == "invalid_grant"
    assert httpx.post(f"{url}/mcp", json=ping, headers=mcp).status_code == 401


def test_revoking_a_token_ends_the_grant(proxy: tuple[str, State]) -> None:
    url, state = proxy
    ann, storage = Person("ann@acme.example"), Memory()

    async def connect() -> None:
        async with (
            httpx2.AsyncClient(auth=oauth(url, ann, storage), timeout=60) as http,
            Client(streamable_http_client(f"{url}/mcp", http_client=http)) as client,
        ):
            await client.list_tools()

    asyncio.run(connect())
    assert storage.tokens is not None and storage.client is not None
    client_id, access = storage.client.client_id, storage.tokens.access_token
    headers = {"Authorization": f"Bearer {access}", "Accept": "application/json, text/event-stream"}
    ping = {"jsonrpc": "2.0", "id": 1, "method": "ping", "params": {}}
    assert httpx.post(f"{url}/mcp", json=ping, headers=headers).status_code == 200
    revoked = httpx.post(
        f"{url}/revoke", data={"token": storage.tokens.refresh_token, "client_id": client_id}
    )
    assert revoked.status_code == 200, revoked.text
    assert httpx.post(f"{url}/mcp", json=ping, headers=headers).status_code == 401
    assert state.audit_tail(5)[-1]["event"] in ("oauth.revoke", "auth.refused")


def test_denying_consent_sends_access_denied_and_no_code(proxy: tuple[str, State]) -> None:
    url, _ = proxy
    ann = Person("ann@acme.example", allow=False)

    async def connect() -> None:
        async with (
            httpx2.AsyncClient(auth=oauth(url, ann, Memory()), timeout=60) as http,
            Client(streamable_http_client(f"{url}/mcp", http_client=http)) as client,
        ):
            await client.list_tools()

    with pytest.raises(BaseException):  # noqa: B017 - the SDK reports the failed flow in its own way
        asyncio.run(connect())
    assert "error=access_denied" in ann.seen[-1] and "code=" not in ann.seen[-1]
