from __future__ import annotations

from pathlib import Path

from factory import write
from releasing import build_at

from skillport_build.release.plan import Change, make_plan, next_version
from skillport_build.release.render_plan import as_json, as_markdown, as_text
from skillport_build.repo.loader import load


def test_first_release_is_all_new(market: Path) -> None:
    plan = make_plan(load(market), None)
    assert [(i.kind, i.name, i.change) for i in plan.items] == [
        ("plugin", "tools", Change.NEW),
        ("skill", "hello", Change.NEW),
    ]
    assert plan.catalog_version == 1 and not plan.problems


def test_content_change_needs_a_bump_and_markdown_says_so(market: Path, tmp_path: Path) -> None:
    published = build_at(market, tmp_path / "out").catalog
    assert not make_plan(load(market), published).publishes_anything
    write(market, {"plugins/tools/skills/hello/references/checklist.md": "changed\n"})
    plan = make_plan(load(market), published, "minor")
    assert [(i.name, i.change, i.bump) for i in plan.items] == [
        ("tools", Change.CHANGED, "minor"),
        ("hello", Change.CHANGED, "minor"),
    ]
    assert not plan.problems and plan.needs_bump
    md = as_markdown(plan)
    assert "| `tools` | ✏️ changed | 1.0.0 → 1.1.0 (minor bump needed) |" in md
    assert md.startswith("### Skillport release plan\n\nPublishing catalog 2: 2 changed.")
    assert '"next_version": "1.1.0"' in as_json(plan)
    assert "1.0.0 → 1.1.0" in as_text(plan)


def test_reusing_an_old_version_number_is_a_problem(market: Path, tmp_path: Path) -> None:
    published = build_at(market, tmp_path / "out").catalog
    for name in ("plugins/tools/.claude-plugin/plugin.json", ".claude-plugin/marketplace.json"):
        write(market, {name: (market / name).read_text().replace("1.0.0", "0.5.0")})
    plan = make_plan(load(market), published)
    assert [i.problem for i in plan.problems] == [
        "plugin tools would go back from 1.0.0 to 0.5.0",
        "skill hello would go back from 1.0.0 to 0.5.0",
    ]
    assert "error: plugin tools would go back" in as_text(plan)


def test_removed_items_are_listed(market: Path, tmp_path: Path) -> None:
    published = build_at(market, tmp_path / "out").catalog
    write(market, {"plugins/tools/skills/hello": None})
    plan = make_plan(load(market), published)
    assert ("skill", "hello", Change.REMOVED) in [(i.kind, i.name, i.change) for i in plan.items]


def test_next_version_handles_prereleases() -> None:
    assert next_version("1.0.0-rc.1", "patch") == "1.0.0"
    assert next_version("1.0.0-rc.1", "prerelease") == "1.0.0-rc.2"
    assert next_version("1.2.3", "major") == "2.0.0"
