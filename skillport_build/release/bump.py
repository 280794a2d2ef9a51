"""`skillport bump`: raise plugin versions in plugin.json and the marketplace entry together.

Edits are textual and minimal (key order, spacing and every other byte are kept) so that the bump
commit shows exactly the version lines.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from skillport_build.errors import NotFound, UsageError
from skillport_build.models.catalog import Catalog
from skillport_build.release.plan import LEVELS, make_plan, next_version
from skillport_build.repo.jsonedit import set_key
from skillport_build.repo.loader import load
from skillport_build.repo.marketplace import Plugin
from skillport_build.repo.paths import MARKETPLACE_JSON, PLUGIN_JSON
from skillport_build.repo.remote import RemoteSources


@dataclass(frozen=True)
class Bumped:
    """One plugin's version change."""

    plugin: str
    old: str
    new: str


def bump(
    root: Path,
    level: str = "patch",
    plugins: tuple[str, ...] = (),
    changed_since: Catalog | None = None,
    remote: RemoteSources | None = None,
) -> list[Bumped]:
    """Bump the named plugins (all, if none), or only those changed since `changed_since`.

    A remote plugin (with `remote`, which fetches it) is bumped in its marketplace entry only: its
    plugin.json is in another repository, and the entry's version wins for it."""
    if level not in LEVELS:
        raise UsageError(f"level {level!r} is not one of {', '.join(LEVELS)}")
    market = load(root, None, remote)
    by_name = {p.name: p for p in market.plugins}
    if unknown := [name for name in plugins if name not in by_name]:
        raise NotFound(f"no plugin named {', '.join(unknown)} (plugins: {', '.join(sorted(by_name))})")
    targets = [by_name[n] for n in plugins] if plugins else list(market.plugins)
    if changed_since is not None:
        needing = {item.name for item in make_plan(market, changed_since, level).needs_bump}
        targets = [p for p in targets if p.name in needing]
    done = [Bumped(p.name, p.release_version, next_version(p.release_version, level)) for p in targets]
    manifest_path = market.root / MARKETPLACE_JSON
    manifest = manifest_path.read_text("utf-8")
    edits: dict[Path, str] = {}
    for plugin, change in zip(targets, done, strict=True):
        if plugin.origin is None:
            edits.update(_plugin_json_edit(market.root, plugin, change.new))
        if plugin.origin is not None or plugin.entry.version is not None or plugin.manifest_doc is None:
            manifest = set_key(manifest, f"/plugins/{plugin.index}", "version", change.new)
    if done:
        edits[manifest_path] = manifest
    for path, text in edits.items():  # every edit was computed before the first write
        _write_atomic(path, text)
    return done


def _plugin_json_edit(root: Path, plugin: Plugin, version: str) -> dict[Path, str]:
    if plugin.manifest_doc is None:
        return {}
    path = root / plugin.rel(PLUGIN_JSON)
    return {path: set_key(path.read_text("utf-8"), "", "version", version)}


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)
    os.chmod(tmp, path.stat().st_mode & 0o777)
    os.replace(tmp, path)
