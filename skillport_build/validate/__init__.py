"""`skillport validate`: every rule of FORMATS.md that needs no published catalog (1-42)."""

from __future__ import annotations

from pathlib import Path

from skillport_build.models.marketplace import UPLOAD_SURFACES
from skillport_build.repo.diagnostics import Diagnostic, Report
from skillport_build.repo.loader import find_root, load
from skillport_build.repo.marketplace import Marketplace, Plugin
from skillport_build.validate import secrets
from skillport_build.validate.plugins import check_plugin
from skillport_build.validate.repo import (
    check_access_targets,
    check_lifecycle_targets,
    check_marketplace,
    check_paths,
    check_skill_names,
    check_unlisted,
)
from skillport_build.validate.skills import check_skill

__all__ = ["plugin_findings", "validate", "validate_by_plugin", "validate_path"]


def validate(market: Marketplace) -> Report:
    """Run every rule over a loaded marketplace and return all findings at once."""
    return validate_by_plugin(market)[0]


def validate_by_plugin(market: Marketplace) -> tuple[Report, dict[str, list[Diagnostic]]]:
    """The report, and what was found inside each plugin folder (for the build cache)."""
    by_plugin = {plugin.path: plugin_findings(plugin, market) for plugin in market.plugins}
    found: list[Diagnostic] = list(market.problems)
    found += check_marketplace(market)
    found += check_unlisted(market)
    for plugin_found in by_plugin.values():
        found += plugin_found
    found += check_skill_names(market)
    found += check_access_targets(market)
    found += check_lifecycle_targets(market)
    return Report.of(found, str(market.root), len(market.plugins), len(market.skills)), by_plugin


def plugin_findings(plugin: Plugin, market: Marketplace) -> list[Diagnostic]:
    """Everything the rules find inside one plugin folder (a cached plugin brings its own)."""
    if plugin.cached:
        return list(plugin.problems)
    assert market.manifest_doc is not None  # plugins are only loaded from a parsed manifest
    found = list(plugin.problems)
    found += check_plugin(plugin, market.manifest_doc)
    found += check_paths(plugin.path, plugin.files, market)
    found += secrets.scan(plugin.path, plugin.files, market.config)
    upload_bound = bool(plugin.entry.surfaces & UPLOAD_SURFACES)
    for skill in plugin.skills:
        found += check_skill(skill, plugin, upload_bound, market.config)
    return found


def validate_path(path: Path | str) -> Report:
    """Load the marketplace at `path` (or the one `path` is inside of) and validate it."""
    return validate(load(find_root(path)))
