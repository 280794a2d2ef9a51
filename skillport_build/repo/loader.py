"""Load a marketplace repository into an immutable `Marketplace`, reading each file once.

Loading never raises for a user mistake inside the tree: what cannot be read, parsed or typed
becomes a diagnostic in `Marketplace.problems`, and the rest is still loaded so that validation
can report every problem in one run. The parts: the marketplace's own files (rootfiles), each
entry to its plugin (entries), a plugin folder (plugins), a skill folder (skills).
"""

from __future__ import annotations

import dataclasses
import os
from collections import Counter
from pathlib import Path

from skillport_build.errors import ManifestError
from skillport_build.repo.buildcache import BuildCache
from skillport_build.repo.diagnostics import Diagnostic
from skillport_build.repo.entries import load_entry, load_remote, local_folders
from skillport_build.repo.marketplace import Marketplace, Plugin, RemoteReport, Skill
from skillport_build.repo.paths import MARKETPLACE_JSON
from skillport_build.repo.plugins import FolderReads
from skillport_build.repo.remote import RemoteSources
from skillport_build.repo.rootfiles import load_access, load_config, load_lifecycle, load_manifest
from skillport_build.repo.tree import TreeReader


def load(
    root: Path | str, cache: BuildCache | None = None, remote: RemoteSources | None = None
) -> Marketplace:
    """Read the marketplace at `root`; raise ManifestError only if it is not a folder.

    With a build cache, a plugin folder whose fingerprint is unchanged is taken from the cache.
    With `remote`, entries whose source is another repository are fetched (RemoteSourceError when
    one cannot be) and loaded like local plugins; without it they are left out.
    """
    root = Path(root)
    if not root.is_dir():
        raise ManifestError(f"{root}: not a folder; pass the root of a marketplace repository")
    root = Path(os.path.realpath(root))
    problems: list[Diagnostic] = []
    config = load_config(root, problems)
    reader = TreeReader(root, config.max_file_bytes, problems, frozenset(config.large_files))
    manifest_doc, manifest = load_manifest(root, problems)
    access, access_doc = load_access(root, problems)
    plugins = []
    report = RemoteReport()
    if manifest is not None and manifest_doc is not None:
        fetched = remote.resolve(manifest.plugins) if remote is not None else None
        report = fetched.report if fetched is not None else report
        folders = sorted({f for f in local_folders(manifest.plugins) if f is not None})
        read = FolderReads()
        for index, raw in enumerate(manifest.plugins):
            if fetched is not None and index in fetched.checkouts:
                plugin = load_remote(
                    config, manifest_doc, index, raw, fetched.checkouts[index], problems, cache
                )
            else:
                plugin = load_entry(reader, manifest_doc, index, raw, problems, cache, folders, read)
            if plugin is not None:
                plugins.append(plugin)
    return Marketplace(
        root=root,
        manifest=manifest,
        manifest_doc=manifest_doc,
        plugins=_addressed(plugins),
        access=access,
        access_doc=access_doc,
        config=config,
        lifecycle=load_lifecycle(root, problems),
        problems=tuple(problems),
        remote=report,
    )


def find_root(path: Path | str) -> Path:
    """The marketplace root at or above `path` (the nearest folder with .claude-plugin/
    marketplace.json), so that a command run inside a plugin folder finds its repository;
    `path` itself when no folder above holds one."""
    start = Path(os.path.realpath(path))
    for folder in (start, *start.parents):
        if (folder / MARKETPLACE_JSON).is_file():
            return folder
        if (folder / ".git").exists():
            break  # the repository's top: a marketplace is never above it
    return Path(path)


def _addressed(plugins: list[Plugin]) -> tuple[Plugin, ...]:
    """Give every skill its address: its name, or plugin/skill where another plugin shares it."""
    counts = Counter(s.name for p in plugins for s in p.skills)

    def ref(skill: Skill) -> str:
        return f"{skill.plugin}/{skill.name}" if counts[skill.name] > 1 else skill.name

    def addressed(plugin: Plugin) -> Plugin:
        if all(s.ref == ref(s) for s in plugin.skills):  # a summary's skills come with their names
            return plugin
        return dataclasses.replace(
            plugin, skills=tuple(dataclasses.replace(s, ref=ref(s)) for s in plugin.skills)
        )

    return tuple(addressed(p) for p in plugins)
