from __future__ import annotations

import json
from pathlib import Path

import pytest
from factory import TEMPLATE

from skillport_build.errors import NotFound, ScaffoldError, UsageError
from skillport_build.repo.scaffold import PLACEHOLDER_DESCRIPTION, init, new_plugin, new_skill
from skillport_build.validate import validate_path


def test_init_copies_the_template_and_renames_the_marketplace(tmp_path: Path) -> None:
    root = init(tmp_path / "Globex_Skills")
    manifest = json.loads((root / ".claude-plugin/marketplace.json").read_text())
    assert manifest["name"] == "globex-skills"
    assert validate_path(root).diagnostics == ()
    template = sorted(p.relative_to(TEMPLATE) for p in TEMPLATE.rglob("*") if "__pycache__" not in p.parts)
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == template


def test_init_refuses_a_non_empty_folder_and_leaves_it_alone(tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("keep me")
    with pytest.raises(ScaffoldError, match="not empty"):
        init(tmp_path / "taken")
    assert [p.name for p in (tmp_path / "taken").iterdir()] == ["notes.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["taken"]


def test_init_refuses_reserved_names(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="reserved"):
        init(tmp_path / "x", name="claude-plugins-official")


def test_new_plugin_and_skill_validate_strictly_and_diff_minimally(market: Path) -> None:
    before = (market / ".claude-plugin/marketplace.json").read_text()
    new_plugin(market, "finance", description="Finance team skills.", surface="CDAI")
    new_skill(market, "expense-report", "finance", description="Writes expense reports: use for receipts.")
    after = (market / ".claude-plugin/marketplace.json").read_text()
    assert after.startswith(before.rstrip().removesuffix("}").rstrip().removesuffix("]").rstrip())
    assert json.loads(after)["plugins"][-1] == {
        "name": "finance",
        "source": "./plugins/finance",
        "description": "Finance team skills.",
        "version": "0.1.0",
        "tags": ["surface:CDAI"],
    }
    skill = (market / "plugins/finance/skills/expense-report/SKILL.md").read_text()
    assert skill.startswith(
        '---\nname: expense-report\ndescription: "Writes expense reports: use for receipts."\n---\n'
    )
    assert validate_path(market).diagnostics == ()


def test_new_skill_without_a_description_is_flagged_until_it_gets_one(market: Path) -> None:
    new_skill(market, "expense-report", "tools")
    skill_md = market / "plugins/tools/skills/expense-report/SKILL.md"
    report = validate_path(market)
    assert [(d.rule, d.line) for d in report.diagnostics] == [("skill-description-placeholder", 3)]
    assert not report.failed(strict=False) and report.failed(strict=True)
    text = skill_md.read_text().replace(PLACEHOLDER_DESCRIPTION, "Files expense reports from receipts.")
    skill_md.write_text(text)
    assert validate_path(market).diagnostics == ()


def test_new_refuses_duplicates_and_bad_names(market: Path) -> None:
    with pytest.raises(ScaffoldError, match="already lists"):
        new_plugin(market, "tools")
    with pytest.raises(UsageError, match="lowercase"):
        new_plugin(market, "Bad_Name")
    with pytest.raises(ScaffoldError, match="already exists"):
        new_skill(market, "hello", "tools")
    with pytest.raises(NotFound, match=r"no local plugin named 'nope' .*listed: tools"):
        new_skill(market, "x", "nope")
    with pytest.raises(UsageError, match="must not contain"):
        new_skill(market, "x", "tools", description="a <b> c")


def test_new_outside_a_marketplace_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ScaffoldError, match="skillport init"):
        new_plugin(tmp_path, "x")
