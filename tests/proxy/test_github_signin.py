"""Sign-in with GitHub through the real proxy on a socket, with FakeGitHub as github.com and its API:
an httpx client that keeps cookies and follows redirects plays the browser across both servers. An
active member of the organisation lands where they asked to go, their teams (of that organisation
only) mapped to policy groups; anyone else, an unverified email, a declined consent, a wrong client
secret or a forged, replayed or unrequested code gets the refusal page, an audit event, no session."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from fakes.github_api import OAUTH_CLIENT, TOKEN, FakeGitHub
from integration.registry import free_port
from proxy.live_server import running
from proxy.served import OPEN_SKILLS, publish_template, state_db

from skillport_build.proxy.app import create_app
from skillport_build.proxy.config import GitHubSettings, ServeConfig
from skillport_build.proxy.state import State
from skillport_build.trust.keys import load_public_keys

ORG = "acme"
START = "/login/github?next=/tokens"


@dataclass
class Site:
    url: str
    state: State
    github: FakeGitHub


@pytest.fixture(scope="module")
def site(state_backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("github-signin")
    store, public, _ = publish_template(tmp)
    port = free_port()
    with FakeGitHub() as github:
        github.callback_url = f"http://127.0.0.1:{port}/auth/github"
        github.add_person(
            "sam",
            "Sam@acme.example",
            orgs={ORG: "active", "other": "active"},
            teams=[(ORG, "sre"), ("other", "platform")],  # platform of another org is no group here
        )
        github.add_person("ann", "ann@acme.example", orgs={ORG: "active"})
        github.add_person("pat", "pat@acme.example", orgs={ORG: "pending"}, teams=[(ORG, "sre")])
        github.add_person("olga", "olga@acme.example", orgs={"other": "active"}, teams=[("other", "sre")])
        github.add_person("una", "una@acme.example", orgs={ORG: "active"}, verified=False)
        github.add_person("mallory", "mallory@elsewhere.example", orgs={ORG: "active"}, teams=[(ORG, "sre")])
        github.add_person("dan", "dan@acme.example", orgs={ORG: "active"}, denies=True)
        github.add_person(  # in more teams than GitHub lists on one page (30)
            "tess",
            "tess@acme.example",
            orgs={ORG: "active"},
            teams=[(ORG, f"guild-{n:02d}") for n in range(30)] + [(ORG, "sre")],
        )
        settings = ServeConfig(
            store=str(store.root),
            keys=(public,),
            db=state_db(tmp),
            port=port,
            cache_dir=tmp / "sites",
            github=GitHubSettings(
                client_id=OAUTH_CLIENT[0],
                client_secret=OAUTH_CLIENT[1],
                org=ORG,
                api_url=github.api_url,
                web_url=github.api_url,
            ),
            allowed_domains=("acme.example",),
            group_map={ORG: "staff", "sre": "sre", "platform": "platform"},
        )
        state = State(settings.db)
        app = create_app(settings, store, load_public_keys(settings.keys), state, refresh=False)
        with running(app, port) as url:
            yield Site(url, state, github)
        state.close()


@pytest.fixture
def browser(site: Site) -> Iterator[httpx.Client]:
    """A fresh browser: its own cookie jar, following redirects wherever they go."""
    with httpx.Client(base_url=site.url, follow_redirects=True, timeout=10) as client:
        yield client


def sign_in(site: Site, browser: httpx.Client, login: str) -> httpx.Response:
    """Sign in at GitHub as `login`, then click "Sign in with GitHub" on the proxy."""
    site.github.sign_in_as(login)
    return browser.get(START)


def listed(browser: httpx.Client) -> set[str]:
    """The skills the catalog website lists for the signed-in person."""
    page = browser.get("/index.html")
    assert page.status_code == 200, page.text
    return set(re.findall(r'href="skills/([a-z0-9-]+)\.html"', page.text))


def events(site: Site, event: str) -> list[dict[str, object]]:
    return [e for e in site.state.audit_tail(200) if e["event"] == event]


def assert_refused(site: Site, browser: httpx.Client, response: httpx.Response, reason: str) -> None:
    """The refusal page, a `signin.refused` event saying why, and no session afterwards."""
    assert response.status_code == 403, response.text
    assert urlparse(str(response.url)).path == "/auth/github"
    assert "Sign-in refused" in response.text
    last = site.state.audit_tail(1)[0]
    assert last["event"] == "signin.refused" and last["via"] == "github" and last["actor"] is None
    assert re.search(reason, str(last["reason"])), last["reason"]
    after = browser.get("/tokens", follow_redirects=False)
    assert after.status_code == 303 and after.headers["location"] == "/login?next=%2Ftokens"


def test_an_active_member_lands_on_the_page_asked_for_with_teams_as_groups(
    site: Site, browser: httpx.Client
) -> None:
    response = sign_in(site, browser, "sam")
    assert response.status_code == 200 and str(response.url) == f"{site.url}/tokens"
    hops = [str(r.url) for r in response.history]
    assert hops[0] == f"{site.url}{START}"
    assert hops[1].startswith(f"{site.github.api_url}/login/oauth/authorize?")  # really went to "GitHub"
    assert hops[2].startswith(f"{site.url}/auth/github?code=")
    asked = parse_qs(urlparse(hops[1]).query)
    assert asked["client_id"] == [OAUTH_CLIENT[0]] and asked["redirect_uri"] == [site.github.callback_url]
    assert asked["scope"] == ["read:user user:email read:org"] and asked["state"][0]
    assert "sam@acme.example" in response.text
    # The sre team of the organisation is a group; the platform team of another organisation is not.
    assert listed(browser) == OPEN_SKILLS | {"incident-postmortem"}
    signin = events(site, "signin")[-1]
    assert signin["actor"] == "sam@acme.example" and signin["via"] == "github"
    assert signin["groups"] == ["sre", "staff"]
    assert ("POST", "/login/oauth/access_token") in site.github.requests
    assert ("GET", f"/user/memberships/orgs/{ORG}") in site.github.requests


def test_a_member_without_teams_gets_the_organisation_group_and_the_open_skills(
    site: Site, browser: httpx.Client
) -> None:
    response = sign_in(site, browser, "ann")
    assert str(response.url) == f"{site.url}/tokens"
    assert listed(browser) == OPEN_SKILLS
    assert events(site, "signin")[-1]["groups"] == ["staff"]


@pytest.mark.parametrize(
    ("login", "reason"),
    [
        ("pat", "pat is not an active member of the acme organisation"),  # invitation still pending
        ("olga", "olga is not an active member of the acme organisation"),  # another org's member
        ("una", "no email address|has not verified"),  # primary email unverified
        ("mallory", "elsewhere.example accounts may not sign in"),
        ("dan", "access_denied"),  # clicked Cancel on GitHub's consent page
    ],
)
def test_people_who_may_not_sign_in_are_refused(
    site: Site, browser: httpx.Client, login: str, reason: str
) -> None:
    response = sign_in(site, browser, login)
    assert_refused(site, browser, response, reason)
    assert not any(str(e["actor"]).startswith(login) for e in events(site, "signin"))


def test_a_wrong_client_secret_is_refused(site: Site, browser: httpx.Client) -> None:
    site.github.oauth_client = (OAUTH_CLIENT[0], "rotated-at-github")
    try:
        response = sign_in(site, browser, "sam")
    finally:
        site.github.oauth_client = OAUTH_CLIENT
    assert_refused(site, browser, response, "incorrect_client_credentials")


def to_callback(site: Site, browser: httpx.Client, login: str) -> dict[str, str]:
    """Start a sign-in and come back from GitHub, but stop before the proxy's callback."""
    site.github.sign_in_as(login)
    to_github = browser.get(START, follow_redirects=False)
    assert to_github.status_code == 302
    back = browser.get(to_github.headers["location"], follow_redirects=False)
    assert back.status_code == 302
    return {k: v[0] for k, v in parse_qs(urlparse(back.headers["location"]).query).items()}


