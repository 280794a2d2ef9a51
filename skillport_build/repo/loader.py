"""Load a marketplace repository into an immutable `Marketplace`, reading each file once.

Loading never raises for a user mistake inside the tree: what cannot be read, parsed or typed
becomes a diagnostic in `Marketplace.problems`, and the rest is still loaded so that validation
can report every problem in one run.
"""

from __future__ import annotations

import bisect
import dataclasses
import hashlib
import os
from collections import Counter
from pathlib import Path
from typing import Any, TypeVar

from skillport_build.errors import ManifestError
from skillport_build.models import (
    AccessPolicy,
    MarketplaceManifest,
    PluginEntry,
    PluginManifest,
    SkillFrontMatter,
    ValidateConfig,
)
from skillport_build.models.access import from_legacy_json
from skillport_build.models.catalog import canonical_json
from skillport_build.models.lifecycle import Lifecycle
from skillport_build.models.skill import split_front_matter
from skillport_build.repo import components
from skillport_build.repo.buildcache import BuildCache, plugin_fingerprint
from skillport_build.repo.diagnostics import Diagnostic
from skillport_build.repo.digest import sha256_bytes
from skillport_build.repo.documents import DocumentError, JsonDocument, YamlDocument, decode_text
from skillport_build.repo.gitfetch import Checkout
from skillport_build.repo.jsonedit import set_key
from skillport_build.repo.marketplace import FileEntry, Marketplace, Plugin, RemoteReport, Skill
from skillport_build.repo.remote import RemoteSources
from skillport_build.repo.rules import rule
from skillport_build.repo.schema import check
from skillport_build.repo.tree import TreeReader

S = TypeVar("S", ValidateConfig, Lifecycle)

MARKETPLACE_JSON = ".claude-plugin/marketplace.json"
PLUGIN_JSON = ".claude-plugin/plugin.json"
ACCESS_YAML = ".skillport/access.yaml"
ACCESS_JSON = ".skillport/access.json"
VALIDATE_YAML = ".skillport/validate.yaml"
LIFECYCLE_YAML = ".skillport/lifecycle.yaml"


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
    config = _load_config(root, problems)
    reader = TreeReader(root, config.max_file_bytes, problems, frozenset(config.large_files))
    manifest_doc, manifest = _load_manifest(root, problems)
    access, access_doc = _load_access(root, problems)
    plugins = []
    report = RemoteReport()
    if manifest is not None and manifest_doc is not None:
        fetched = remote.resolve(manifest.plugins) if remote is not None else None
        report = fetched.report if fetched is not None else report
        folders = sorted({f for f in _local_folders(manifest.plugins) if f is not None})
        read = _Reads()
        for index, raw in enumerate(manifest.plugins):
            if fetched is not None and index in fetched.checkouts:
                plugin = _load_remote(
                    config, manifest_doc, index, raw, fetched.checkouts[index], problems, cache
                )
            else:
                plugin = _load_entry(reader, manifest_doc, index, raw, problems, cache, folders, read)
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
        lifecycle=_load_lifecycle(root, problems),
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

    return tuple(
        dataclasses.replace(p, skills=tuple(dataclasses.replace(s, ref=ref(s)) for s in p.skills))
        for p in plugins
    )


@dataclasses.dataclass
class _Reads:
    """The folders one load has read: entries that share a folder (often the root) read it once."""

    read: dict[Path, list[FileEntry]] = dataclasses.field(default_factory=dict)
    problems: dict[Path, tuple[Diagnostic, ...]] = dataclasses.field(default_factory=dict)
    kept: dict[tuple[Path, tuple[str, ...]], list[FileEntry]] = dataclasses.field(default_factory=dict)
    fingerprints: dict[tuple[Path, tuple[str, ...]], str] = dataclasses.field(default_factory=dict)

    def files(self, reader: TreeReader, folder: Path, others: list[str]) -> list[FileEntry]:
        """The folder's files outside the other entries' folders in it."""
        if folder not in self.read:
            self.read[folder] = reader.read_folder(folder)
            self.problems[folder] = tuple(reader.problems)
        key = (folder, tuple(others))
        if key not in self.kept:
            self.kept[key] = list(components.outside(self.read[folder], others))
        return self.kept[key]


