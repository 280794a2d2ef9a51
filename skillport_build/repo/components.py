"""A plugin's components as the pinned Claude Code reads them: which folders are skills, which of the
plugin folder's files belong to the plugin, and the plugin.json a bundle needs to load the same way.

What Claude Code 2.1.332 does (seen with `claude plugin details` on each layout family in
tests/layouts.py, which the integration suite re-checks):

- `skills/` is always a skills folder, and every path listed under `skills` in plugin.json or in the
  marketplace entry (whatever `strict` says) adds one more;
- except when the plugin's source is the marketplace root (`"source": "./"`): there a `skills`
  list replaces `skills/`, so that several entries can each offer some skills of one repository;
- a listed path holding a SKILL.md is one skill, any other listed path a folder of skill folders;
- a SKILL.md at the plugin root is one more skill (the `claude plugin init` layout).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from skillport_build.models import PluginEntry, PluginManifest
from skillport_build.models.plugin import listed_paths
from skillport_build.repo.digest import sha256_bytes
from skillport_build.repo.marketplace import FileEntry
from skillport_build.repo.tree import is_junk

DEFAULT_SKILLS_DIR = "skills"
PLUGIN_JSON = ".claude-plugin/plugin.json"
MARKETPLACE_JSON = ".claude-plugin/marketplace.json"
# Never part of a plugin that is the repository itself: the marketplace's own files.
REPO_ONLY_PATHS = (".skillport", ".github", ".git", MARKETPLACE_JSON)
REPO_ONLY = (*(f"{p}/" for p in REPO_ONLY_PATHS[:-1]), MARKETPLACE_JSON)
# Fields of an entry that define a plugin with no plugin.json, copied into the one its bundle gets.
DEFAULT_FOLDERS = {"commands": "commands", "agents": "agents"}
GENERATED_FIELDS = ("description", "author", "homepage", "license", "keywords")


def skill_dirs(
    folder: Path, entry: PluginEntry, manifest: PluginManifest | None, *, at_root: bool
) -> list[Path]:
    """The folders Claude Code loads as this plugin's skills, in a stable order."""
    listed = _listed(entry, manifest)
    roots = [] if at_root and listed else [DEFAULT_SKILLS_DIR]
    roots += listed
    found: list[Path] = []
    if not at_root and (folder / "SKILL.md").is_file():
        found.append(folder)
    for item in dict.fromkeys(r.removeprefix("./").rstrip("/") or "." for r in roots):
        base = folder / item
        if ".." in Path(item).parts or not base.is_dir():
            continue  # reported by the component-path rule
        if (base / "SKILL.md").is_file():
            found.append(base)
            continue
        for child in sorted(os.scandir(base), key=lambda e: e.name):
            if child.is_dir() and not is_junk(child.name, True) and child.name != ".git":
                found.append(Path(child.path))
    return list(dict.fromkeys(found))


def _listed(entry: PluginEntry, manifest: PluginManifest | None) -> list[str]:
    paths = manifest.component_paths("skills") if manifest else []
    return paths + entry.component_paths("skills")


def outside(files: Iterable[FileEntry], others: Iterable[str]) -> tuple[FileEntry, ...]:
    """The files not inside another entry's folder (folders relative to this plugin's)."""
    nested = frozenset(others)
    if not nested:
        return tuple(files)

    def inside_another(path: str) -> bool:
        parts = path.split("/")
        return any("/".join(parts[:n]) in nested for n in range(1, len(parts)))

    return tuple(f for f in files if not inside_another(f.path))


def own_files(files: Iterable[FileEntry], skills: Iterable[str], *, at_root: bool) -> tuple[FileEntry, ...]:
    """The files that belong to the plugin: for a plugin that is the repository root, not the
    marketplace's own files, nor skills under skills/ it does not load."""
    if not at_root:
        return tuple(files)
    skill_prefixes = tuple(f"{s}/" for s in skills if s != ".")

    def belongs(path: str) -> bool:
        if path.startswith(REPO_ONLY):
            return False
        return not path.startswith(f"{DEFAULT_SKILLS_DIR}/") or path.startswith(skill_prefixes)

    return tuple(f for f in files if belongs(f.path))


def bundle_manifest(entry: PluginEntry, manifest: dict[str, Any] | None) -> FileEntry | None:
    """The plugin.json a plugin's bundle carries when it cannot be the folder's own, so that the
    bundle loads the same components wherever it is installed from; None when it can.

    With no plugin.json, the entry defines the plugin: its name, listing fields and components.
    With one, components the entry adds are written into it. No version is added: the marketplace
    entry carries it, and a bump must not change what the plugin's digest covers."""
    if manifest is None:
        doc: dict[str, Any] = entry.model_dump(include={"name", *GENERATED_FIELDS}, exclude_none=True)
    elif entry.declared_components and entry.strict is not False:
        doc = dict(manifest)
    else:
        return None
    for key in entry.declared_components:
        ours, theirs = doc.get(key), _defaults_dropped(key, getattr(entry, key))
        if theirs is None:
            continue
        listed = listed_paths(theirs)
        doc[key] = listed_paths(ours) + listed if ours is not None and listed else theirs
    data = (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode()
    return FileEntry(PLUGIN_JSON, len(data), sha256_bytes(data), False, data)


def _defaults_dropped(key: str, value: Any) -> Any:
    """The entry's list without files in the component's default folder, which Claude Code finds
    anyway: listed in a plugin.json, command and agent files do not load (Claude Code 2.1.332)."""
    folder = DEFAULT_FOLDERS.get(key)
    if folder is None or not isinstance(value, list):
        return value
    kept = [p for p in value if not (isinstance(p, str) and p.removeprefix("./").startswith(f"{folder}/"))]
    return kept or None
