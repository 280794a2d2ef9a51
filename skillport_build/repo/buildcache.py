"""The build cache: plugins whose folders did not change since the last build are not read again.

A plugin folder is known by a fingerprint of its files (in a git checkout, the index's blob ids and
the `lstat` of what git does not vouch for; else every file's path, mode, size, mtime and inode),
its marketplace entry, the validation settings and Skillport's version. When the fingerprint is
the same, the cache gives back the plugin's file list (with digests), its manifests and every
finding the rules made, so a one-skill change rebuilds one plugin. With `summaries` it gives back
less: the plugin's name, version and digests and its skills' names and paths (Plugin.summary),
enough to plan it and copy its records; `expand` gives the rest when a record must be made. The
cache lives in the build output (`OUT/.cache/`), which publishing never uploads; deleting it only
makes the next build slower.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from skillport_build import __version__
from skillport_build.models import PluginEntry, PluginManifest, SkillFrontMatter
from skillport_build.models.catalog import canonical_json
from skillport_build.repo.diagnostics import Diagnostic, Severity
from skillport_build.repo.gitindex import GitIndex
from skillport_build.repo.marketplace import FileEntry, Plugin, Skill, Summary
from skillport_build.repo.tree import SKIPPED_DIRS

CACHE_FILE = Path(".cache") / "skillport-build.json"
_FORMAT = 5
Spans = dict[str, list[int]]  # record key (plugin:<name>, skill:<ref>) -> [offset, length]


def plugin_fingerprint(
    folder: Path | str,
    entry: Any,
    salt: str,
    seen: dict[tuple[str, tuple[str, ...]], str] | None = None,
    skip: tuple[str, ...] = (),
    index: GitIndex | None = None,
    rel: str = ".",
) -> str:
    """Hash what a plugin folder (`rel` from the root) looks like to git's index, else to `stat`
    (less `skip`, other entries' folders inside it), plus its entry and the settings. Entries that
    share a folder pass one `seen`, so that the folder is looked at once."""
    key = (rel, skip)
    if seen is None or key not in seen:
        walked = _folder_print(folder, rel, skip, index)
        if seen is not None:
            seen[key] = walked
    else:
        walked = seen[key]
    return hashlib.sha256(f"{salt}\0{walked}\0".encode() + canonical_json(entry)).hexdigest()


def _folder_print(folder: Path | str, rel: str, skip: tuple[str, ...], index: GitIndex | None) -> str:
    """Blob ids where git vouches for the files (stable across clones), else every file's stat."""
    if index is not None and (found := index.fingerprint(rel, skip, folder_fingerprint)) is not None:
        return f"git:{found}"
    return folder_fingerprint(folder, frozenset(skip))


def folder_fingerprint(folder: Path | str, skip: frozenset[str] = frozenset()) -> str:
    """Hash what a folder looks like to `stat`: names, modes, sizes, times, inodes, links."""
    digest = hashlib.sha256()
    stack = [(str(folder), "")]
    while stack:
        path, prefix = stack.pop()
        with os.scandir(path) as entries:
            for item in sorted(entries, key=lambda e: e.name):
                if item.name in SKIPPED_DIRS or f"{prefix}{item.name}" in skip:
                    continue
                st = item.stat(follow_symlinks=False)
                digest.update(
                    f"{prefix}{item.name}\0{st.st_mode}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ino}\n".encode()
                )
                if item.is_symlink():
                    digest.update(os.readlink(item.path).encode() + b"\n")
                elif item.is_dir(follow_symlinks=False):
                    stack.append((item.path, f"{prefix}{item.name}/"))
    return digest.hexdigest()


def cache_salt(validate_yaml: bytes | None) -> str:
    """What invalidates every entry: Skillport's version and the validation settings."""
    return f"{__version__}:{hashlib.sha256(validate_yaml or b'').hexdigest()}"


@dataclass
class BuildCache:
    """Cached plugins and bundle stats, keyed by plugin folder and bundle path."""

    path: Path
    salt: str
    plugins: dict[str, list[Any]] = field(default_factory=dict)  # folder -> [fingerprint, detail, summary]
    # path -> [size, mtime_ns, sha256, digest, ino]
    bundles: dict[str, list[Any]] = field(default_factory=dict)
    index: GitIndex | None = None  # the work tree's git index, when the repository is a checkout
    catalog: str | None = None  # sha256 of the catalog.json the last build wrote
    records: dict[str, str] = field(default_factory=dict)  # plugin folder -> what its records came from
    spans: dict[str, Spans] = field(default_factory=dict)  # plugin folder -> its records in that catalog
    layout: list[int] = field(default_factory=list)  # where that catalog's record arrays start and end
    summaries: bool = False  # plugin() gives summaries (Plugin.summary), expand() the rest on demand
    _vouched: set[str] = field(
        default_factory=set, init=False, repr=False
    )  # bundles whose stat this build found as noted

    @classmethod
    def open(cls, out: Path, salt: str, index: GitIndex | None = None) -> BuildCache:
        """Read the cache in `out` (an unreadable or foreign one is simply empty); with `index`,
        plugin folders are known by git's blob ids rather than by their files' stat."""
        cache = cls(out / CACHE_FILE, salt, index=index)
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
            data = json.loads(cache.path.read_bytes())
            if data.get("format") == _FORMAT and data.get("salt") == salt:
                cache.plugins, cache.bundles = dict(data["plugins"]), dict(data["bundles"])
                cache.catalog, cache.records = data.get("catalog"), dict(data.get("records", {}))
                cache.spans, cache.layout = dict(data.get("spans", {})), list(data.get("layout", []))
        return cache

    def save(self) -> None:
        """Write the cache atomically."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "format": _FORMAT,
            "salt": self.salt,
            "plugins": self.plugins,
            "bundles": self.bundles,
            "catalog": self.catalog,
            "records": self.records,
            "spans": self.spans,
            "layout": self.layout,
        }
        fd, tmp = tempfile.mkstemp(prefix=".build-cache.", dir=self.path.parent)
        with os.fdopen(fd, "w") as handle:
            handle.write(json.dumps(data, separators=(",", ":")))  # dumps is C; dump is not
        os.replace(tmp, self.path)

    def plugin(self, folder: str, fingerprint: str, entry: PluginEntry, index: int) -> Plugin | None:
        """The cached plugin for a folder whose fingerprint is unchanged, or None; with
        `summaries`, only what its summary says (no file list, manifest or front matter)."""
        known = self.plugins.get(folder)
        if known is None or known[0] != fingerprint or len(known) != 3:
            return None
        if self.summaries:
            return _summary_plugin(folder, index, entry, fingerprint, known[2])
        return self._full(folder, fingerprint, entry, index, known[1])

    def expand(self, plugin: Plugin) -> Plugin:
        """A summary plugin with its cached files, manifest, front matter and findings (its
        skills keep their addresses and it keeps its origin); any other plugin as it is."""
        if plugin.summary is None or plugin.fingerprint is None:
            return plugin
        known = self.plugins[plugin.path]
        full = self._full(plugin.path, plugin.fingerprint, plugin.entry, plugin.index, known[1])
        refs = {skill.path: skill.ref for skill in plugin.skills}
        skills = tuple(dataclasses.replace(s, ref=refs.get(s.path, s.ref)) for s in full.skills)
        return dataclasses.replace(full, skills=skills, origin=plugin.origin)

    def _full(self, folder: str, fingerprint: str, entry: PluginEntry, index: int, detail: str) -> Plugin:
        data = json.loads(detail)
        files = tuple(FileEntry(p, size, sha, exe, None) for p, size, sha, exe in data["files"])
        manifest = PluginManifest.model_validate(data["manifest"]) if data["manifest"] is not None else None
        name = manifest.name if manifest else entry.name
        skills = tuple(_skill(name, folder, item, files) for item in data["skills"])
        findings = tuple(
            Diagnostic(p, line, r, Severity(sev), msg) for p, line, r, sev, msg in data["findings"]
        )
        return Plugin(name, folder, index, entry, manifest, None, files, skills, findings, True, fingerprint)

    def remember(self, plugin: Plugin, findings: list[Diagnostic]) -> None:
        """Store a freshly read plugin and what the rules found in it."""
        if plugin.cached or plugin.fingerprint is None:
            return
        data = {
            "files": [[f.path, f.size, f.sha256, f.executable] for f in plugin.files],
            "manifest": plugin.manifest.model_dump(mode="json", by_alias=True, exclude_none=True)
            if plugin.manifest
            else None,
            "skills": [
                {
                    "path": s.path,
                    "front_matter": s.front_matter.model_dump(mode="json", by_alias=True, exclude_none=True)
                    if s.front_matter
                    else None,
                }
                for s in plugin.skills
            ],
            "findings": [[d.path, d.line, d.rule, str(d.severity), d.message] for d in findings],
        }
        summary = [
            plugin.name,
            plugin.version,
            plugin.digest,
            [[s.name, s.path, s.digest] for s in plugin.skills],
        ]
        # The detail is kept as JSON text: a rebuild neither decodes nor encodes an unchanged one.
        self.plugins[plugin.path] = [plugin.fingerprint, json.dumps(data, separators=(",", ":")), summary]

    def records_from(self, folder: str, catalog: str | None) -> str | None:
        """The key of the inputs a plugin's records were last written from, if they were written
        into `catalog` (the sha256 of a catalog.json this cache saw written); else None."""
        return self.records.get(folder) if catalog is not None and catalog == self.catalog else None

    def remember_catalog(
        self, digest: str, records: dict[str, str], spans: dict[str, Spans], layout: list[int]
    ) -> None:
        """Note the catalog just written and, per plugin folder, the key of its records' inputs and
        where its records sit in the catalog's bytes; `layout`: where its two record arrays
        (plugins, skills) start and end."""
        self.catalog, self.records, self.spans, self.layout = digest, records, spans, layout

    def record_bytes(self, folder: str, catalog: bytes, digest: str) -> dict[str, bytes]:
        """A plugin's records cut out of `catalog` (whose sha256 is `digest`) by key, if it is the
        catalog this cache saw written; else nothing."""
        if digest != self.catalog:
            return {}
        return {key: catalog[at : at + length] for key, (at, length) in self.spans.get(folder, {}).items()}

    def forget(self, folders: Iterable[str]) -> None:
        """Drop plugins so that the next load reads them from disk."""
        for folder in folders:
            self.plugins.pop(folder, None)

    def bundle_sha256(self, st: os.stat_result, key: str) -> str | None:
        """The sha256 of a bundle this cache saw written, if its `stat` says it is untouched since."""
        known = self.bundles.get(key)
        if (
            known is None
            or len(known) != 5
            or [st.st_size, st.st_mtime_ns, st.st_ino] != [*known[:2], known[4]]
        ):
            return None
        self._vouched.add(key)
        return str(known[2])

    def remember_bundle(self, out: Path, key: str, sha256: str, digest: str) -> None:
        """Note the stat, sha256 and content digest of the bundle `key` in `out` after writing or
        checking it (a bundle whose stat this build already found as noted needs no second look)."""
        known = self.bundles.get(key)
        if key in self._vouched and known is not None and known[2:4] == [sha256, digest]:
            return
        st = os.stat(os.path.join(out, key))
        self.bundles[key] = [st.st_size, st.st_mtime_ns, sha256, digest, st.st_ino]

    def known_bundles(self) -> dict[tuple[str, str], str]:
        """(path, content digest) -> sha256 of every bundle this cache saw in OUT."""
        return {(path, entry[3]): entry[2] for path, entry in self.bundles.items() if len(entry) == 5}


def _summary_plugin(
    folder: str, index: int, entry: PluginEntry, fingerprint: str, noted: list[Any]
) -> Plugin:
    """A plugin made from its summary: names, paths, version and digests, nothing read."""
    name, version, digest, skills = noted
    made = tuple(
        Skill(skill_name, name, path, (), None, None, "", "", 1, skill_name, skill_digest)
        for skill_name, path, skill_digest in skills
    )
    return Plugin(
        name,
        folder,
        index,
        entry,
        None,
        None,
        (),
        made,
        (),
        True,
        fingerprint,
        summary=Summary(version, digest),
    )


def _skill(plugin: str, plugin_path: str, item: dict[str, Any], files: tuple[FileEntry, ...]) -> Skill:
    path = item["path"]
    prefix = (path if plugin_path == "." else path[len(plugin_path) + 1 :]) + "/"
    own = tuple(
        FileEntry(f.path[len(prefix) :], f.size, f.sha256, f.executable, None)
        for f in files
        if f.path.startswith(prefix)
    )
    front = (
        SkillFrontMatter.model_validate(item["front_matter"]) if item["front_matter"] is not None else None
    )
    return Skill(path.rsplit("/", 1)[-1], plugin, path, own, front, None, "", "", 1)