def _nested(folders: list[str], rel: str) -> list[str]:
    """The other entries' folders inside `rel` (all of them for the root), relative to it."""
    prefix = "" if rel == "." else f"{rel}/"
    found = []
    for other in folders[bisect.bisect_left(folders, prefix) :]:
        if not other.startswith(prefix):
            break
        if other not in (".", rel):
            found.append(other[len(prefix) :])
    return found


def _local_folders(entries: list[Any]) -> list[str | None]:
    """Each entry's `./` folder, repo-relative ("." for the root), None for other sources."""
    found: list[str | None] = []
    for raw in entries:
        source = raw.get("source") if isinstance(raw, dict) else None
        if isinstance(source, str) and source.startswith("./") and ".." not in source.split("/"):
            found.append(source[2:].rstrip("/") or ".")
        else:
            found.append(None)
    return found


def _read_small(path: Path, rel: str, problems: list[Diagnostic], rule_id: str) -> bytes | None:
    try:
        if path.is_symlink() or not path.is_file():
            problems.append(rule(rule_id)(rel, None, "must be a regular file, not a link or folder"))
            return None
        return path.read_bytes()
    except OSError as exc:
        problems.append(rule("file-unreadable")(rel, None, f"cannot read: {exc.strerror}"))
        return None


def _parse_json(rel: str, raw: bytes, problems: list[Diagnostic], rule_id: str) -> JsonDocument | None:
    try:
        return JsonDocument.parse(rel, raw)
    except DocumentError as exc:
        problems.append(rule(rule_id)(rel, exc.line, f"{rel} {exc.message}"))
        return None


def _load_manifest(
    root: Path, problems: list[Diagnostic]
) -> tuple[JsonDocument | None, MarketplaceManifest | None]:
    path = root / MARKETPLACE_JSON
    if not path.exists():
        problems.append(
            rule("marketplace-missing")(
                MARKETPLACE_JSON,
                None,
                "no marketplace manifest; run `skillport init` or create .claude-plugin/marketplace.json",
            )
        )
        return None, None
    raw = _read_small(path, MARKETPLACE_JSON, problems, "marketplace-json-syntax")
    doc = _parse_json(MARKETPLACE_JSON, raw, problems, "marketplace-json-syntax") if raw else None
    if doc is None:
        return None, None
    if not isinstance(doc.data, dict):
        problems.append(rule("marketplace-json-syntax")(MARKETPLACE_JSON, 1, "must hold a JSON object"))
        return doc, None
    manifest, found = check(MarketplaceManifest, doc.data, doc)
    problems.extend(found)
    return doc, manifest


def _load_config(root: Path, problems: list[Diagnostic]) -> ValidateConfig:
    return _load_settings(root, VALIDATE_YAML, ValidateConfig, problems, "config-syntax")


def _load_lifecycle(root: Path, problems: list[Diagnostic]) -> Lifecycle:
    return _load_settings(root, LIFECYCLE_YAML, Lifecycle, problems, "lifecycle-syntax")


def _load_settings(root: Path, rel: str, model: type[S], problems: list[Diagnostic], syntax_rule: str) -> S:
    """An optional YAML file of `.skillport/`: its defaults when absent or unreadable."""
    path = root / rel
    if not path.exists():
        return model()
    raw = _read_small(path, rel, problems, syntax_rule)
    doc = _parse_yaml(rel, raw, problems, syntax_rule) if raw else None
    if doc is None:
        return model()
    value, found = check(model, doc.data or {}, doc)
    problems.extend(found)
    return value or model()


