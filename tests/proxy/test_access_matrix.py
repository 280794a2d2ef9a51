"""Every person, every skill, every route: a skill is served exactly to those who may read it,
and nothing about a hidden skill leaks through any list, search, page, index or download."""

from __future__ import annotations

import re

import pytest
from proxy.served import ALL_SKILLS, PEOPLE, SEES, Served

PLUGINS_SEEN = {
    "anyone": {"data-tools", "engineering", "skillport"},
    "sre": {"data-tools", "engineering", "operations", "skillport"},
    "engineer": {"data-tools", "engineering", "skillport", "writing"},
    "admin": {"data-tools", "engineering", "operations", "skillport", "writing"},
}
WHO = sorted(PEOPLE)


def sign_in(served: Served, who: str) -> None:
    """Use the dev sign-in form as a browser would."""
    page = served.client.get("/login").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert csrf
    email, groups = PEOPLE[who]
    response = served.client.post(
        "/login/dev", data={"email": email, "groups": ",".join(groups), "csrf": csrf[1], "next": "/"}
    )
    assert response.status_code == 200, response.text


def hidden(who: str) -> set[str]:
    return ALL_SKILLS - SEES[who]


@pytest.mark.parametrize("who", WHO)
def test_api_lists_and_searches_only_what_each_person_may_read(served: Served, who: str) -> None:
    listed = served.get(who, "/api/skills").json()
    assert {s["name"] for s in listed["skills"]} == SEES[who]
    for name in ALL_SKILLS:
        found = {s["name"] for s in served.get(who, f"/api/skills?q={name}").json()["skills"]}
        assert (name in found) == (name in SEES[who])
        assert not found & hidden(who)
    # A word from a hidden skill's body finds nothing.
    assert not {s["name"] for s in served.get(who, "/api/skills?q=postmortem").json()["skills"]} & hidden(who)


@pytest.mark.parametrize("who", WHO)
def test_reads_links_and_downloads_follow_the_policy(served: Served, who: str) -> None:
    catalog = served.get("admin", "/api/skills").json()
    paths = {
        s["name"]: f"bundles/{s['name']}/{s['version']}/{s['name']}-{s['version']}.zip"
        for s in catalog["skills"]
    }
    for name in ALL_SKILLS:
        allowed = name in SEES[who]
        read = served.get(who, f"/api/skills/{name}")
        link = served.post(who, f"/api/skills/{name}/link")
        download = served.get(who, f"/bundles/{paths[name]}")
        assert read.status_code == (200 if allowed else 404), (who, name)
        assert link.status_code == (200 if allowed else 404), (who, name)
        assert download.status_code == (200 if allowed else 404), (who, name)
        if not allowed:  # the refusal is the same as for a skill that does not exist
            assert read.json()["error"] == f"no skill named {name!r}"
            assert name not in download.text


@pytest.mark.parametrize("who", WHO)
def test_claude_code_marketplace_and_plugin_zips_follow_the_policy(served: Served, who: str) -> None:
    marketplace = served.get(who, "/claude-code/marketplace.json").json()
    assert {p["name"] for p in marketplace["plugins"]} == PLUGINS_SEEN[who]
    admin_view = served.get("admin", "/claude-code/marketplace.json").json()
    for plugin in admin_view["plugins"]:
        path = plugin["source"]["url"].split("/bundles/", 1)[1]
        status = served.get(who, f"/bundles/{path}").status_code
        assert status == (200 if plugin["name"] in PLUGINS_SEEN[who] else 404), (who, plugin["name"])


@pytest.mark.parametrize("who", WHO)
def test_well_known_index_lists_only_readable_skills(served: Served, who: str) -> None:
    for path in ("/.well-known/skills/index.json", "/.well-known/agent-skills/index.json"):
        index = served.get(who, path).json()
        assert {s["name"] for s in index["skills"]} == SEES[who]
        assert all(s["digest"].startswith("sha256:") and s["type"] == "archive" for s in index["skills"])


@pytest.mark.parametrize("who", WHO)
def test_update_checks_do_not_reveal_hidden_skills(served: Served, who: str) -> None:
    installed = [{"name": name, "version": "0.1.0"} for name in sorted(ALL_SKILLS)]
    results = {
        r["name"]: r
        for r in served.post(who, "/api/updates", json={"installed": installed}).json()["results"]
    }
    for name in ALL_SKILLS:
        assert results[name]["status"] == ("update" if name in SEES[who] else "unknown")
        if name not in SEES[who]:
            assert set(results[name]) == {"name", "status"}


NOT_FOR_CLAUDE_CODE = {"data-tools"}  # the template tags it surface:CDAI


@pytest.mark.parametrize("who", WHO)
def test_website_pages_and_search_index_show_only_readable_skills(served: Served, who: str) -> None:
    sign_in(served, who)
    index = served.client.get("/")
    assert index.status_code == 200
    assert set(re.findall(r'<li class="card" data-name="([^"]+)"', index.text)) == SEES[who]
    assert served.client.get("/search-index.json").status_code == 404  # no file lists the catalog
    for name in ALL_SKILLS:
        page = served.client.get(f"/skills/{name}.html")
        assert page.status_code == (200 if name in SEES[who] else 404), (who, name)
        if name not in SEES[who]:
            assert name not in index.text
            assert name not in page.text
            for asked in (f"/?q={name}", f"/?q={name}&part=results", f"/index.html?q={name.split('-')[0]}"):
                found = served.client.get(asked).text
                assert f'data-name="{name}"' not in found and f"{name}.html" not in found, (who, asked)
    for plugin in PLUGINS_SEEN["admin"] - PLUGINS_SEEN[who]:
        page = served.client.get(f"/plugins/{plugin}.html")
        # A plugin with some readable skills has a page listing those, but never offers its zip.
        assert page.status_code in (200, 404)
        assert f"/bundles/plugins/{plugin}/" not in page.text
    for plugin in PLUGINS_SEEN[who]:
        page = served.client.get(f"/plugins/{plugin}.html").text
        # The plugin zip is Claude Code's: offered only on the pages of plugins tagged for it.
        assert (f"/bundles/plugins/{plugin}/" in page) == (plugin not in NOT_FOR_CLAUDE_CODE), plugin


def test_people_with_the_same_access_share_one_rendered_index(served: Served) -> None:
    sign_in(served, "anyone")
    first = served.client.get("/?q=release").text
    served.client.cookies.clear()
    sign_in(served, "anyone")  # same groups, new session
    assert served.client.get("/?q=release").text == first
    answers = served.client.app.state.proxy._answers  # type: ignore[attr-defined]
    assert len([key for key in answers if key[1] == "site index" and key[2].startswith("release")]) == 1


def test_nobody_gets_anything_without_credentials(served: Served) -> None:
    for path in (
        "/api/skills",
        "/api/skills/release-notes",
        "/claude-code/marketplace.json",
        "/.well-known/skills/index.json",
        "/bundles/bundles/release-notes/1.0.0/release-notes-1.0.0.zip",
    ):
        response = served.client.get(path)
        assert response.status_code == 401, path
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert "PK" not in response.text and "description" not in response.text
    for page in ("/", "/index.html", "/skills/release-notes.html", "/search-index.json", "/tokens", "/admin"):
        response = served.client.get(page, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/login?next="), page
    assert served.client.post("/api/updates", json={"installed": []}).status_code == 401
    assert served.client.post("/api/skills/release-notes/link").status_code == 401
