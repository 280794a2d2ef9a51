"""`.claude-plugin/marketplace.json`: the catalog of plugins Claude Code reads."""

from __future__ import annotations

import re
from typing import Any, ClassVar, Literal

from pydantic import Field, ValidationError, field_validator

from skillport_build.models.base import Model, fail, type_name
from skillport_build.models.plugin import (
    COMPONENT_KEYS,
    ENTRY_ONLY_KEYS,
    Author,
    Components,
    check_name,
    check_semver,
)
from skillport_build.models.plugin import KNOWN_KEYS as PLUGIN_KEYS

SURFACE_PREFIX = "surface:"
# Surface tags as the reference Skillport writes them, and the surfaces each one means.
SURFACE_TAGS: dict[str, frozenset[str]] = {
    "CC": frozenset({"claude-code"}),
    "CD": frozenset({"desktop"}),
    "CAI": frozenset({"claude-ai"}),
    "CDAI": frozenset({"desktop", "claude-ai"}),
    "CALL": frozenset({"claude-code", "desktop", "claude-ai"}),
}
ALL_SURFACES = SURFACE_TAGS["CALL"]
UPLOAD_SURFACES = frozenset({"desktop", "claude-ai"})
# What people read for each surface: the website, the CLI and the connector say the same.
SURFACE_LABELS = {"claude-ai": "Claude.ai", "desktop": "Claude Desktop", "claude-code": "Claude Code"}

