"""From one marketplace entry to its plugin: a folder of this repository or a fetched remote
checkout, taken from the build cache when its fingerprint is unchanged."""

from __future__ import annotations

import bisect
import dataclasses
import hashlib
import os
import posixpath
from pathlib import Path
from typing import Any

from skillport_build.models import PluginEntry, ValidateConfig
from skillport_build.models.catalog import canonical_json
from skillport_build.repo import components
from skillport_build.repo.buildcache import BuildCache, plugin_fingerprint
from skillport_build.repo.diagnostics import Diagnostic
from skillport_build.repo.digest import sha256_bytes
from skillport_build.repo.documents import JsonDocument, decode_text
from skillport_build.repo.gitfetch import Checkout
from skillport_build.repo.jsonedit import set_key
from skillport_build.repo.marketplace import FileEntry, Plugin
from skillport_build.repo.paths import PLUGIN_JSON
from skillport_build.repo.plugins import FolderReads, load_plugin
from skillport_build.repo.rules import rule
from skillport_build.repo.schema import check
from skillport_build.repo.tree import TreeReader


def local_folders(entries: list[Any]) -> list[str | None]:
    """Each entry's `./` folder, repo-relative ("." for the root), None for other sources."""
    found: list[str | None] = []
    for raw in entries:
        source = raw.get("source") if isinstance(raw, dict) else None
        if isinstance(source, str) and source.startswith("./") and ".." not in source.split("/"):
            found.append(source[2:].rstrip("/") or ".")
        else:
            found.append(None)
    return found


def _nested(folders: list[str], rel: str) -> list[str]:
    """The other entries' folders inside `rel` (all of them for the root), relative to it."""
    prefix = "" if rel == "." else f"{rel}/"
    found = []
    for at in range(bisect.bisect_left(folders, prefix), len(folders)):  # no copy of the list's tail
        other = folders[at]
        if not other.startswith(prefix):
            break
        if other not in (".", rel):
            found.append(other[len(prefix) :])
    return found


def _checked(
    doc: JsonDocument, index: int, raw: Any, problems: list[Diagnostic]
) -> tuple[str, PluginEntry | None]:
    """The entry's label in messages (`plugins[3] (name)`) and the entry, None when it is invalid."""
    named = isinstance(raw, dict) and isinstance(raw.get("name"), str)
    label = f"plugins[{index}]" + (f" ({raw['name']})" if named else "")
    entry, found = check(PluginEntry, raw, doc, prefix=("plugins", index), label=f"{label}: ")
    problems.extend(found)
    return label, entry


def load_entry(
    reader: TreeReader,
    doc: JsonDocument,
    index: int,
    raw: Any,
    problems: list[Diagnostic],
    cache: BuildCache | None,
    folders: list[str],
    read: FolderReads,
) -> Plugin | None:
    """The plugin of a `./` entry (None for another source, or when it cannot be loaded)."""
    label, entry = _checked(doc, index, raw, problems)
    local = entry.local_path if entry is not None else None
    if entry is None or local is None:
        return None
    folder = os.path.join(reader.root, local)  # a str: ten thousand Paths cost a tenth of a second
    if not reader.inside(folder):
        problems.append(
            rule("entry-source-path")(
                doc.path, doc.line(("plugins", index, "source")), f"{label}: `source` leaves the repository"
            )
        )
        return None
    if not os.path.isdir(folder):
        problems.append(
            rule("plugin-folder-missing")(
                doc.path,
                doc.line(("plugins", index, "source")),
                f"{label}: `source` {entry.source!r} is not a folder in the repository; "
                "create it or fix the path",
            )
        )
        return None
    nested = _nested(folders, local)
    # A root plugin's files leave out the marketplace's own (components.REPO_ONLY): so does its print.
    unseen = (*nested, *components.REPO_ONLY_PATHS) if local == "." else tuple(nested)
    rel = posixpath.normpath(local)  # reader.rel(folder), without its two abspaths
    fingerprint = (
        plugin_fingerprint(folder, raw, cache.salt, read.fingerprints, unseen, cache.index, rel)
        if cache
        else None
    )
    if cache and fingerprint and (hit := cache.plugin(rel, fingerprint, entry, index)):
        return hit
    own = TreeReader(reader.root, reader.max_file_bytes, [], reader.large_files)
    plugin = load_plugin(own, entry, index, Path(folder), own.problems, nested, read)
    return dataclasses.replace(plugin, problems=tuple(own.problems), fingerprint=fingerprint)


def load_remote(
    config: ValidateConfig,
    doc: JsonDocument,
    index: int,
    raw: Any,
    checkout: Checkout,
    problems: list[Diagnostic],
    cache: BuildCache | None,
) -> Plugin | None:
    """Load a fetched entry from its folder in the fetch cache; its paths read `remote:<name>/...`.

    Its files are those of one commit, so its build-cache fingerprint is the (source, commit) key."""
    _, entry = _checked(doc, index, raw, problems)
    if entry is None:
        return None
    folder = checkout.folder
    reader = TreeReader(
        folder, config.max_file_bytes, [], frozenset(config.large_files), f"remote:{entry.name}"
    )
    rel = reader.rel(folder)
    fingerprint = (
        hashlib.sha256(f"{cache.salt}\0remote:{checkout.key}\0".encode() + canonical_json(raw)).hexdigest()
        if cache
        else None
    )
    if cache and fingerprint and (hit := cache.plugin(rel, fingerprint, entry, index)):
        return dataclasses.replace(hit, origin=checkout.origin)
    plugin = _versioned(load_plugin(reader, entry, index, folder, reader.problems, [], FolderReads()))
    return dataclasses.replace(
        plugin, problems=tuple(reader.problems), fingerprint=fingerprint, origin=checkout.origin
    )


def _versioned(plugin: Plugin) -> Plugin:
    """A remote plugin whose entry sets another version than its plugin.json (a bump made here,
    where its repository cannot be edited): the bundle's plugin.json carries the entry's, so that
    Claude Code installs the version the catalog names."""
    version, manifest = plugin.entry.version, plugin.manifest
    own = next((f for f in plugin.files if f.path == PLUGIN_JSON and f.data is not None), None)
    if not version or manifest is None or manifest.version in (None, version) or own is None:
        return plugin
    assert own.data is not None
    data = set_key(decode_text(own.data), "", "version", version).encode()
    edited = FileEntry(PLUGIN_JSON, len(data), sha256_bytes(data), own.executable, data)
    files = tuple(edited if f is own else f for f in plugin.files)
    return dataclasses.replace(plugin, files=files, manifest=manifest.model_copy(update={"version": version}))
