"""Claude Code's own validator and installer agree with ours (Claude Code 2.1.332, offline)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from corpus import CASES, Case, build
from factory import TEMPLATE, make_marketplace, marketplace_json, write
from integration.claude_code import VERSION, Claude, validate_targets

from skillport_build.validate import validate_path

pytestmark = pytest.mark.integration


def test_cli_is_the_pinned_version(claude: Claude) -> None:
    assert claude.run("--version").stdout.startswith(VERSION)


@pytest.mark.parametrize("target", validate_targets(TEMPLATE), ids=lambda p: p.name)
def test_template_passes_claude_strict(claude: Claude, target: Path) -> None:
    ok, report = claude.validate(target, strict=True)
    assert ok, report


def test_template_passes_ours_strict() -> None:
    report = validate_path(TEMPLATE)
    assert report.diagnostics == ()


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_whatever_claude_rejects_we_reject(claude: Claude, case: Case, tmp_path: Path) -> None:
    root = build(case, tmp_path / "m")
    ours = validate_path(root)
    for target in validate_targets(root):
        strict_ok, strict_report = claude.validate(target, strict=True)
        if strict_ok:
            continue
        assert ours.failed(strict=True), (target, strict_report)
        lenient_ok, lenient_report = claude.validate(target, strict=False)
        if not lenient_ok:
            assert ours.failed(strict=False), (target, lenient_report)


def test_template_plugins_install_offline(claude: Claude, tmp_path: Path) -> None:
    market = tmp_path / "acme"
    shutil.copytree(TEMPLATE, market)
    added = claude.run("plugin", "marketplace", "add", str(market))
    assert added.returncode == 0, added.stdout + added.stderr
    name = json.loads((market / ".claude-plugin/marketplace.json").read_text())["name"]
    plugins = [p.parent.parent.name for p in market.glob("plugins/*/.claude-plugin/plugin.json")]
    assert len(plugins) >= 3
    for plugin in plugins:
        installed = claude.run("plugin", "install", f"{plugin}@{name}")
        assert installed.returncode == 0, installed.stdout + installed.stderr
    listing = claude.run("plugin", "list", "--json")
    assert listing.returncode == 0, listing.stderr
    entries = json.loads(listing.stdout)
    ids = {e.get("id") or e.get("name") for e in entries} if isinstance(entries, list) else set(entries)
    for plugin in plugins:
        assert any(str(i).startswith(plugin) for i in ids), (plugin, listing.stdout)
    assert "error" not in listing.stdout.lower(), listing.stdout


MARKETPLACE_NAMES = [
    "acme-claude-plugins",
    "claude-plugins-acme",
    "claude-code-skills",
    "claudeplugins",
    "official-claude-tools",
    "team-anthropic-plugins",
    "anthropic-directory",
    "healthcare",
    "acme-skills",
]


@pytest.mark.parametrize("name", MARKETPLACE_NAMES)
def test_marketplace_names_are_refused_exactly_when_claude_refuses_them(
    claude: Claude, name: str, tmp_path: Path
) -> None:
    market = make_marketplace(tmp_path / name)
    write(market, {".claude-plugin/marketplace.json": marketplace_json(name=name)})
    added = claude.run("plugin", "marketplace", "add", str(market))
    ours = validate_path(market)
    assert (added.returncode != 0) == ("marketplace-name-reserved" in {d.rule for d in ours.errors}), (
        added.stdout + added.stderr
    )
