"""The authorization server's answers to hostile or careless clients, over real HTTP against the
template served on 127.0.0.1 (dev sign-in): codes exchanged once even when two requests race, PKCE
that never accepts the challenge as its own verifier (here and in the CLI's sign-in), scopes no wider
than registered, redirect URIs and PKCE challenges that RFC 6749/7636 refuse, registration caps and
rates, refused tokens audited in aggregate, a consent page that says where the browser really goes,
and connected clients that take the groups of the person's latest sign-in."""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import sqlalchemy as sa
from proxy.live_server import LiveProxy, live_proxy

from skillport_build.proxy.connector import registration
from skillport_build.proxy.db import schema
from skillport_build.proxy.guard import AuditThrottle

CALLBACK = "http://127.0.0.1:9/callback"
MCP_HEADERS = {"Accept": "application/json, text/event-stream"}


@pytest.fixture(scope="module")
def live(state_backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveProxy]:
    with live_proxy(tmp_path_factory.mktemp("oauth-security")) as served:
        yield served


def pkce() -> tuple[str, str]:
    """A verifier and its S256 challenge."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).decode().rstrip("=")


def register(live: LiveProxy, **metadata: Any) -> httpx.Response:
    body = {"redirect_uris": [CALLBACK], "token_endpoint_auth_method": "none", "client_name": "t"}
    return httpx.post(f"{live.url}/register", json=body | metadata)


@contextmanager
def signed_in(live: LiveProxy, email: str, groups: str = "") -> Iterator[httpx.Client]:
    """A browser signed in with the dev form."""
    with httpx.Client(base_url=live.url) as browser:
        sign_in(browser, email, groups)
        yield browser


def sign_in(browser: httpx.Client, email: str, groups: str = "") -> None:
    """Sign in (again) with the dev form."""
    csrf = browser.get("/login").text.split('name="csrf" value="')[1].split('"')[0]
    answer = browser.post("/login/dev", data={"email": email, "groups": groups, "csrf": csrf})
    assert answer.status_code == 303


def authorize(live: LiveProxy, client_id: str, challenge: str, **extra: str) -> httpx.Response:
    query = {"response_type": "code", "client_id": client_id, "redirect_uri": CALLBACK,
             "code_challenge": challenge, "code_challenge_method": "S256", "state": "st",
             "resource": f"{live.url}/mcp"}  # fmt: skip
    return httpx.get(f"{live.url}/authorize", params=query | extra)


def code_for(live: LiveProxy, browser: httpx.Client, client_id: str, challenge: str, **extra: str) -> str:
    """The code the person's Allow sends back to the client."""
    start = authorize(live, client_id, challenge, **extra)
    assert start.status_code == 302, start.text
    request_id = parse_qs(urlsplit(start.headers["location"]).query)["request"][0]
    page = browser.get(start.headers["location"])
    csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
    back = browser.post("/oauth/consent", data={"csrf": csrf, "request": request_id, "decision": "allow"})
    return parse_qs(urlsplit(back.headers["location"]).query)["code"][0]


def exchange(live: LiveProxy, client_id: str, code: str, verifier: str) -> httpx.Response:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK,
            "client_id": client_id, "code_verifier": verifier, "resource": f"{live.url}/mcp"}  # fmt: skip
    return httpx.post(f"{live.url}/token", data=form)


def connected(live: LiveProxy, browser: httpx.Client) -> dict[str, Any]:
    """A newly registered client's tokens, from the person signed in on `browser`."""
    client_id = register(live).json()["client_id"]
    verifier, challenge = pkce()
    tokens = exchange(live, client_id, code_for(live, browser, client_id, challenge), verifier)
    assert tokens.status_code == 200, tokens.text
    return dict(tokens.json()) | {"client_id": client_id}


def visible(live: LiveProxy, access: str) -> set[str]:
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": "search_skills", "arguments": {"limit": 50}}}  # fmt: skip
    answer = httpx.post(
        f"{live.url}/mcp", json=body, headers=MCP_HEADERS | {"Authorization": f"Bearer {access}"}
    )
    assert answer.status_code == 200, answer.text
    text = answer.json()["result"]["content"][0]["text"]
    return {
        name for name in ("incident-postmortem", "decision-record", "release-notes") if f'"{name}"' in text
    }


