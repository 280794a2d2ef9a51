"""The test OpenID Connect provider: discovery, a browser sign-in with code + PKCE, an unknown user refused."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from integration.browser import chromium, static_server
from integration.oidc import running_oidc_provider, sign_in

pytestmark = pytest.mark.integration

CLIENT_ID, CLIENT_SECRET = "skillport-proxy", "s3cret-oidc-client"
USERS = {
    "alice@example.com": {"name": "Alice", "groups": ["engineering"]},
    "bob@example.com": {"name": "Bob", "groups": ["sales", "emea"]},
}


@pytest.fixture(scope="module")
def callback(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The client's redirect_uri: a page on a local server, so the browser lands somewhere real."""
    root = tmp_path_factory.mktemp("callback")
    (root / "callback.html").write_text("<!DOCTYPE html><title>signed in</title>\n")
    with static_server(root) as url:
        yield f"{url}/callback.html"


@pytest.fixture(scope="module")
def issuer(tmp_path_factory: pytest.TempPathFactory, callback: str) -> Iterator[str]:
    client = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uris": [callback]}
    with running_oidc_provider(tmp_path_factory.mktemp("oidc"), [client], USERS) as url:
        yield url


@pytest.fixture(scope="module")
def discovery(issuer: str) -> dict[str, Any]:
    response = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=10)
    response.raise_for_status()
    return dict(response.json())


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as running:
        yield running


def authorize(page: Any, discovery: dict[str, Any], callback: str, challenge: str) -> None:
    """Open the authorization endpoint for a code flow with an S256 challenge."""
    query = {
        "client_id": CLIENT_ID,
        "response_type": "code",
        "scope": "openid email profile groups",
        "redirect_uri": callback,
        "state": "state-123",
        "nonce": "nonce-456",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    page.goto(f"{discovery['authorization_endpoint']}?{urlencode(query)}")


def pkce_pair() -> tuple[str, str]:
    """A code verifier and its S256 challenge."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def redirect_params(page: Any, callback: str) -> dict[str, str]:
    """The query the provider redirected the browser back with."""
    assert page.url.startswith(f"{callback}?"), page.url
    return {key: values[0] for key, values in parse_qs(urlsplit(page.url).query).items()}


def redeem(discovery: dict[str, Any], code: str, callback: str, verifier: str) -> requests.Response:
    """Exchange an authorization code at the token endpoint, the client authenticating with HTTP Basic."""
    return requests.post(
        discovery["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": callback,
            "code_verifier": verifier,
        },
        auth=(CLIENT_ID, CLIENT_SECRET),
        timeout=10,
    )


def jwt_payload(token: str) -> dict[str, Any]:
    """The claims of a JWT, unverified."""
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def test_discovery_document(issuer: str, discovery: dict[str, Any]) -> None:
    assert discovery["issuer"] == issuer
    assert issuer.startswith("http://127.0.0.1:")
    for endpoint in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        assert discovery[endpoint].startswith(f"{issuer}/")
    assert {"email", "name", "groups"} <= set(discovery["claims_supported"])
    assert "groups" in discovery["scopes_supported"]
    assert "S256" in discovery["code_challenge_methods_supported"]


def test_code_flow_with_pkce_in_chromium(browser: Any, discovery: dict[str, Any], callback: str) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        verifier, challenge = pkce_pair()
        authorize(page, discovery, callback, challenge)
        sign_in(page, "alice@example.com")
        params = redirect_params(page, callback)
        assert params["state"] == "state-123"
        assert params["iss"] == discovery["issuer"]

        response = redeem(discovery, params["code"], callback, verifier)
        assert response.status_code == 200, response.text
        claims = jwt_payload(response.json()["id_token"])
        assert claims["iss"] == discovery["issuer"]
        assert claims["aud"] == CLIENT_ID
        assert claims["nonce"] == "nonce-456"
        assert claims["sub"] == claims["email"] == "alice@example.com"
        assert claims["email_verified"] is True
        assert claims["name"] == "Alice"
        assert claims["groups"] == ["engineering"]

        # Signed in already: the next authorization returns a code at once, bound to its own challenge.
        verifier, challenge = pkce_pair()
        authorize(page, discovery, callback, challenge)
        code = redirect_params(page, callback)["code"]
        wrong = redeem(discovery, code, callback, pkce_pair()[0])
        assert wrong.status_code == 400
        assert wrong.json()["error"] == "invalid_grant"
    finally:
        context.close()


def test_unknown_user_is_refused(browser: Any, discovery: dict[str, Any], callback: str) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        authorize(page, discovery, callback, pkce_pair()[1])
        sign_in(page, "mallory@example.com")
        params = redirect_params(page, callback)
        assert "code" not in params
        assert params["error"] == "access_denied"
        assert params["state"] == "state-123"
    finally:
        context.close()
