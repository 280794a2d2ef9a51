"""One plugin folder: its files (read once even where entries share the folder), plugin.json,
its skills, and the plugin.json its bundle carries."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from skillport_build.models import PluginEntry, PluginManifest
from skillport_build.repo import components
from skillport_build.repo.diagnostics import Diagnostic
from skillport_build.repo.marketplace import FileEntry, Plugin
from skillport_build.repo.parsing import parse_json
from skillport_build.repo.paths import PLUGIN_JSON
from skillport_build.repo.rules import rule
from skillport_build.repo.schema import check
from skillport_build.repo.skills import load_skill
from skillport_build.repo.tree import TreeReader


@dataclasses.dataclass
class FolderReads:
    """The folders one load has read: entries that share a folder (often the root) read it once."""

    read: dict[Path, list[FileEntry]] = dataclasses.field(default_factory=dict)
    problems: dict[Path, tuple[Diagnostic, ...]] = dataclasses.field(default_factory=dict)
    kept: dict[tuple[Path, tuple[str, ...]], list[FileEntry]] = dataclasses.field(default_factory=dict)
    fingerprints: dict[tuple[str, tuple[str, ...]], str] = dataclasses.field(default_factory=dict)

    def files(self, reader: TreeReader, folder: Path, others: list[str]) -> list[FileEntry]:
        """The folder's files outside the other entries' folders in it."""
        if folder not in self.read:
            self.read[folder] = reader.read_folder(folder)
            self.problems[folder] = tuple(reader.problems)
        key = (folder, tuple(others))
        if key not in self.kept:
            self.kept[key] = list(components.outside(self.read[folder], others))
        return self.kept[key]


def load_plugin(
    reader: TreeReader,
    entry: PluginEntry,
    index: int,
    folder: Path,
    problems: list[Diagnostic],
    others: list[str],
    read: FolderReads,
) -> Plugin:
    """Read one plugin folder; its problems go to `problems` (the plugin's own list)."""
    rel = reader.rel(folder)
    at_root = rel == "."
    files = read.files(reader, folder, others)
    problems.extend(p for p in read.problems[folder] if p not in problems)
    by_path = {f.path: f for f in files}
    manifest_doc, manifest = None, None
    if (plugin_json := by_path.get(PLUGIN_JSON)) is not None and plugin_json.data is not None:
        manifest_path = PLUGIN_JSON if rel == "." else f"{rel}/{PLUGIN_JSON}"
        manifest_doc = parse_json(manifest_path, plugin_json.data, problems, "plugin-json-syntax")
        if manifest_doc is not None and not isinstance(manifest_doc.data, dict):
            problems.append(rule("plugin-json-syntax")(manifest_path, 1, "must hold a JSON object"))
        elif manifest_doc is not None:
            manifest, found = check(PluginManifest, manifest_doc.data, manifest_doc)
            problems.extend(found)
    name = manifest.name if manifest else entry.name
    dirs = components.skill_dirs(folder, entry, manifest, at_root=at_root)
    mine = components.own_files(
        files, [Path(os.path.relpath(d, folder)).as_posix() for d in dirs], at_root=at_root
    )
    skills = tuple(load_skill(reader, name, folder, skill_dir, list(mine), problems) for skill_dir in dirs)
    raw_manifest = manifest_doc.data if manifest_doc and isinstance(manifest_doc.data, dict) else None
    generated = (
        components.bundle_manifest(entry, raw_manifest)
        if raw_manifest or PLUGIN_JSON not in by_path
        else None
    )
    if generated is not None:
        mine = (*(f for f in mine if f.path != PLUGIN_JSON), generated)
    return Plugin(name, rel, index, entry, manifest, manifest_doc, tuple(sorted(mine, key=_path)), skills)


def _path(entry: FileEntry) -> str:
    return entry.path
