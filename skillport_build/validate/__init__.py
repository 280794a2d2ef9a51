"""`skillport validate`: every rule of FORMATS.md that needs no published catalog (1-42)."""

from __future__ import annotations

from pathlib import Path

from skillport_build.diagnostics import Diagnostic, Report
from skillport_build.loader import load
from skillport_build.marketplace import Marketplace
from skillport_build.models.marketplace import UPLOAD_SURFACES
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

__all__ = ["validate", "validate_path"]


def validate(market: Marketplace) -> Report:
    """Run every rule over a loaded marketplace and return all findings at once."""
    found: list[Diagnostic] = list(market.problems)
    found += check_marketplace(market)
    found += check_unlisted(market)
    for plugin in market.plugins:
        assert market.manifest_doc is not None  # plugins are only loaded from a parsed manifest
        found += check_plugin(plugin, market.manifest_doc)
        found += check_paths(plugin.path, plugin.files, market)
        found += secrets.scan(plugin.path, plugin.files, market.config)
        upload_bound = bool(plugin.entry.surfaces & UPLOAD_SURFACES)
        for skill in plugin.skills:
            found += check_skill(skill, upload_bound, market.config)
    found += check_skill_names(market)
    found += check_access_targets(market)
    found += check_lifecycle_targets(market)
    return Report.of(found, str(market.root), len(market.plugins), len(market.skills))


def validate_path(path: Path | str) -> Report:
    """Load the marketplace at `path` and validate it."""
    return validate(load(path))
