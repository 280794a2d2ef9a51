"""A marketplace with remote entries (file:// repositories): built, validated, planned and bumped
like local plugins; what is only theirs (the commit, the entry's version) is handled as theirs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from factory import write
from layouts import skill
from releasing import build_at, zip_text
from remotes import (
    MONOREPO_STATES,
    REVIEW_STATES,
    oncall_entry,
    plugin_repository,
    remote_marketplace,
    review_entry,
)

from skillport_build.errors import ValidationFailed
from skillport_build.release.build import remote_cache
from skillport_build.release.bump import bump
from skillport_build.release.plan import make_plan
from skillport_build.release.render_plan import as_json
from skillport_build.repo.loader import load
from skillport_build.repo.remote import RemoteSources

MARKET = ".claude-plugin/marketplace.json"


def _sources(out: Path) -> RemoteSources:
    return RemoteSources(remote_cache(out), environ={"PATH": "/usr/bin:/bin"}, allow_file=True)


@pytest.fixture
def world(tmp_path: Path) -> tuple[Path, dict[str, list[str]], dict[str, Path]]:
    bares = {"review": tmp_path / "served/review.git", "mono": tmp_path / "served/mono.git"}
    commits = {
        "review": plugin_repository(bares["review"], REVIEW_STATES),
        "mono": plugin_repository(bares["mono"], MONOREPO_STATES),
    }
    entries = [
        review_entry(f"file://{bares['review']}", commits["review"][0]),
        oncall_entry(f"file://{bares['mono']}", commits["mono"][0]),
    ]
    return write(tmp_path / "market", remote_marketplace(entries)), commits, bares


def test_remote_plugins_are_built_with_their_origin_in_the_catalog(world: tuple, tmp_path: Path) -> None:  # type: ignore[type-arg]
    market, commits, _ = world
    out = tmp_path / "out"
    catalog = build_at(market, out, remote=_sources(out)).catalog
    review = catalog.plugin("code-review")
    assert review is not None and review.origin is not None
    assert (review.origin.source, review.origin.commit, review.version) == (
        "url",
        commits["review"][0],
        "1.4.0",
    )
    assert catalog.skill("incident-triage") is not None and catalog.skill("invoice-check") is None
    oncall = catalog.plugin("oncall")
    assert oncall is not None and oncall.origin is not None and oncall.origin.path == "plugins/oncall"
    assert catalog.plugin("local-notes") is not None and catalog.plugin("local-notes").origin is None  # type: ignore[union-attr]


def test_a_remote_plugins_problems_name_it_and_stop_the_build(tmp_path: Path) -> None:
    bare = tmp_path / "served/bad.git"
    sha = plugin_repository(bare, [{"skills/Bad Name/SKILL.md": skill("other-name")}])[0]
    market = write(tmp_path / "market", remote_marketplace([review_entry(f"file://{bare}", sha)]))
    out = tmp_path / "out"
    with pytest.raises(ValidationFailed) as caught:
        build_at(market, out, remote=_sources(out))
    assert "remote:code-review/skills/Bad Name/SKILL.md" in str(caught.value)


def test_a_new_commit_is_a_change_and_its_bump_goes_into_the_entry(world: tuple, tmp_path: Path) -> None:  # type: ignore[type-arg]
    market, commits, _ = world
    out = tmp_path / "out"
    first = build_at(market, out, remote=_sources(out)).catalog
    manifest = json.loads((market / MARKET).read_text())
    manifest["plugins"][1]["source"]["sha"] = commits["review"][1]
    write(market, {MARKET: manifest})
    plan = make_plan(load(market, None, _sources(out)), first)
    item = next(i for i in plan.items if i.name == "code-review")
    assert (item.bump, item.published_commit, item.commit) == (
        "patch",
        commits["review"][0],
        commits["review"][1],
    )
    rendered = {i["name"]: i for i in json.loads(as_json(plan))["items"]}
    assert rendered["code-review"]["commit"] == commits["review"][1]
    done = bump(market, changed_since=first, remote=_sources(out))
    assert [(b.plugin, b.new) for b in done] == [("code-review", "1.4.1")]
    assert json.loads((market / MARKET).read_text())["plugins"][1]["version"] == "1.4.1"
    again = build_at(market, out, previous=first, remote=_sources(out)).catalog
    review = again.plugin("code-review")
    assert review is not None and review.version == "1.4.1"
    assert [r.version for r in review.history] == ["1.4.0", "1.4.1"]
    bundled = json.loads(zip_text(out / review.bundle.path, ".claude-plugin/plugin.json"))
    assert bundled["version"] == "1.4.1"  # what Claude Code installs is the version the catalog names
