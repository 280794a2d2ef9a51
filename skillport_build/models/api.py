"""The proxy's HTTP answers, defined once: the proxy builds and dumps them, the CLI validates them,
the MCP connector reuses them where its answer has the same shape.

Every answer keeps keys it does not declare (`extra="allow"`), so an older CLI still reads a newer
proxy. `dump` leaves out what the proxy did not set (a search score without a query, the reason of
an update that has none), so each answer carries only what applies.
"""

from __future__ import annotations

import json
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field


class Answer(BaseModel):
    """A JSON object the proxy sends."""

    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)

    def dump(self) -> dict[str, Any]:
        """The JSON-ready dict, without the fields that were never set."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)

    def dump_json(self) -> bytes:
        """Compact UTF-8 JSON of `dump`."""
        return self.model_dump_json(by_alias=True, exclude_unset=True).encode()


AnswerT = TypeVar("AnswerT", bound=Answer)


class SkillSummary(Answer):
    """A skill as the list and search answers name it."""

    name: str
    plugin: str
    version: str = Field(description="the current version")
    description: str
    category: str | None = None
    tags: list[str] = Field(default_factory=list)
    surfaces: list[str] = Field(default_factory=list)
    digest: str = Field(description="content digest of the current version's source files")
    sha256: str = Field(description="hex sha256 of the current version's zip, from the signed catalog")
    size: int
    deprecated: dict[str, Any] | None = None
    page: str | None = Field(default=None, description="the skill's page on the proxy")
    score: float | None = Field(default=None, description="search relevance, when there was a query")


class Published(Answer):
    """One published version of a skill."""

    version: str
    published_at: str
    yanked: str | None = Field(default=None, description="why it was withdrawn, when it was")
    digest: str | None = None
    sha256: str


class RecordProof(Answer):
    """One catalog record as the CI signed it, passed along by the proxy (see trust/records.py)."""

    marketplace: str
    catalog_version: int
    expires: str
    kind: Literal["skill", "plugin"]
    record: dict[str, Any] = Field(description="the catalog record, exactly as signed")
    signature: str = Field(description="base64 of the key id and the Ed25519 signature")


class SkillDetail(SkillSummary):
    """GET /api/skills/{name}: everything the proxy tells about one skill."""

    license: str | None = None
    compatibility: str | None = None
    allowed_tools: str | None = None
    metadata: dict[str, str] = Field(default_factory=dict)
    files: list[dict[str, Any]] = Field(default_factory=list)
    history: list[Published] = Field(default_factory=list)
    skill_md: str = ""
    proof: RecordProof | None = Field(default=None, description="the signed catalog record")

    def sha256_of(self, version: str) -> str | None:
        """The signed catalog's sha256 of a version's zip, None for a version it does not list."""
        if version == self.version:
            return self.sha256
        return next((r.sha256 for r in self.history if r.version == version), None)


class Proofs(Answer):
    """POST /api/proofs: the signed records of the skills and plugins asked for that the caller may
    read (one asked for and hidden is left out, exactly like one that does not exist)."""

    catalog_version: int
    proofs: list[RecordProof]


class TrustedKeys(Answer):
    """GET /api/keys: the public keys the proxy checks the catalog with (minisign format)."""

    keys: list[str]


class SearchResult(Answer):
    """GET /api/skills."""

    catalog_version: int
    count: int
    total: int | None = Field(default=None, description="matches before the limit")
    skills: list[SkillSummary]
    next: str | None = Field(default=None, description="the cursor of the next page, None on the last")

    @staticmethod
    def joined(catalog_version: int, total: int, skills: list[bytes], cursor: str | None) -> bytes:
        """The `dump_json` of a SearchResult with every field set, from its summaries' JSON (each
        made once per catalog): the same bytes, without validating and encoding fifty models."""
        head = b'{"catalog_version":%d,"count":%d,"total":%d,"skills":[' % (
            catalog_version,
            len(skills),
            total,
        )
        return b'%s%s],"next":%s}' % (head, b",".join(skills), json.dumps(cursor).encode())


class Link(Answer):
    """POST /api/skills/{name}/link: a signed, expiring download link for one version of a skill."""

    name: str
    version: str
    url: str
    expires: str
    sha256: str
    size: int
    filename: str


class UpdateStatus(Answer):
    """What the proxy says about one installed skill."""

    name: str
    status: str = Field(description="current, update, yanked, deprecated, removed or unknown")
    installed: str | None = None
    latest: str | None = None
    reason: str | None = None
    replacement: str | None = None
    last_version: str | None = None


class Updates(Answer):
    """POST /api/updates."""

    catalog_version: int
    results: list[UpdateStatus]


class ArchiveSource(Answer):
    """Where Claude Code gets a plugin: a zip and its sha256."""

    source: str
    url: str
    sha256: str


class MarketplaceEntry(Answer):
    """One plugin of the proxy's Claude Code marketplace."""

    name: str
    version: str | None = None
    source: ArchiveSource
    description: str | None = None
    category: str | None = None
    homepage: str | None = None
    license: str | None = None
    author: dict[str, Any] | None = None
    keywords: list[str] | None = None


class Marketplace(Answer):
    """GET /claude-code/marketplace.json: the caller's plugins."""

    name: str
    owner: dict[str, Any]
    metadata: dict[str, Any] = Field(default_factory=dict)
    plugins: list[MarketplaceEntry]


class DiscoveryEntry(Answer):
    """One skill of the agent-agnostic discovery index: a zip and its digest."""

    name: str
    type: str
    description: str
    url: str
    digest: str


class DiscoveryIndex(Answer):
    """GET /.well-known/skills/index.json (Agent Skills discovery)."""

    schema_: str = Field(alias="$schema")
    skills: list[DiscoveryEntry]


class Me(Answer):
    """GET /api/me: who the credentials name."""

    email: str
    groups: list[str] = Field(default_factory=list)
    via: str | None = None
    admin: bool = False


class TokenGrant(Answer):
    """POST /api/cli/token: a personal token made for this computer."""

    token: str = Field(repr=False)
    user: str
    token_id: str
