"""Two plugins with a skill of the same name: both are served, each addressed as plugin/skill."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from factory import write
from layouts import REPEATED_NAMES
from proxy.served import config, publish_template
from starlette.testclient import TestClient

from skillport_build.proxy.app import create_app
from skillport_build.proxy.state import State
from skillport_build.trust.keys import load_public_keys


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    repo = REPEATED_NAMES.write(tmp_path / "repo")
    write(repo, {".skillport/access.yaml": 'defaults: {read: ["*"]}\n'})
    store, public, _ = publish_template(tmp_path, repo=repo)
    settings = config(tmp_path, store, public)
    state = State(settings.db)
    app = create_app(settings, store, load_public_keys(settings.keys), state, refresh=False)
    token = state.create_token("ann@example.com", (), "test")[0]
    with TestClient(app, base_url="http://127.0.0.1:8000") as http:
        http.headers["Authorization"] = f"Bearer {token}"
        yield http
    state.close()


def test_both_skills_are_listed_by_their_plugin_and_read_by_either_form(
    client: TestClient,
) -> None:
    http = client
    listed = http.get("/api/skills").json()["skills"]
    assert sorted(s["name"] for s in listed) == ["escalate", "onboarding/start", "support/start"]
    assert {s["page"].rsplit("/", 1)[-1] for s in listed} == {
        "escalate.html",
        "onboarding.start.html",
        "support.start.html",
    }
    detail = http.get("/api/skills/support:start").json()  # the CLI sends plugin/skill this way
    assert (detail["name"], detail["plugin"]) == ("support/start", "support")
    assert "oldest ticket" in detail["skill_md"]
    assert http.get("/api/skills/start").status_code == 404  # two plugins: the bare name says neither
    assert http.get("/api/skills/escalate").json()["name"] == "escalate"  # unique names stay bare


def test_each_has_its_own_bundle_page_and_link(client: TestClient) -> None:
    http = client
    links = [http.post(f"/api/skills/{p}:start/link").json() for p in ("onboarding", "support")]
    assert [link["filename"] for link in links] == ["start-1.0.0.zip", "start-2.1.0.zip"]
    assert links[0]["url"] != links[1]["url"]
    bodies = [http.get(link["url"]).content for link in links]
    assert bodies[0] != bodies[1]
    signin = http.get("/login").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', signin)
    assert csrf is not None
    http.post("/login/dev", data={"email": "ann@example.com", "csrf": csrf.group(1)})
    page = http.get("/skills/support.start.html", headers={"Accept": "text/html", "Authorization": ""})
    assert page.status_code == 200 and "oldest ticket" in page.text
    index = http.get("/", headers={"Accept": "text/html", "Authorization": ""}).text
    assert 'href="skills/onboarding.start.html"' in index and 'href="skills/support.start.html"' in index
    updates = http.post(
        "/api/updates", json={"installed": [{"name": "onboarding/start", "version": "0.9.0"}]}
    )
    assert updates.json()["results"] == [
        {"name": "onboarding/start", "latest": "1.0.0", "installed": "0.9.0", "status": "update"}
    ]