def test_forged_replayed_and_unrequested_codes_are_refused(site: Site) -> None:
    def fresh() -> httpx.Client:
        return httpx.Client(base_url=site.url, follow_redirects=True, timeout=10)

    with fresh() as browser:  # a code GitHub never issued
        answer = to_callback(site, browser, "sam")
        response = browser.get("/auth/github", params={"code": "0" * 20, "state": answer["state"]})
        assert_refused(site, browser, response, "bad_verification_code")

    with fresh() as first, fresh() as second:  # a code used once already
        answer = to_callback(site, first, "sam")
        assert first.get("/auth/github", params=answer).status_code == 200  # signed in
        again = to_callback(site, second, "sam")
        response = second.get("/auth/github", params={"code": answer["code"], "state": again["state"]})
        assert_refused(site, second, response, "bad_verification_code")

    with fresh() as victim, fresh() as attacker:  # login CSRF: someone else's code, no flow started
        answer = to_callback(site, attacker, "sam")
        response = victim.get("/auth/github", params=answer)
        assert_refused(site, victim, response, "mismatching_state")


def test_next_only_ever_leads_to_a_page_of_this_site(site: Site, browser: httpx.Client) -> None:
    site.github.sign_in_as("ann")
    response = browser.get("/login/github", params={"next": "//evil.example/steal"})
    assert str(response.url) == f"{site.url}/" and response.status_code == 200


def test_user_tokens_open_only_the_user_endpoints(site: Site, browser: httpx.Client) -> None:
    sign_in(site, browser, "ann")
    granted = [t for t, g in site.github.user_tokens.items() if g.login == "ann"]
    assert granted and granted[-1].startswith("gho_")
    with httpx.Client(base_url=site.github.api_url, timeout=10) as api:
        mine = {"Authorization": f"Bearer {granted[-1]}"}
        assert api.get("/user", headers=mine).json()["login"] == "ann"
        assert api.get(f"/repos/{site.github.full_name}", headers=mine).status_code == 401
        assert api.get("/user", headers={"Authorization": f"token {TOKEN}"}).status_code == 401
        assert api.get(
            f"/repos/{site.github.full_name}", headers={"Authorization": f"token {TOKEN}"}
        ).is_success


def test_a_team_beyond_the_first_page_of_teams_still_counts(site: Site, browser: httpx.Client) -> None:
    sign_in(site, browser, "tess")
    assert events(site, "signin")[-1]["groups"] == ["sre", "staff"]


@pytest.mark.parametrize("path", ["/user/emails", "/user/teams"])
def test_github_failing_mid_sign_in_gives_the_refusal_page(
    site: Site, browser: httpx.Client, path: str
) -> None:
    site.github.fail_on(path, status=403)  # e.g. "API rate limit exceeded"
    try:
        response = sign_in(site, browser, "sam")
    finally:
        site.github.path_failures.pop(path, None)
    assert_refused(site, browser, response, "")
