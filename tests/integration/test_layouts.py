"""Real marketplace layouts: what the pinned Claude Code installs from the source, Skillport validates
without an error, builds, and its plugin zips install in Claude Code with the same components."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from factory import write
from integration.claude_code import Claude
from layouts import LAYOUTS, Layout
from releasing import build_at

from skillport_build.repo.loader import load
from skillport_build.repo.remote import RemoteSources
from skillport_build.validate import validate

pytestmark = pytest.mark.integration


def install_all(claude: Claude, market: Path, plugins: list[str]) -> dict[str, dict[str, list[str]]]:
    """Add the marketplace folder, install every plugin, and read what each one loads."""
    added = claude.run("plugin", "marketplace", "add", str(market))
    assert added.returncode == 0, added.stdout + added.stderr
    name = json.loads((market / ".claude-plugin/marketplace.json").read_text())["name"]
    for plugin in plugins:
        installed = claude.run("plugin", "install", f"{plugin}@{name}")
        assert installed.returncode == 0, installed.stdout + installed.stderr
    listing = claude.installed(name)
    assert set(listing) == set(plugins), listing
    assert not any(entry.get("errors") for entry in listing.values()), listing
    return {plugin: claude.inventory(f"{plugin}@{name}") for plugin in plugins}


def mirror(out: Path, plugins: list[tuple[str, str, Path]], market: Path) -> Path:
    """A marketplace folder holding each built plugin zip unpacked, as `claude-code sync` makes it."""
    entries = []
    for name, version, zip_path in plugins:
        with zipfile.ZipFile(zip_path) as archive:
            archive.extractall(market / "plugins" / name)
        entries.append({"name": name, "source": f"./plugins/{name}", "version": version})
    doc = {"name": "built-mirror", "owner": {"name": "CI"}, "description": "Built.", "plugins": entries}
    return write(market, {".claude-plugin/marketplace.json": doc})


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda layout: layout.id)
def test_layout_validates_builds_and_installs_the_same(
    layout: Layout, tmp_path: Path, claude: Claude
) -> None:
    source = layout.write(tmp_path / "source")
    market = load(source)
    report = validate(market)
    assert report.errors == (), [d.message for d in report.errors]
    local = [p.name for p in market.plugins]
    from_source = install_all(claude, source, local)

    write(source, {".skillport/access.yaml": 'defaults: {read: ["*"]}\n'})
    offline = RemoteSources(tmp_path / "remote", skip=True)  # the remote layout's hosts do not exist
    catalog = build_at(source, tmp_path / "out", remote=offline).catalog
    assert sorted(p.name for p in catalog.plugins) == sorted(local)
    built = [(p.name, p.version, tmp_path / "out" / p.bundle.path) for p in catalog.plugins]
    for _, _, zip_path in built:
        names = zipfile.ZipFile(zip_path).namelist()
        assert not any(
            n.startswith((".skillport/", ".git/", ".claude-plugin/marketplace.json")) for n in names
        )
        assert ".claude-plugin/plugin.json" in names
    other = Claude(claude.binary, tmp_path / "home-built")
    from_zips = install_all(other, mirror(tmp_path / "out", built, tmp_path / "mirror"), local)
    assert from_zips == from_source
    assert all(inventory.get("Skills") or inventory.get("Hooks") for inventory in from_source.values())
