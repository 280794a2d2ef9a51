"""Sign-in through a real OpenID provider (oidc-provider on 127.0.0.1) in Debian's Chromium: the
person lands on the catalog of their audience; groups come from the ID token's claim, mapped to the
policy's groups; a domain that is not allowed, or a person the provider refuses, gets no session."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from integration.browser import chromium
from integration.oidc import sign_in
from proxy.live_server import oidc_proxy

from skillport_build.proxy.state import State

pytestmark = pytest.mark.integration

USERS = {
    "sam@acme.example": {"name": "Sam", "groups": ["idp-sre"]},
    "ann@acme.example": {"name": "Ann", "groups": []},
    "mallory@elsewhere.example": {"name": "Mallory", "groups": ["idp-sre"]},
}


@pytest.fixture(scope="module")
def proxy_url(state_backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, State]]:
    with oidc_proxy(tmp_path_factory.mktemp("oidc"), USERS) as served:
        yield served


def browse_as(url: str, email: str) -> tuple[str, list[str], Any]:
    """Sign in through the provider in a fresh browser; the final URL, the skills listed, the page text."""
    with chromium() as browser:
        page = browser.new_page()
        page.goto(f"{url}/skills/release-notes.html")
        assert "/login" in page.url
        with page.expect_navigation():
            page.click("text=Sign in with Acme SSO")
        sign_in(page, email)
        page.wait_for_load_state()
        final = page.url
        text = page.content()
        listed: list[str] = []
        if final.startswith(url) and "/skills/" in final:
            page.goto(f"{url}/index.html")
            hrefs = page.locator("a[href^='skills/']").evaluate_all(
                "els => els.map(e => e.getAttribute('href'))"
            )
            listed = [href.split("/")[-1].removesuffix(".html") for href in hrefs]
        browser.close()
        return final, sorted(set(listed)), text


def test_sign_in_with_group_claims_mapped_to_policy_groups(proxy_url: tuple[str, State]) -> None:
    url, state = proxy_url
    final, listed, _ = browse_as(url, "sam@acme.example")
    assert final == f"{url}/skills/release-notes.html"  # back where they started
    assert "incident-postmortem" in listed and "decision-record" not in listed
    events = [e for e in state.audit_tail(50) if e["event"] == "signin"]
    assert events[-1]["actor"] == "sam@acme.example" and events[-1]["groups"] == ["sre"]


def test_sign_in_without_groups_sees_only_open_skills(proxy_url: tuple[str, State]) -> None:
    url, _ = proxy_url
    _, listed, _ = browse_as(url, "ann@acme.example")
    assert listed == ["csv-profiler", "pr-review", "release-notes", "skillport"]


def test_a_domain_that_is_not_allowed_gets_no_session(proxy_url: tuple[str, State]) -> None:
    url, state = proxy_url
    final, listed, text = browse_as(url, "mallory@elsewhere.example")
    assert final.startswith(f"{url}/auth/oidc") and listed == []
    assert "Sign-in refused" in text and "elsewhere.example accounts may not sign in" in text
    assert state.audit_tail(1)[0]["event"] == "signin.refused"


def test_a_person_the_provider_refuses_gets_no_session(proxy_url: tuple[str, State]) -> None:
    url, _ = proxy_url
    _, listed, text = browse_as(url, "nobody@acme.example")
    assert listed == [] and "Sign-in refused" in text
