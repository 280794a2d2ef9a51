"""The loaded marketplace: an immutable picture of the repo, every file read once."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from skillport_build.models import (
    AccessPolicy,
    MarketplaceManifest,
    PluginEntry,
    PluginManifest,
    SkillFrontMatter,
    ValidateConfig,
)
from skillport_build.models.lifecycle import Lifecycle
from skillport_build.repo.diagnostics import Diagnostic
from skillport_build.repo.digest import content_digest
from skillport_build.repo.documents import JsonDocument, YamlDocument

# What a plugin with no version is built as; the first `skillport bump` writes 0.0.1 into it.
UNVERSIONED = "0.0.0"


@dataclass(frozen=True)
class FileEntry:
    """One file: path relative to its skill or plugin, size, digest, mode and (kept) bytes."""

    path: str
    size: int
    sha256: str
    executable: bool
    data: bytes | None  # None for a file over the size limit: hashed, not kept


@dataclass(frozen=True)
class Skill:
    """A skill folder and its parsed SKILL.md."""

    name: str  # the folder name, which `name` in the front matter must equal
    plugin: str
    path: str  # repo-relative folder
    files: tuple[FileEntry, ...]
    front_matter: SkillFrontMatter | None  # None when SKILL.md is missing or invalid
    front_matter_doc: YamlDocument | None
    front_matter_text: str
    body: str
    body_line: int  # line of SKILL.md where the body starts
    ref: str = ""  # how it is addressed: its name, or plugin/skill where another plugin shares it
    noted_digest: str | None = None  # a summary plugin's skill: the digest the build cache noted

    @property
    def slug(self) -> str:
        """`ref` as one path segment (store keys, page files)."""
        return (self.ref or self.name).replace("/", ".")

    @cached_property
    def digest(self) -> str:
        """The skill's identity: a hash over its normalised files."""
        return self.noted_digest or content_digest(self.files)

    @property
    def skill_md(self) -> str:
        """Repo-relative path of SKILL.md."""
        return f"{self.path}/SKILL.md"

    def file(self, path: str) -> FileEntry | None:
        """Return a file of this skill by its relative path."""
        return next((f for f in self.files if f.path == path), None)


@dataclass(frozen=True)
class Origin:
    """Where a remote plugin came from: the entry's source and the commit it resolved to."""

    kind: str  # github, url, git-subdir or npm
    location: str  # OWNER/REPO for github, the package for npm, else the repository URL (no credentials)
    path: str | None  # the folder of a git-subdir source
    ref: str | None  # the ref (npm: the range or tag) the entry names, if it is not a pin
    commit: str  # the 40-hex commit the files are from; for npm the exact version

    @property
    def label(self) -> str:
        """How messages name it: github:OWNER/REPO, the URL, plus the folder of a git-subdir."""
        where = f"{self.kind}:{self.location}" if self.kind in ("github", "npm") else self.location
        return f"{where}//{self.path}" if self.path else where


@dataclass(frozen=True)
class RemoteReport:
    """What loading did with the remote entries (labels are `entry (source)`)."""

    fetched: tuple[str, ...] = ()  # fetched over the network now
    reused: tuple[str, ...] = ()  # taken from the fetch cache, no network
    skipped: tuple[str, ...] = ()  # not built, with the reason (`--remote skip`, or unsupported)
    unpinned: tuple[str, ...] = ()  # resolved from a ref or branch, not a pinned `sha`


@dataclass(frozen=True)
class Summary:
    """What the build cache notes of a plugin besides its files: enough to plan it, check its
    bundles and copy its records, without reading the folder or the cached file list."""

    version: str | None  # the version of record when it was noted (Plugin.version)
    digest: str  # the plugin's content digest then


@dataclass(frozen=True)
class Plugin:
    """A plugin listed in marketplace.json with a local folder."""

    name: str
    path: str  # repo-relative folder ("." for the repo root)
    index: int  # position in marketplace.json `plugins`
    entry: PluginEntry
    manifest: PluginManifest | None
    manifest_doc: JsonDocument | None
    files: tuple[FileEntry, ...]  # relative to the plugin folder
    skills: tuple[Skill, ...]
    problems: tuple[Diagnostic, ...] = ()  # what loading found here; from a cache: every finding
    cached: bool = False  # rebuilt from the build cache: files carry no bytes, rules already ran
    fingerprint: str | None = None  # what the build cache knows the folder by
    origin: Origin | None = None  # a remote entry's source and commit; None for a folder of the repo
    summary: Summary | None = None  # set on a cached plugin that has no files, manifest or front
    # matter yet (BuildCache.expand gives them): its digests and its skills' are the noted ones

    @cached_property
    def digest(self) -> str:
        """The plugin's identity: a hash over all its normalised files."""
        return self.summary.digest if self.summary is not None else content_digest(self.files)

    @property
    def version(self) -> str | None:
        """The version of record: plugin.json's, else the marketplace entry's. A remote plugin's
        entry wins: its plugin.json lives in another repository, which `skillport bump` cannot edit."""
        if self.summary is not None:
            return self.summary.version
        if self.origin is not None and self.entry.version:
            return self.entry.version
        if self.manifest and self.manifest.version:
            return self.manifest.version
        return self.entry.version

    @property
    def release_version(self) -> str:
        """The version a build gives it: the version of record, else UNVERSIONED."""
        return self.version or UNVERSIONED

    def rel(self, path: str) -> str:
        """Turn a plugin-relative path into a repo-relative one."""
        return path if self.path == "." else f"{self.path}/{path}"


@dataclass(frozen=True)
class Marketplace:
    """The whole repository as the pipeline sees it."""

    root: Path
    manifest: MarketplaceManifest | None
    manifest_doc: JsonDocument | None
    plugins: tuple[Plugin, ...]
    access: AccessPolicy | None
    access_doc: JsonDocument | YamlDocument | None
    config: ValidateConfig
    lifecycle: Lifecycle
    problems: tuple[Diagnostic, ...]  # what loading found outside plugin folders
    remote: RemoteReport = field(default_factory=RemoteReport)  # what became of remote entries

    @property
    def skills(self) -> tuple[Skill, ...]:
        """Every skill of every plugin, in marketplace order."""
        return tuple(s for p in self.plugins for s in p.skills)

    def plugin(self, name: str) -> Plugin | None:
        """Return a plugin by name."""
        return next((p for p in self.plugins if p.name == name), None)
