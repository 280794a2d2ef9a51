"""The catalog: one canonical, signed JSON document that everything downstream of `build` reads."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from skillport_build.errors import CatalogError
from skillport_build.models.access import AccessPolicy
from skillport_build.models.base import gc_paused

SCHEMA_ID = "https://skillport.dev/schemas/catalog/v1.json"
SCHEMA_FILE = Path(__file__).parent / "schemas" / "catalog.schema.json"


class Record(BaseModel):
    """A frozen catalog value; unknown keys are refused so a tampered shape fails loudly."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class FileRecord(Record):
    """One file of a skill, as it is in the bundle."""

    path: str = Field(description="path inside the skill folder")
    sha256: str = Field(description="hex sha256 of the source file")
    size: int = Field(description="bytes")
    executable: bool = Field(default=False, description="mode 755 in the bundle")


class Bundle(Record):
    """A zip in the store."""

    path: str = Field(description="path relative to the store root")
    sha256: str = Field(description="hex sha256 of the zip")
    size: int = Field(description="bytes")


class Release(Record):
    """One published version of a skill or plugin."""

    version: str
    digest: str = Field(description="content digest of the source files")
    bundle: Bundle
    catalog_version: int = Field(description="the catalog that first published it")
    published_at: str = Field(description="RFC 3339 UTC time of that catalog")
    yanked: str | None = Field(default=None, description="why it was withdrawn, when it was")


class Deprecation(Record):
    """A skill or plugin on its way out."""

    reason: str
    replacement: str | None = None


class SkillRecord(Record):
    """A skill as published: metadata, identity, bundle, files and history."""

    name: str
    plugin: str
    version: str
    description: str
    license: str | None = None
    compatibility: str | None = None
    metadata: dict[str, str] = Field(default_factory=dict)
    allowed_tools: str | None = None
    surfaces: tuple[str, ...]
    category: str | None = None
    tags: tuple[str, ...] = ()
    digest: str
    bundle: Bundle
    files: tuple[FileRecord, ...]
    history: tuple[Release, ...] = Field(description="every published version, oldest first")
    deprecated: Deprecation | None = None
    id: str | None = Field(
        default=None, description="plugin/skill, when another plugin has a skill of the same name"
    )

    def release(self, version: str) -> Release | None:
        """The history entry for a version."""
        return next((r for r in self.history if r.version == version), None)

    @property
    def ref(self) -> str:
        """How the skill is addressed: its name, or plugin/skill where the name repeats."""
        return self.id or self.name

    @property
    def slug(self) -> str:
        """`ref` as one path segment (store keys, page files): plugin.skill where the name repeats."""
        return self.ref.replace("/", ".")


def skill_ref(plugin: str, name: str) -> str:
    """The plugin/skill form of a skill's address (Claude Code writes plugin:skill)."""
    return f"{plugin}/{name}"


class Author(Record):
    """Who maintains a plugin."""

    name: str
    email: str | None = None
    url: str | None = None


class Origin(Record):
    """Where a remote plugin's files were fetched from: its entry's source and the commit."""

    source: str = Field(description="github, url, git-subdir or npm")
    location: str = Field(description="OWNER/REPO for github, the package for npm, else the repository URL")
    path: str | None = Field(default=None, description="the folder of a git-subdir source")
    ref: str | None = Field(default=None, description="the ref (npm: range or tag) the entry names, if any")
    commit: str = Field(description="the 40-hex commit the bundle was built from; for npm the exact version")


class PluginRecord(Record):
    """A plugin as published, with its Claude Code bundle."""

    name: str
    version: str
    description: str | None = None
    author: Author | None = None
    category: str | None = None
    tags: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    homepage: str | None = None
    license: str | None = None
    surfaces: tuple[str, ...]
    digest: str
    bundle: Bundle
    skills: tuple[str, ...]
    components: tuple[str, ...] = Field(default=(), description="commands, agents, hooks, mcp, ...")
    history: tuple[Release, ...]
    deprecated: Deprecation | None = None
    origin: Origin | None = Field(
        default=None, description="a remote entry's source and resolved commit; absent for a repo folder"
    )

    def release(self, version: str) -> Release | None:
        """The history entry for a version."""
        return next((r for r in self.history if r.version == version), None)


class Removed(Record):
    """A skill or plugin that was published once and is gone now (update checks report it)."""

    kind: str = Field(pattern="^(skill|plugin)$")
    name: str
    last_version: str
    removed_in: int = Field(description="the catalog_version that dropped it")
    history: tuple[Release, ...] = ()
    readers: tuple[str, ...] | None = Field(
        default=None,
        description="who could read it when it was removed (only they hear of it); none recorded: admins",
    )


class Source(Record):
    """Where the catalog was built from."""

    repository: str | None = None
    commit: str | None = None


class Owner(Record):
    """The marketplace's owner."""

    name: str
    email: str | None = None
    url: str | None = None


class MarketplaceInfo(Record):
    """The marketplace the catalog describes."""

    name: str
    owner: Owner
    description: str | None = None