KNOWN_KEYS = frozenset(
    {
        "$schema",
        "name",
        "version",
        "description",
        "owner",
        "plugins",
        "forceRemoveDeletedPlugins",
        "metadata",
        "allowCrossMarketplaceDependenciesOn",
        "renames",
    }
)
METADATA_KEYS = frozenset({"pluginRoot", "version", "description"})
ENTRY_KEYS = PLUGIN_KEYS | ENTRY_ONLY_KEYS
_HEX40 = re.compile(r"^[0-9a-f]{40}$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_GITHUB_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


class Owner(Model):
    """Who maintains the marketplace."""

    DEFAULT_RULE: ClassVar[str] = "marketplace-owner"

    name: str = Field(min_length=1, description="a person or team name")
    email: str | None = None
    url: str | None = None


class MarketplaceMetadata(Model):
    """Optional marketplace-level metadata."""

    DEFAULT_RULE: ClassVar[str] = "marketplace-field"

    description: str | None = None
    version: str | None = None
    pluginRoot: str | None = None


class _Source(Model):
    DEFAULT_RULE: ClassVar[str] = "entry-source-object"
    ref: str | None = None
    sha: str | None = None

    @field_validator("sha")
    @classmethod
    def _sha(cls, value: str | None) -> str | None:
        if value is not None and not _HEX40.match(value):
            fail("entry-source-object", "`sha` must be a full 40-character lowercase commit hash")
        return value


class GithubSource(_Source):
    """A plugin in a GitHub repository."""

    source: Literal["github"]
    repo: str = Field(description="OWNER/REPO")

    @field_validator("repo")
    @classmethod
    def _repo(cls, value: str) -> str:
        if not _GITHUB_REPO.match(value):
            fail("entry-source-object", f"`repo` {value!r} must be OWNER/REPO")
        return value


class UrlSource(_Source):
    """A plugin in any git repository reachable by URL."""

    source: Literal["url"]
    url: str


class GitSubdirSource(_Source):
    """A plugin in a folder of a git repository."""

    source: Literal["git-subdir"]
    url: str
    path: str


class NpmSource(Model):
    """A plugin published as an npm package."""

    DEFAULT_RULE: ClassVar[str] = "entry-source-object"
    source: Literal["npm"]
    package: str
    version: str | None = None
    registry: str | None = None


class ArchiveSource(Model):
    """A plugin zip served over HTTPS, optionally pinned by sha256."""

    DEFAULT_RULE: ClassVar[str] = "entry-source-object"
    source: Literal["archive"]
    url: str
    sha256: str | None = None

    @field_validator("url")
    @classmethod
    def _https(cls, value: str) -> str:
        if not value.startswith("https://"):
            fail("entry-source-object", "`url` must use https://")
        return value

    @field_validator("sha256")
    @classmethod
    def _sha256(cls, value: str | None) -> str | None:
        if value is not None and not _HEX64.match(value):
            fail("entry-source-object", "`sha256` must be 64 lowercase hex characters")
        return value


class CommandSource(Model):
    """A plugin produced by running a command."""

    DEFAULT_RULE: ClassVar[str] = "entry-source-object"
    source: Literal["command"]
    command: str | list[str]


SOURCE_TYPES: dict[str, type[Model]] = {
    "github": GithubSource,
    "url": UrlSource,
    "git-subdir": GitSubdirSource,
    "npm": NpmSource,
    "archive": ArchiveSource,
    "command": CommandSource,
}


def _check_source(value: Any) -> Any:
    if isinstance(value, str):
        if not value.startswith("./"):
            fail("entry-source-path", f"`source` {value!r} must be a relative path starting with ./")
        if ".." in value.split("/") or "\\" in value:
            fail("entry-source-path", f"`source` {value!r} must not contain `..` or backslashes")
        return value
    if not isinstance(value, dict):
        fail("entry-source-object", f"`source` must be a path or an object, not {type_name(value)}")
    kind = value.get("source")
    model = SOURCE_TYPES.get(kind) if isinstance(kind, str) else None
    if model is None:
        kinds = ", ".join(sorted(SOURCE_TYPES))
        fail("entry-source-object", f"`source.source` {kind!r} is not one of: {kinds}")
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        if first["type"] == "missing":
            fail("entry-source-object", f"a `{kind}` source needs `source.{where}`")
        if first["type"] == "entry-source-object":
            fail("entry-source-object", f"{first['msg']} (in a `{kind}` source)")
        fail("entry-source-object", f"`source.{where}`: {first['msg']} (in a `{kind}` source)")


class PluginEntry(Components):
    """One plugin listed in marketplace.json; may repeat any plugin.json field, components too."""

    FIELD_RULES: ClassVar[dict[str, str]] = {
        "name": "entry-name",
        "source": "entry-source-path",
        "version": "entry-version",
        "tags": "entry-field",
        **dict.fromkeys(COMPONENT_KEYS, "plugin-component-path"),
    }
    DEFAULT_RULE: ClassVar[str] = "entry-field"

    name: str = Field(description="the plugin's name, as in its plugin.json")
    source: Any = Field(description="./path inside the repo, or a source object")
    description: str | None = None
    version: str | None = None
    author: Author | None = None
    category: str | None = None
    tags: list[str] | None = None
    keywords: list[str] | None = None
    strict: bool | None = None
    homepage: str | None = None
    license: str | None = None

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, value: Any) -> str:
        return check_name(value, "entry-name", "plugin")

    @field_validator("source", mode="before")
    @classmethod
    def _source(cls, value: Any) -> Any:
        return _check_source(value)

    @field_validator("version", mode="before")
    @classmethod
    def _version(cls, value: Any) -> str | None:
        return check_semver(value, "entry-version", "version")

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str] | None) -> list[str] | None:
        for tag in value or ():
            if tag.startswith(SURFACE_PREFIX) and tag[len(SURFACE_PREFIX) :] not in SURFACE_TAGS:
                known = ", ".join(SURFACE_PREFIX + t for t in SURFACE_TAGS)
                fail("surface-tag", f"unknown surface tag {tag!r}; use one of {known}")
        return value

    @property
    def surfaces(self) -> frozenset[str]:
        """The surfaces this plugin's skills are meant for (no surface tag means all)."""
        found = [
            SURFACE_TAGS[t[len(SURFACE_PREFIX) :]]
            for t in self.tags or ()
            if t.startswith(SURFACE_PREFIX) and t[len(SURFACE_PREFIX) :] in SURFACE_TAGS
        ]
        return frozenset().union(*found) if found else ALL_SURFACES

    @property
    def local_path(self) -> str | None:
        """The entry's folder relative to the repo root, for `./` sources."""
        if isinstance(self.source, str):
            return self.source[2:].rstrip("/") or "."
        return None


class MarketplaceManifest(Model):
    """The marketplace manifest; entries are checked one by one as `PluginEntry`."""

    FIELD_RULES: ClassVar[dict[str, str]] = {
        "name": "marketplace-name",
        "owner": "marketplace-owner",
        "plugins": "marketplace-plugins",
        "renames": "marketplace-renames",
    }
    DEFAULT_RULE: ClassVar[str] = "marketplace-field"

    name: str = Field(description="the marketplace's identifier, kebab-case")
    owner: Owner = Field(description="who maintains it")
    metadata: MarketplaceMetadata | None = None
    description: str | None = None
    plugins: list[Any] = Field(description="the plugin entries")
    renames: dict[str, str | None] | None = Field(default=None, description="old name -> new name")

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, value: Any) -> str:
        return check_name(value, "marketplace-name", "marketplace")

    def entry_names(self) -> set[str]:
        """The names of every entry that has one, valid or not."""
        return {
            raw["name"] for raw in self.plugins if isinstance(raw, dict) and isinstance(raw.get("name"), str)
        }

    @property
    def summary(self) -> str | None:
        """The marketplace's description, wherever it was written."""
        return (self.metadata.description if self.metadata else None) or self.description
