"""The authorization server's own checks (unit, over a real SQLite file), whatever the SDK's routes
check before calling it: a code or a refresh token works only for the client it was issued to, and
tokens are issued for this proxy's /mcp only, not for a URL that merely starts like it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from mcp.server.auth.provider import AuthorizationParams, AuthorizeError, TokenError
from mcp.shared.auth import OAuthClientInformationFull
from proxy.served import state_db
from pydantic import AnyUrl

from skillport_build.proxy.connector.documents import ClientDocuments
from skillport_build.proxy.connector.grants import Grants
from skillport_build.proxy.connector.provider import AuthProvider, allowed_redirect
from skillport_build.proxy.state import State

BASE = "https://skills.acme.example"
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
REDIRECT = "http://127.0.0.1:33418/callback"


@pytest.fixture
def provider(tmp_path: Path) -> Iterator[AuthProvider]:
    state = State(state_db(tmp_path))
    grants = Grants(state, grant_ttl=30 * 86400, signin_ttl=7 * 86400)
    documents = ClientDocuments(allow_loopback=True, redirect_ok=allowed_redirect)
    yield AuthProvider(BASE, grants, state, documents, access_ttl=3600, refresh_ttl=7 * 86400)
    state.close()


def client(client_id: str) -> OAuthClientInformationFull:
    return OAuthClientInformationFull(client_id=client_id, redirect_uris=[AnyUrl(REDIRECT)])


def code_for(provider: AuthProvider, client_id: str) -> str:
    """A code the person consented to for `client_id`."""
    params = {
        "scopes": ["skills:read"],
        "code_challenge": CHALLENGE,
        "redirect_uri": REDIRECT,
        "redirect_uri_provided_explicitly": True,
        "resource": provider.resource,
    }
    return provider.grants.put_code(client_id, "sam@acme.example", ("sre",), params, 300)


def test_a_code_is_exchanged_only_by_the_client_it_was_issued_to(provider: AuthProvider) -> None:
    code = code_for(provider, "a")
    loaded = asyncio.run(provider.load_authorization_code(client("a"), code))
    assert loaded is not None
    assert asyncio.run(provider.load_authorization_code(client("b"), code)) is None
    with pytest.raises(TokenError) as refused:
        asyncio.run(provider.exchange_authorization_code(client("b"), loaded))
    assert refused.value.error == "invalid_grant"


def test_a_refresh_token_is_used_only_by_the_client_it_was_issued_to(provider: AuthProvider) -> None:
    code = code_for(provider, "a")
    loaded = asyncio.run(provider.load_authorization_code(client("a"), code))
    assert loaded is not None
    answer = asyncio.run(provider.exchange_authorization_code(client("a"), loaded))
    assert answer.refresh_token is not None
    assert asyncio.run(provider.load_refresh_token(client("b"), answer.refresh_token)) is None
    assert asyncio.run(provider.load_refresh_token(client("a"), answer.refresh_token)) is not None


@pytest.mark.parametrize("resource", [f"{BASE}/mcpx", f"{BASE}/mcp/other", f"{BASE}/mcp.evil.example"])
def test_tokens_are_issued_for_this_proxys_mcp_only(provider: AuthProvider, resource: str) -> None:
    params = AuthorizationParams(
        state=None,
        scopes=["skills:read"],
        code_challenge=CHALLENGE,
        redirect_uri=AnyUrl(REDIRECT),
        redirect_uri_provided_explicitly=True,
        resource=resource,
    )
    with pytest.raises(AuthorizeError) as refused:
        asyncio.run(provider.authorize(client("a"), params))
    assert refused.value.error == "invalid_target"