def test_a_code_raced_by_two_requests_is_exchanged_once(live: LiveProxy) -> None:
    client_id = register(live).json()["client_id"]
    with signed_in(live, "ann@acme.example") as browser:
        codes = [(verifier, code_for(live, browser, client_id, challenge)) for verifier, challenge in
                 (pkce() for _ in range(5))]  # fmt: skip
    for verifier, code in codes:
        start, answers = threading.Barrier(2), list[int]()

        def redeem(
            code: str = code,
            verifier: str = verifier,
            start: threading.Barrier = start,
            answers: list[int] = answers,
        ) -> None:
            start.wait()
            answers.append(exchange(live, client_id, code, verifier).status_code)

        threads = [threading.Thread(target=redeem) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(answers) == [200, 400]


def test_the_token_endpoint_refuses_the_challenge_as_its_own_verifier(live: LiveProxy) -> None:
    client_id = register(live).json()["client_id"]
    _, challenge = pkce()
    with signed_in(live, "ann@acme.example") as browser:
        code = code_for(live, browser, client_id, challenge)
    assert exchange(live, client_id, code, challenge).json()["error"] == "invalid_grant"  # `plain`


def test_the_cli_sign_in_refuses_the_challenge_as_its_own_verifier(live: LiveProxy) -> None:
    verifier, challenge = pkce()
    code = live.state.put_code("ann@acme.example", (), challenge, 60)
    plain = httpx.post(f"{live.url}/api/cli/token", json={"code": code, "verifier": challenge})
    assert plain.status_code == 400 and "invalid, used or expired" in plain.text
    code = live.state.put_code("ann@acme.example", (), challenge, 60)
    good = httpx.post(f"{live.url}/api/cli/token", json={"code": code, "verifier": verifier})
    assert good.status_code == 200 and good.json()["user"] == "ann@acme.example"


def test_a_request_without_scope_gets_the_registered_scopes_only(live: LiveProxy) -> None:
    client_id = register(live, scope="skills:read").json()["client_id"]
    verifier, challenge = pkce()
    with signed_in(live, "ann@acme.example") as browser:
        code = code_for(live, browser, client_id, challenge)
    assert exchange(live, client_id, code, verifier).json()["scope"] == "skills:read"


@pytest.mark.parametrize(
    "uri",
    [
        "https://claude.ai/cb#frag",
        "intent://cb#Intent;scheme=evil;end",
        "view-source:https://claude.ai/cb",
        "chrome://settings",
        "mailto:someone@evil.example",
        "https:///cb",
        "https://claude.ai%2Fapi%2Fmcp@evil.example/cb",
        "https://user@claude.ai/cb",
    ],
)
def test_registration_refuses_redirects_rfc_6749_and_browsers_make_dangerous(
    live: LiveProxy, uri: str
) -> None:
    refused = register(live, redirect_uris=[uri])
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_redirect_uri", refused.text


def test_registration_caps_each_field(live: LiveProxy) -> None:
    huge = register(live, client_name="x" * 200_000)
    assert huge.status_code == 400 and "larger than 8192 bytes" in huge.json()["error_description"]
    long = register(live, client_name="x" * 201)
    assert long.status_code == 400 and "client_name is 201 characters; at most 200" in long.text
    many = register(live, redirect_uris=[f"{CALLBACK}/{n}" for n in range(11)])
    assert many.status_code == 400 and "at most 10" in many.text
    assert register(live, client_name="x" * 200).status_code == 201


@pytest.mark.parametrize("length", [0, 1, 3, 42, 129])
def test_authorize_refuses_a_pkce_challenge_of_the_wrong_length(live: LiveProxy, length: int) -> None:
    client_id = register(live).json()["client_id"]
    answer = authorize(live, client_id, "a" * length)
    assert "/oauth/consent" not in answer.headers.get("location", "")
    assert answer.status_code == 400 or "error=invalid_request" in answer.headers["location"]


def test_the_consent_page_names_the_real_destination_and_marks_claimed_names(live: LiveProxy) -> None:
    client_id = register(
        live, client_name="Claude", client_uri="https://claude.ai", redirect_uris=["https://evil.example/cb"]
    ).json()["client_id"]
    _, challenge = pkce()
    start = httpx.get(f"{live.url}/authorize", params={"response_type": "code", "client_id": client_id,
        "redirect_uri": "https://evil.example/cb", "code_challenge": challenge, "state": "s"})  # fmt: skip
    with signed_in(live, "ann@acme.example") as browser:
        page = browser.get(start.headers["location"]).text
    assert 'your browser goes to <strong class="redirect-host">evil.example</strong>' in page
    assert "It calls itself “Claude” with the site <code>https://claude.ai</code>" in page
    assert "nobody checked them" in page


def test_a_connected_client_acts_with_the_groups_of_the_latest_sign_in(live: LiveProxy) -> None:
    with signed_in(live, "sam@acme.example", "sre") as browser:
        tokens = connected(live, browser)
        assert "incident-postmortem" in visible(live, tokens["access_token"])
        sign_in(browser, "sam@acme.example", "")  # sam left the sre group
    assert "incident-postmortem" not in visible(live, tokens["access_token"])
    rotated = httpx.post(f"{live.url}/token", data={"grant_type": "refresh_token", "client_id": tokens["client_id"],
                         "refresh_token": tokens["refresh_token"]}).json()  # fmt: skip
    assert "incident-postmortem" not in visible(live, rotated["access_token"])


def test_a_grant_never_outlives_its_absolute_lifetime(tmp_path_factory: pytest.TempPathFactory) -> None:
    with (
        live_proxy(tmp_path_factory.mktemp("short"), mcp_grant_ttl=300, mcp_access_ttl=3600) as short,
        signed_in(short, "ann@acme.example") as browser,
    ):
        tokens = connected(short, browser)
    assert 290 <= tokens["expires_in"] <= 300  # the access token ends with its grant


def test_refused_tokens_are_audited_in_aggregate_and_rate_limited(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    with live_proxy(tmp_path_factory.mktemp("flood"), rate_limit=0.5, rate_burst=40) as flood:
        before = len(flood.state.audit_tail(1000))
        mcp = [httpx.post(f"{flood.url}/mcp", json={}, headers=MCP_HEADERS | {"Authorization": f"Bearer spa_{n}"})
               for n in range(30)]  # fmt: skip
        api = [
            httpx.get(f"{flood.url}/api/skills", headers={"Authorization": f"Bearer sp_x_{n}"})
            for n in range(30)
        ]
        # The server writes audit rows in batches (audit_flush_ms): give its last batch time to land.
        deadline = time.monotonic() + 2
        while True:
            rows = flood.state.audit_tail(1000)[before:]
            if len([r for r in rows if r["event"] == "auth.refused"]) >= 20 or time.monotonic() > deadline:
                break
            time.sleep(0.05)
    assert {r.status_code for r in mcp} == {401} and {r.status_code for r in api} == {401, 429}
    refused = [r for r in rows if r["event"] == "auth.refused"]
    assert len([r for r in refused if r["path"] == "/mcp"]) == 10
    assert len([r for r in refused if r["path"] == "/api/skills"]) == 10


def test_an_audit_flood_says_how_many_rows_it_held_back() -> None:
    now = [0.0]
    throttle = AuditThrottle(burst=2, window=60, now=lambda: now[0])
    assert [throttle.take("k") for _ in range(5)] == [0, 0, None, None, None]
    assert throttle.take("other") == 0
    now[0] = 61
    assert throttle.take("k") == 3 and throttle.take("k") == 0


def test_registration_is_rate_limited_per_address_and_bounded(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(registration, "BURST", 4)
    monkeypatch.setattr(registration, "MAX_CLIENTS", 2)
    with live_proxy(tmp_path_factory.mktemp("registrations")) as small:
        answers = [register(small).status_code for _ in range(5)]
        rows = small.state.rows(sa.select(sa.func.count()).select_from(schema.oauth_clients))
    assert answers == [201, 201, 503, 503, 429] and rows == [(2,)]
