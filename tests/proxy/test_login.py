"""What a sign-in yields, against the real proxy on 127.0.0.1: a session that signing out ends (a
copied cookie included), personal tokens that expire within the admin's maximum, shown with their
expiry on the Tokens page, and whose groups follow the holder's latest sign-in."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from proxy.live_server import LiveProxy, live_proxy

from skillport_build.proxy.db import schema
from skillport_build.proxy.state import TOKEN_CACHE_SECONDS, State


@pytest.fixture(scope="module")
def live(state_backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveProxy]:
    with live_proxy(tmp_path_factory.mktemp("login"), token_days=30, token_max_days=60) as served:
        yield served


def csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html
    return found[1]


@contextmanager
def signed_in(live: LiveProxy, email: str, groups: str = "") -> Iterator[httpx.Client]:
    """A browser signed in through the dev form."""
    with httpx.Client(base_url=live.url) as browser:
        page = browser.get("/login").text
        answer = browser.post("/login/dev", data={"email": email, "groups": groups, "csrf": csrf(page)})
        assert answer.status_code == 303, answer.text
        yield browser


def test_signing_out_ends_a_copied_session_cookie(live: LiveProxy) -> None:
    with (
        signed_in(live, "ann@acme.example") as browser,
        httpx.Client(base_url=live.url, cookies=dict(browser.cookies)) as copy,
    ):
        assert copy.get("/tokens").status_code == 200
        out = browser.post("/logout", data={"csrf": csrf(browser.get("/logout").text)})
        assert out.status_code == 303
        assert copy.get("/tokens").status_code == 303  # off to /login: the copy signs nobody in
        assert copy.get("/api/me").status_code == 401


def test_a_cookie_whose_session_the_server_does_not_know_signs_nobody_in(live: LiveProxy) -> None:
    with signed_in(live, "ann@acme.example") as browser:
        assert browser.get("/api/me").json()["email"] == "ann@acme.example"
        with live.state.transaction() as db:
            db.execute(schema.sessions.delete())  # as if the cookie predated server-side ids
        time.sleep(TOKEN_CACHE_SECONDS)  # a live session is remembered that long, as on another replica
        assert browser.get("/api/me").status_code == 401


def test_the_tokens_page_offers_and_shows_an_expiry_within_the_maximum(live: LiveProxy) -> None:
    with signed_in(live, "ann@acme.example") as browser:
        made, too_long = make_tokens(browser)
    assert made.status_code == 200
    token = re.search(r'<code class="secret">(sp_[^<]+)</code>', made.text)
    assert token is not None
    info = live.state.check_token(token[1])
    assert info is not None and info.expires in made.text
    assert too_long.status_code == 400 and "a token may live 1 to 60 days" in too_long.text
    assert "Traceback" not in too_long.text


def make_tokens(browser: httpx.Client) -> tuple[httpx.Response, httpx.Response]:
    """Ask for a 7-day token and a 61-day one."""
    page = browser.get("/tokens").text
    assert 'name="days" min="1" max="60" value="30"' in page
    made = browser.post("/tokens", data={"csrf": csrf(page), "name": "ci", "days": "7"})
    too_long = browser.post(
        "/tokens", data={"csrf": csrf(page), "name": "x", "days": "61"}, headers={"Accept": "text/html"}
    )
    return made, too_long


def test_an_expired_token_is_refused(live: LiveProxy) -> None:
    secret, info = live.state.create_token("ann@acme.example", (), "short")
    auth = {"Authorization": f"Bearer {secret}"}
    assert httpx.get(f"{live.url}/api/me", headers=auth).status_code == 200
    with live.state.transaction() as db:
        db.execute(
            schema.tokens.update().where(schema.tokens.c.id == info.id).values(expires="2020-01-01T00:00:00Z")
        )
    live.state._token_cache.clear()  # what TOKEN_CACHE_SECONDS would do
    refused = httpx.get(f"{live.url}/api/me", headers=auth)
    assert refused.status_code == 401


def test_a_token_loses_a_group_its_holder_lost_at_a_later_sign_in(live: LiveProxy) -> None:
    with signed_in(live, "sam@acme.example", "sre"):
        pass
    secret, _ = live.state.create_token("sam@acme.example", ("sre",), "laptop")
    auth = {"Authorization": f"Bearer {secret}"}
    assert httpx.get(f"{live.url}/api/skills/incident-postmortem", headers=auth).status_code == 200
    later = State(live.state.path)  # another second: sign-ins are compared by the second
    later.clock = lambda: live.state.clock() + 2
    later.record_sign_in("sam@acme.example", [])  # the IdP no longer puts Sam in sre
    later.close()
    live.state._token_cache.clear()
    assert httpx.get(f"{live.url}/api/skills/incident-postmortem", headers=auth).status_code == 404
    assert httpx.get(f"{live.url}/api/me", headers=auth).json()["groups"] == []