def _parse_yaml(rel: str, raw: bytes, problems: list[Diagnostic], rule_id: str) -> YamlDocument | None:
    try:
        return YamlDocument.parse(rel, decode_text(raw))
    except DocumentError as exc:
        problems.append(rule(rule_id)(rel, exc.line, f"{rel} {exc.message}"))
        return None


def _load_access(
    root: Path, problems: list[Diagnostic]
) -> tuple[AccessPolicy | None, JsonDocument | YamlDocument | None]:
    if (root / ACCESS_YAML).exists():
        raw = _read_small(root / ACCESS_YAML, ACCESS_YAML, problems, "access-syntax")
        doc: JsonDocument | YamlDocument | None = (
            _parse_yaml(ACCESS_YAML, raw, problems, "access-syntax") if raw else None
        )
        data = doc.data if doc else None
        rel = ACCESS_YAML
    elif (root / ACCESS_JSON).exists():
        raw = _read_small(root / ACCESS_JSON, ACCESS_JSON, problems, "access-syntax")
        doc = _parse_json(ACCESS_JSON, raw, problems, "access-syntax") if raw else None
        data = from_legacy_json(doc.data) if doc and isinstance(doc.data, dict) else None
        rel = ACCESS_JSON
    else:
        problems.append(
            rule("access-missing")(
                ACCESS_YAML,
                None,
                "no access policy yet: Claude Code does not need one, but `skillport build` and the "
                "proxy refuse to go on without it (they fail closed); `skillport new access` writes "
                "one that lets every signed-in user read everything, to edit from there",
            )
        )
        return None, None
    if doc is None:
        return None, None
    if not isinstance(data, dict):
        problems.append(rule("access-schema")(rel, 1, "the access policy must be a mapping"))
        return None, doc
    policy, found = check(AccessPolicy, data, doc)
    problems.extend(found)
    return policy, doc


def _load_entry(
    reader: TreeReader,
    doc: JsonDocument,
    index: int,
    raw: Any,
    problems: list[Diagnostic],
    cache: BuildCache | None,
    folders: list[str],
    read: _Reads,
) -> Plugin | None:
    label = f"plugins[{index}]" + (
        f" ({raw['name']})" if isinstance(raw, dict) and isinstance(raw.get("name"), str) else ""
    )
    entry, found = check(PluginEntry, raw, doc, prefix=("plugins", index), label=f"{label}: ")
    problems.extend(found)
    if entry is None or entry.local_path is None:
        return None
    folder = reader.root / entry.local_path
    if not reader.inside(folder):
        problems.append(
            rule("entry-source-path")(
                doc.path, doc.line(("plugins", index, "source")), f"{label}: `source` leaves the repository"
            )
        )
        return None
    if not folder.is_dir():
        problems.append(
            rule("plugin-folder-missing")(
                doc.path,
                doc.line(("plugins", index, "source")),
                f"{label}: `source` {entry.source!r} is not a folder in the repository; "
                "create it or fix the path",
            )
        )
        return None
    nested = _nested(folders, entry.local_path)
    # A root plugin's files leave out the marketplace's own (components.REPO_ONLY): so does its print.
    unseen = (*nested, *components.REPO_ONLY_PATHS) if entry.local_path == "." else tuple(nested)
    rel = reader.rel(folder)
    fingerprint = (
        plugin_fingerprint(folder, raw, cache.salt, read.fingerprints, unseen, cache.index, rel)
        if cache
        else None
    )
    if cache and fingerprint and (hit := cache.plugin(rel, fingerprint, entry, index)):
        return hit
    own = TreeReader(reader.root, reader.max_file_bytes, [], reader.large_files)
    plugin = _load_plugin(own, entry, index, folder, own.problems, nested, read)
    return dataclasses.replace(plugin, problems=tuple(own.problems), fingerprint=fingerprint)


