"""Every page of the served website in Debian's Chromium at a phone's and a desktop's width: it fits
(no sideways scrolling), logs no console error, has no serious or critical axe-core violation; and
search as you type, the URL's filter state, the back button and the no-JavaScript path work."""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from integration.browser import chromium
from integration.pagecheck import WIDTHS, Watched, checked_context
from proxy.live_server import LiveProxy, live_proxy

pytestmark = pytest.mark.integration
SCREENSHOTS = Path(
    os.environ.get("SKILLPORT_SCREENSHOTS") or Path(tempfile.gettempdir(), "skillport-screenshots")
)
CALLBACK = "http://127.0.0.1:9/callback"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveProxy]:
    with live_proxy(tmp_path_factory.mktemp("pages-browser")) as served:
        yield served


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as running:
        yield running


def sign_in(page: Any, url: str, email: str, groups: str = "") -> None:
    """Sign in with the dev form, as a person would."""
    page.goto(f"{url}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=groups]", groups)
    page.click("button:text('Sign in')")
    page.wait_for_url(f"{url}/")


def consent_url(live: LiveProxy) -> str:
    """Where an MCP client's authorization request sends the person: the consent page."""
    client = httpx.post(
        f"{live.url}/register",
        json={"redirect_uris": [CALLBACK], "token_endpoint_auth_method": "none", "client_name": "Page test"},
    ).json()
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(secrets.token_bytes(32)).digest()).decode().rstrip("=")
    )
    query = {"response_type": "code", "client_id": client["client_id"], "redirect_uri": CALLBACK,
             "code_challenge": challenge, "code_challenge_method": "S256", "state": "st",
             "resource": f"{live.url}/mcp"}  # fmt: skip
    start = httpx.get(f"{live.url}/authorize", params=query)
    assert start.status_code == 302, start.text
    return str(httpx.URL(live.url).join(start.headers["location"]))


PERSON_PAGES = [
    ("index", "/"),
    ("search", "/?q=delimiter"),
    ("filtered", "/?surface=claude-code"),
    ("empty search", "/?q=zzzznothing"),
    ("skill", "/skills/csv-profiler.html"),
    ("claude code skill", "/skills/pr-review.html"),
    ("plugin", "/plugins/engineering.html"),
    ("chat-only plugin", "/plugins/data-tools.html"),
    ("tokens", "/tokens"),
    ("connected apps", "/oauth/apps"),
    ("sign out", "/logout"),
    ("not found", "/skills/no-such-skill.html"),
    ("refused", "/admin"),
    ("cli sign-in", "/cli/login?" + urlencode({"port": "45678", "state": "s" * 20, "challenge": "c" * 43})),
]


@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_fits_logs_nothing_and_passes_axe(browser: Any, live: LiveProxy, width: int) -> None:
    with checked_context(browser, width) as context:
        watched = Watched(context.new_page())
        page = watched.page
        page.goto(f"{live.url}/login")
        watched.check("sign-in")
        sign_in(page, live.url, "ann@acme.example")
        for what, path in PERSON_PAGES:
            page.goto(live.url + path)
            watched.check(f"{what} at {width} px")
        page.goto(f"{live.url}/tokens")
        page.fill("input[name=name]", "a rather long token name for a phone")
        page.click("button:text('Create a token')")
        assert page.is_visible("text=Your new token")
        watched.check(f"new token at {width} px")
        page.goto(consent_url(live))
        assert page.is_visible("text=Connect an MCP client")
        watched.check(f"consent at {width} px")
        page.goto(f"{live.url}/logout")
        page.click("button:text('Sign out')")
        page.wait_for_url("**/login?signed_out=1")
        assert page.is_visible("text=You are signed out.")
        watched.check(f"signed out at {width} px")
        sign_in(page, live.url, "ada@acme.example", "platform")
        for path in ("/admin", "/", "/skills/csv-profiler.html"):
            page.goto(live.url + path)
            assert page.is_visible("nav.nav >> text=Admin"), path
            watched.check(f"admin's {path} at {width} px")
        if width == 390:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.goto(f"{live.url}/?q=incident")
            page.screenshot(path=str(SCREENSHOTS / "catalog-phone.png"))


def test_the_header_names_what_each_person_may_use(browser: Any, live: LiveProxy) -> None:
    page = browser.new_page()
    sign_in(page, live.url, "ann@acme.example")
    for path in ("/", "/skills/csv-profiler.html", "/plugins/writing.html", "/tokens"):
        page.goto(live.url + path)
        nav = page.inner_text("nav.nav")
        assert "Tokens" in nav and "Connected apps" in nav and "Sign out" in nav
        assert "Admin" not in nav, path
        assert "Catalog" not in page.inner_text("footer"), path  # the catalog's version is for admins
    page.close()


def test_search_as_you_type_keeps_its_state_in_the_url(browser: Any, live: LiveProxy) -> None:
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    sign_in(page, live.url, "sam@acme.example", "sre")
    page.goto(f"{live.url}/")
    page.fill("#q", "delimiter")  # only in csv-profiler's SKILL.md
    page.wait_for_function("() => document.querySelectorAll('#skills > li').length === 1")
    assert page.inner_text("#count") == "1 skill for “delimiter”"
    assert page.inner_text("#skills mark").lower().startswith("delimiter")
    assert "In SKILL.md" in page.inner_text("#skills .why")
    assert page.url.endswith("/?q=delimiter")
    assert page.eval_on_selector_all("#plugins li", "els => els.map(e => e.dataset.plugin)") == ["data-tools"]
    page.fill("#q", "")
    page.select_option("#surface", "claude-code")
    page.wait_for_url("**/?surface=claude-code")
    page.wait_for_function("() => !document.querySelector('[data-name=\"csv-profiler\"]')")
    cards = page.eval_on_selector_all("#skills > li", "els => els.map(e => e.dataset.name)")
    assert "pr-review" in cards and "csv-profiler" not in cards
    page.select_option("#category", "data")
    page.wait_for_selector(".empty")
    assert page.is_visible("text=Reset search and filters")
    page.go_back()  # the filter before
    page.wait_for_function("() => document.getElementById('category').value === ''")
    page.wait_for_selector('[data-name="pr-review"]')
    assert page.url.endswith("/?surface=claude-code")
    shared = browser.new_page()  # the URL alone reproduces the search
    sign_in(shared, live.url, "sam@acme.example", "sre")
    shared.goto(f"{live.url}/?surface=claude-code&category=data")
    assert shared.is_visible(".empty") and shared.input_value("#category") == "data"
    shared.close()
    page.close()


def test_search_works_without_javascript_and_pages(browser: Any, live: LiveProxy) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, live.url, "ann@acme.example")
    page.fill("#q", "delimiter")
    page.click("button:text('Search')")
    page.wait_for_url("**/index.html?q=delimiter**")
    assert page.eval_on_selector_all("#skills > li", "els => els.map(e => e.dataset.name)") == [
        "csv-profiler"
    ]
    page.goto(f"{live.url}/?q=incident")  # a skill this person may not read is never a hit
    assert "incident-postmortem" not in page.content()
    context.close()
