"""The MCP Skills extension (`io.modelcontextprotocol/skills`): `skills/list`, `skills/get`, and
every file of a skill as a `skill://<name>/<path>` resource.

Entries carry the SKILL.md front matter verbatim and every file with its sha256 and size, taken
from the signed catalog; file bytes come from the skill's bundle after its digest was checked
against that catalog. Only skills the caller may read exist here: listing, getting and reading a
hidden skill is answered as for a skill that does not exist.
"""

from __future__ import annotations

import io
import threading
import zipfile
from collections.abc import Callable, Sequence
from typing import Any

import yaml
from mcp.server.context import ServerRequestContext
from mcp.server.mcpserver import Extension, MethodBinding
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS, PaginatedRequestParams, RequestParams

from skillport_build.models.access import Identity
from skillport_build.models.catalog import SkillRecord
from skillport_build.models.skill import split_front_matter
from skillport_build.proxy.service import Proxy
from skillport_build.repo.digest import sha256_bytes
from skillport_build.trust.records import proof_of

IDENTIFIER = "io.modelcontextprotocol/skills"
PAGE = 100
TTL_MS = 60_000
SKILL_MD = "SKILL.md"


class GetSkillParams(RequestParams):
    """`skills/get` names a skill by the URI of its SKILL.md."""

    uri: str


PROOF_META = "io.skillport/proof"


def skill_uri(name: str, path: str = SKILL_MD) -> str:
    """The resource URI of a file of a skill."""
    return f"skill://{name}/{path}"


class SkillFiles:
    """Entries and file bytes of the caller's visible skills."""

    def __init__(self, proxy: Proxy) -> None:
        self.proxy = proxy
        self._entries: dict[tuple[int, str], dict[str, Any]] = {}
        self._lock = threading.Lock()

    def visible(self, identity: Identity, name: str) -> SkillRecord | None:
        """The skill, if this person may read it."""
        return self.proxy.view(identity).skill(name)

    def files(self, skill: SkillRecord) -> dict[str, bytes]:
        """Every file of the skill, from its verified bundle."""
        data = self.proxy.bundles.read(skill.bundle)
        prefix = f"{skill.name}/"
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return {
                info.filename[len(prefix) :]: archive.read(info)
                for info in archive.infolist()
                if info.filename.startswith(prefix) and not info.is_dir()
            }

    def entry(self, skill: SkillRecord) -> dict[str, Any]:
        """The extension's Skill entry: URI, verbatim front matter, complete file manifest.

        Digests and sizes are of the bytes served (the bundle's files, whose zip was checked against
        the signed catalog): the bundle's SKILL.md carries the version the build stamped into it."""
        key = (self.proxy.indexed().catalog.catalog_version, skill.ref)
        with self._lock:
            cached = self._entries.get(key)
        if cached is not None:
            return cached
        files = self.files(skill)
        front = split_front_matter(files[SKILL_MD].decode("utf-8-sig"))
        matter = yaml.safe_load(front[0]) if not isinstance(front, str) else None
        entry = {
            "uri": skill_uri(skill.slug),
            "frontmatter": matter if isinstance(matter, dict) else {"name": skill.name},
            "resources": [
                {
                    "uri": skill_uri(skill.slug, path),
                    "digest": f"sha256:{sha256_bytes(data)}",
                    "size": len(data),
                }
                for path, data in sorted(files.items())
            ],
        }
        with self._lock:
            if len(self._entries) > 10_000:
                self._entries.clear()
            self._entries[key] = entry
        return entry

    def manifest(self, skill: SkillRecord) -> list[dict[str, Any]]:
        """The skill's files as served: path, size, sha256."""
        prefix = len(skill_uri(skill.slug, ""))
        return [
            {"path": r["uri"][prefix:], "size": r["size"], "sha256": r["digest"].removeprefix("sha256:")}
            for r in self.entry(skill)["resources"]
        ]

    def read(self, identity: Identity, name: str, path: str) -> bytes:
        """One file of a visible skill; LookupError for anything else."""
        skill = self.visible(identity, name)
        data = self.files(skill).get(path) if skill is not None else None
        if data is None:
            raise LookupError(f"no such skill file: {skill_uri(name, path)}")
        return data


class SkillsExtension(Extension):
    """`skills/list` and `skills/get` over the caller's view of the catalog."""

    identifier = IDENTIFIER

    def __init__(self, skills: SkillFiles, identity: Callable[[], Identity]) -> None:
        self.skills, self.identity = skills, identity

    def methods(self) -> Sequence[MethodBinding]:
        """The two methods the extension requires."""
        return (
            MethodBinding("skills/list", PaginatedRequestParams, self._list),
            MethodBinding("skills/get", GetSkillParams, self._get),
        )

    async def _list(self, ctx: ServerRequestContext[Any, Any], params: Any) -> dict[str, Any]:
        identity = self.identity()
        visible = self.skills.proxy.view(identity).skills
        cursor = getattr(params, "cursor", None) if params is not None else None
        start = int(cursor) if isinstance(cursor, str) and cursor.isdigit() else 0
        page = visible[start : start + PAGE]
        result: dict[str, Any] = {
            "resultType": "complete",
            "skills": [self.skills.entry(s) for s in page],
            "ttlMs": TTL_MS,
            "cacheScope": "private",
        }
        if start + PAGE < len(visible):
            result["nextCursor"] = str(start + PAGE)
        return result

    async def _get(self, ctx: ServerRequestContext[Any, Any], params: GetSkillParams) -> dict[str, Any]:
        uri = params.uri
        name = uri.removeprefix("skill://").removesuffix(f"/{SKILL_MD}")
        skill = self.skills.visible(self.identity(), name) if uri == skill_uri(name) else None
        if skill is None:
            raise MCPError(code=INVALID_PARAMS, message=f"no skill at {uri}", data={"uri": uri})
        answer: dict[str, Any] = {
            "resultType": "complete",
            "skill": self.skills.entry(skill),
            "ttlMs": TTL_MS,
            "cacheScope": "private",
        }
        proof = proof_of(self.skills.proxy.indexed().catalog, "skill", skill.ref)
        if proof is not None:  # the record as the CI signed it, for clients that check it (not listed:
            answer["_meta"] = {PROOF_META: proof.dump()}  # it would crowd skills/list's size budget)
        return answer