class Catalog(Record):
    """The whole catalog."""

    schema_id: str = Field(default=SCHEMA_ID, alias="$schema")
    catalog_version: int = Field(ge=1, description="previous + 1; consumers refuse to go back")
    generated_at: str
    expires: str = Field(description="consumers refuse the catalog after this time")
    source: Source
    marketplace: MarketplaceInfo
    plugins: tuple[PluginRecord, ...]
    skills: tuple[SkillRecord, ...]
    removed: tuple[Removed, ...] = ()
    access: AccessPolicy
    proofs: dict[str, str] = Field(
        default_factory=dict,
        description="skill:<ref> / plugin:<name> -> each record signed on its own (trust/records.py)",
    )
    texts: tuple[Bundle, ...] | None = Field(
        default=None,
        description="the search texts documents (models/texts.py): every skill's SKILL.md text, zstd",
    )

    @cached_property
    def _skills(self) -> dict[str, SkillRecord]:
        """Every skill under plugin/skill, and under its bare name where that is unique."""
        found = {skill_ref(s.plugin, s.name): s for s in self.skills}
        found.update({s.slug: s for s in self.skills})
        counts = Counter(s.name for s in self.skills)
        found.update({s.name: s for s in self.skills if counts[s.name] == 1})
        return found

    @cached_property
    def _plugins(self) -> dict[str, PluginRecord]:
        return {p.name: p for p in self.plugins}

    def skill(self, ref: str) -> SkillRecord | None:
        """A skill by its name, plugin/skill or plugin:skill; None for a bare name two plugins share."""
        return self._skills.get(ref.replace(":", "/", 1))

    def plugin(self, name: str) -> PluginRecord | None:
        """A plugin by name."""
        return self._plugins.get(name)

    def records(self) -> tuple[SkillRecord | PluginRecord, ...]:
        """Every current skill and plugin."""
        return (*self.skills, *self.plugins)

    def to_bytes(self) -> bytes:
        """Canonical JSON: sorted keys, no insignificant whitespace, UTF-8."""
        return canonical_json(self.model_dump(mode="json", by_alias=True, exclude_none=True))

    def encode(self, known: Mapping[int, bytes] | None = None) -> tuple[bytes, dict[int, tuple[int, int]]]:
        """The bytes of to_bytes, and (offset, length) of every plugin and skill record in them by the
        record's id(); a record whose id() is in `known` is written as those bytes unencoded, which
        must be its canonical JSON (as an earlier encode cut it out), so a rebuild serialises only
        what changed. The document is a dict of sorted keys, so writing it key by key is canonical."""
        known = known or {}
        head = self.model_dump(mode="json", by_alias=True, exclude_none=True, exclude={"plugins", "skills"})
        out, spans = bytearray(b"{"), {}
        for key in sorted([*head, "plugins", "skills"]):
            out += canonical_json(key) + b":"
            if key not in ("plugins", "skills"):
                out += canonical_json(head[key]) + b","
                continue
            out += b"["
            for record in getattr(self, key):
                part = known.get(id(record)) or canonical_json(
                    record.model_dump(mode="json", by_alias=True, exclude_none=True)
                )
                spans[id(record)] = (len(out), len(part))
                out += part + b","
            if out.endswith(b","):
                del out[-1]
            out += b"],"
        out[-1:] = b"}"
        return bytes(out), spans

    @classmethod
    def from_bytes(cls, raw: bytes, source: str = "catalog.json") -> Catalog:
        """Parse and check a catalog; any problem is a CatalogError naming the source."""
        with gc_paused():
            return cls._from_bytes(raw, source)

    @classmethod
    def _from_bytes(cls, raw: bytes, source: str) -> Catalog:
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise CatalogError(f"{source} is not valid JSON: {exc}") from None
        if not isinstance(data, dict) or data.get("$schema") != SCHEMA_ID:
            raise CatalogError(f"{source} is not a Skillport catalog (expected $schema {SCHEMA_ID})")
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise CatalogError(f"{source} has an invalid catalog at {where}: {first['msg']}") from None

    @classmethod
    def load(cls, path: Path) -> Catalog:
        """Read a catalog file (a folder means its catalog.json)."""
        return cls.load_with_digest(path)[0]

    @classmethod
    def load_with_digest(cls, path: Path) -> tuple[Catalog, str]:
        """Read a catalog file and the sha256 of its bytes with the proofs left out: once signed,
        the catalog.json a build wrote still has the digest the build saw (see unsigned_digest)."""
        catalog, unsigned = cls.load_unsigned(path)
        return catalog, hashlib.sha256(unsigned).hexdigest()

    @classmethod
    def load_unsigned(cls, path: Path) -> tuple[Catalog, bytes]:
        """Read a catalog file, and its bytes with the proofs left out (see unsigned_bytes)."""
        path = path / "catalog.json" if path.is_dir() else path
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise CatalogError(f"cannot read catalog {path}: {exc.strerror}") from None
        catalog = cls.from_bytes(raw, str(path))
        return catalog, unsigned_bytes(raw, catalog.proofs)

    def is_expired(self, now: datetime) -> bool:
        """Tell whether `now` is past `expires`."""
        return now >= parse_time(self.expires)


def unsigned_digest(raw: bytes, proofs: dict[str, str]) -> str:
    """sha256 of canonical catalog bytes with `"proofs":{}` where signing put the records' proofs
    (a catalog that is not canonical simply matches no build's output)."""
    return hashlib.sha256(unsigned_bytes(raw, proofs)).hexdigest()


def unsigned_bytes(raw: bytes, proofs: dict[str, str]) -> bytes:
    """Catalog bytes with `"proofs":{}` where signing put the records' proofs: what the build wrote."""
    if proofs:
        signed = b'"proofs":' + canonical_json(proofs)
        at = raw.rfind(signed)
        if at >= 0:
            raw = raw[:at] + b'"proofs":{}' + raw[at + len(signed) :]
    return raw


def canonical_json(value: Any) -> bytes:
    """Serialise JSON canonically (sorted keys, compact, UTF-8)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def format_time(moment: datetime) -> str:
    """RFC 3339 in UTC with a Z, to the second."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> datetime:
    """Read a time written by format_time (or any ISO 8601 with a zone)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def json_schema() -> dict[str, Any]:
    """The JSON Schema of catalog.json, as shipped in schemas/catalog.schema.json."""
    schema = Catalog.model_json_schema(by_alias=True, mode="serialization")
    return {"$id": SCHEMA_ID, "$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
