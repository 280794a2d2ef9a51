"""Every plugin zip, unpacked into a local marketplace folder, installs with the real Claude Code."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from factory import TEMPLATE
from integration.claude_code import Claude
from releasing import build_at

pytestmark = pytest.mark.integration


def test_built_plugin_zips_install_offline(claude: Claude, tmp_path: Path) -> None:
    catalog = build_at(TEMPLATE, tmp_path / "out").catalog
    market = tmp_path / "mirror"
    entries = []
    for plugin in catalog.plugins:
        folder = market / "plugins" / plugin.name
        with zipfile.ZipFile(tmp_path / "out" / plugin.bundle.path) as archive:
            archive.extractall(folder)
        entries.append({"name": plugin.name, "source": f"./plugins/{plugin.name}", "version": plugin.version})
    manifest = {
        "name": "acme-mirror",
        "owner": {"name": "Acme"},
        "metadata": {"description": "Mirror."},
        "plugins": entries,
    }
    (market / ".claude-plugin").mkdir(parents=True)
    (market / ".claude-plugin/marketplace.json").write_text(json.dumps(manifest))
    added = claude.run("plugin", "marketplace", "add", str(market))
    assert added.returncode == 0, added.stdout + added.stderr
    for plugin in catalog.plugins:
        installed = claude.run("plugin", "install", f"{plugin.name}@acme-mirror")
        assert installed.returncode == 0, installed.stdout + installed.stderr
    listing = claude.installed("acme-mirror")
    assert set(listing) == {p.name for p in catalog.plugins}
    assert not any(entry.get("errors") for entry in listing.values()), listing