def _load_remote(
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
    label = f"plugins[{index}]" + (f" ({raw['name']})" if isinstance(raw.get("name"), str) else "")
    entry, found = check(PluginEntry, raw, doc, prefix=("plugins", index), label=f"{label}: ")
    problems.extend(found)
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
    plugin = _versioned(_load_plugin(reader, entry, index, folder, reader.problems, [], _Reads()))
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


def _load_plugin(
    reader: TreeReader,
    entry: PluginEntry,
    index: int,
    folder: Path,
    problems: list[Diagnostic],
    others: list[str],
    read: _Reads,
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
        manifest_doc = _parse_json(manifest_path, plugin_json.data, problems, "plugin-json-syntax")
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
    skills = tuple(_load_skill(reader, name, folder, skill_dir, list(mine), problems) for skill_dir in dirs)
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


def _load_skill(
    reader: TreeReader,
    plugin: str,
    plugin_dir: Path,
    skill_dir: Path,
    plugin_files: list[FileEntry],
    problems: list[Diagnostic],
) -> Skill:
    prefix = Path(os.path.relpath(skill_dir, plugin_dir)).as_posix()
    prefix = "" if prefix == "." else prefix + "/"
    files = tuple(
        FileEntry(f.path[len(prefix) :], f.size, f.sha256, f.executable, f.data)
        for f in plugin_files
        if f.path.startswith(prefix) and not (prefix == "" and f.path.startswith(".claude-plugin/"))
    )
    rel = reader.rel(skill_dir)
    skill_md = next((f for f in files if f.path == "SKILL.md"), None)
    empty = Skill(skill_dir.name, plugin, rel, files, None, None, "", "", 1)
    if skill_md is None:
        problems.append(
            rule("skill-md-missing")(
                rel,
                None,
                f"skill folder has no SKILL.md; add one (`skillport new skill {skill_dir.name} "
                f"--plugin {plugin}`) or move the folder out of skills/",
            )
        )
        return empty
    if skill_md.data is None:
        return empty  # over the size limit: the file-size rule says so
    return _parse_skill(empty, skill_md.data, problems)


def _parse_skill(skill: Skill, raw: bytes, problems: list[Diagnostic]) -> Skill:
    path = skill.skill_md
    try:
        text = decode_text(raw)
    except DocumentError as exc:
        problems.append(rule("skill-md-encoding")(path, exc.line, f"SKILL.md {exc.message}"))
        return skill
    split = split_front_matter(text)
    if isinstance(split, str):
        problems.append(rule("frontmatter-missing")(path, 1, split))
        return skill
    fm_text, body, body_line = split
    try:
        doc = YamlDocument.parse(path, fm_text, first_line=2)
    except DocumentError as exc:
        hint = ""
        if "mapping values are not allowed" in exc.message:
            hint = "; put values that contain `: ` in quotes"
        problems.append(rule("frontmatter-syntax")(path, exc.line, f"front matter {exc.message}{hint}"))
        return _replace(skill, fm_text, body, body_line, None, None)
    if not isinstance(doc.data, dict) or not all(isinstance(k, str) for k in doc.data):
        problems.append(
            rule("frontmatter-not-mapping")(
                path, 2, "front matter must be a mapping of names to values (`name: my-skill`)"
            )
        )
        return _replace(skill, fm_text, body, body_line, None, doc)
    front_matter, found = check(SkillFrontMatter, doc.data, doc)
    problems.extend(found)
    return _replace(skill, fm_text, body, body_line, front_matter, doc)


def _replace(
    skill: Skill,
    fm_text: str,
    body: str,
    body_line: int,
    front_matter: SkillFrontMatter | None,
    doc: YamlDocument | None,
) -> Skill:
    return dataclasses.replace(
        skill,
        front_matter_text=fm_text,
        body=body,
        body_line=body_line,
        front_matter=front_matter,
        front_matter_doc=doc,
    )
