"""What one person may see: an empty read rule closes a skill to all but admins, and a yanked
version's zip is no longer served to anyone, by token or by a link made before the yank."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from proxy.live_server import LiveProxy, live_proxy
from releasing import change

from skillport_build.models.access import AccessPolicy, Identity
from skillport_build.proxy.access import View, bundle_refs
from skillport_build.release.lifecycle import yank
from skillport_build.stores import current_catalog
from skillport_build.stores.local import LocalStore

OLD = "bundles/release-notes/1.0.0/release-notes-1.0.0.zip"


def test_an_empty_read_rule_is_admins_only_not_a_fall_through() -> None:
    policy = AccessPolicy.model_validate(
        {
            "defaults": {"read": ["*"]},
            "plugins": {"writing": {"read": ["*"]}, "vault": {"read": []}},
            "skills": {"secret-notes": {"read": []}},
            "admins": ["group:platform"],
        }
    )
    assert policy.readers("writing", "secret-notes") == ("group:platform",)
    assert policy.readers("vault", "anything") == ("group:platform",)
    anyone, admin = Identity("ann@acme.example"), Identity("ada@acme.example", frozenset({"platform"}))
    assert not anyone.matches(policy.readers("writing", "secret-notes"))
    assert admin.matches(policy.readers("writing", "secret-notes"))


@pytest.fixture(scope="module")
def live(state_backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveProxy]:
    with live_proxy(tmp_path_factory.mktemp("yanked")) as served:
        yield served


def get(live: LiveProxy, url: str, who: str | None = "admin") -> httpx.Response:
    headers = {"Authorization": f"Bearer {live.tokens[who]}"} if who else {}
    return httpx.get(url if url.startswith("http") else f"{live.url}/{url}", headers=headers)


def test_a_yanked_old_release_is_no_longer_downloadable(live: LiveProxy) -> None:
    change(live.repo, "plugins/writing/skills/release-notes/SKILL.md", "writing")
    live.republish()
    assert get(live, f"bundles/{OLD}").status_code == 200  # an old release, not yanked: still served
    auth = {"Authorization": f"Bearer {live.tokens['anyone']}"}
    link = httpx.post(f"{live.url}/api/skills/release-notes/link", json={"version": "1.0.0"}, headers=auth)
    assert link.status_code == 200 and get(live, link.json()["url"], None).status_code == 200

    yank(live.repo, "release-notes", "1.0.0", "leaks a customer name")
    live.republish()
    assert get(live, f"bundles/{OLD}").status_code == 404  # even for an admin
    assert get(live, link.json()["url"], None).status_code == 403  # the link made before the yank
    again = httpx.post(f"{live.url}/api/skills/release-notes/link", json={"version": "1.0.0"}, headers=auth)
    assert again.status_code == 404
    assert get(live, "bundles/bundles/release-notes/1.0.1/release-notes-1.0.1.zip").status_code == 200


def test_a_plugin_zip_is_not_opened_by_a_skill_of_the_same_name(
    published: tuple[Path, LocalStore, Path],
) -> None:
    catalog = current_catalog(published[1])
    assert catalog is not None
    plugin = catalog.plugin("skillport")
    assert plugin is not None and "skillport" in plugin.skills  # the template's plugin and skill share a name
    refs = bundle_refs(catalog)
    skill_only = View(catalog, frozenset({"skillport"}), frozenset())
    assert skill_only.bundle(refs, plugin.bundle.path) is None
    plugin_only = View(catalog, frozenset(), frozenset({"skillport"}))
    skill = catalog.skill("skillport")
    assert skill is not None and plugin_only.bundle(refs, skill.bundle.path) is None
    assert View(catalog, frozenset({"skillport"}), frozenset({"skillport"})).bundle(refs, skill.bundle.path)


def test_audiences_that_see_the_same_skills_but_not_the_same_plugins_have_different_keys(
    published: tuple[Path, LocalStore, Path],
) -> None:
    catalog = current_catalog(published[1])
    assert catalog is not None
    skills = frozenset(s.ref for s in catalog.skills)
    assert View(catalog, skills, frozenset()).key != View(catalog, skills, frozenset({"skillport"})).key
