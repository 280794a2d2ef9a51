"""The MCP Skills extension (`io.modelcontextprotocol/skills`, the stable ext-skills specification):
`skills/list`, `skills/get`, `resources/directory/read`, and every file of a skill as a
`skill://<path>/<file>` resource read with `resources/read`.

A skill's path is its name, or `<plugin>/<name>` where two plugins hold skills of that name, so the
last segment is always the front matter's `name`. Entries carry the SKILL.md front matter verbatim
and every file with its sha256 and size, taken from the skill's bundle after its digest was checked
against the signed catalog. Only skills the caller may read exist here: listing, getting and
reading a hidden skill is answered as for a skill that does not exist. A skill over the
specification's per-skill limits (512 files, 16 MiB) is not served through the extension: it is
left out of the listing (the page it would be on names it and the reason under
`_meta["io.skillport/not-served"]`), and `skills/get` answers -32602 saying why and what to use
instead.
"""

from __future__ import annotations

import io
import mimetypes
import threading
import zipfile
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

import anyio.to_thread
import yaml
from mcp.server.context import ServerRequestContext
from mcp.server.mcpserver import Extension, MethodBinding
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS, PaginatedRequestParams, RequestParams

from skillport_build.models.access import Identity
from skillport_build.models.catalog import SkillRecord
from skillport_build.models.skill import split_front_matter
from skillport_build.proxy.connector import listing
from skillport_build.proxy.service import Proxy
from skillport_build.repo.digest import sha256_bytes
from skillport_build.trust.records import proof_of

IDENTIFIER = "io.modelcontextprotocol/skills"
SCHEME = "skill://"
TTL_MS = 60_000
SKILL_MD = "SKILL.md"
MAX_FILES = 512
MAX_BYTES = 16 * 1024 * 1024
DIRECTORY = "inode/directory"
P = TypeVar("P")
PROOF_META = "io.skillport/proof"
NOT_SERVED_META = "io.skillport/not-served"  # skills of the page left out for the limits, and why


class GetSkillParams(RequestParams):
    """`skills/get` names a skill by the URI of its SKILL.md."""

    uri: str


class ReadDirectoryParams(PaginatedRequestParams):
    """`resources/directory/read` names a directory resource."""

    uri: str


def skill_uri(ref: str, path: str = SKILL_MD) -> str:
    """The resource URI of a file of a skill (`ref` is its name or plugin/name)."""
    return f"{SCHEME}{ref}/{path}" if path else f"{SCHEME}{ref}"


def over_limits(entry: dict[str, Any]) -> str | None:
    """Why an entry is over the specification's per-skill limits, or None."""
    files, size = len(entry["resources"]), sum(r["size"] for r in entry["resources"])
    if files > MAX_FILES:
        return f"it has {files} files (the Skills extension allows {MAX_FILES} per skill)"
    if size > MAX_BYTES:
        return f"its files hold {size} bytes (the Skills extension allows {MAX_BYTES}, 16 MiB, per skill)"
    return None


class SkillFiles:
    """Entries and file bytes of the caller's visible skills."""

    def __init__(self, proxy: Proxy) -> None:
        self.proxy = proxy
        self._entries: dict[tuple[int, str], dict[str, Any]] = {}
        self._lock = threading.Lock()

    def visible(self, identity: Identity, name: str) -> SkillRecord | None:
        """The skill, if this person may read it."""
        return self.proxy.view(identity).skill(name)

    def at(self, identity: Identity, path: str) -> tuple[SkillRecord, str] | None:
        """The visible skill a `skill://` path (without the scheme) is in, and the file path within
        it ("" for the skill's root). A plugin/name skill wins over a file of a skill named as the
        plugin, as the listing names it so."""
        head, _, rest = path.partition("/")
        second, _, after = rest.partition("/")
        if second:
            nested = self.visible(identity, f"{head}/{second}")
            if nested is not None and nested.ref == f"{head}/{second}":
                return nested, after
        skill = self.visible(identity, head)
        return (skill, rest) if skill is not None and skill.ref == head else None

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
            "uri": skill_uri(skill.ref),
            "frontmatter": matter if isinstance(matter, dict) else {"name": skill.name},
            "resources": [
                {
                    "uri": skill_uri(skill.ref, path),
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

    def served(self, skill: SkillRecord) -> dict[str, Any] | None:
        """The entry, when the skill is within the per-skill limits."""
        entry = self.entry(skill)
        return entry if over_limits(entry) is None else None

    def manifest(self, skill: SkillRecord) -> list[dict[str, Any]]:
        """The skill's files as served: path, size, sha256."""
        prefix = len(skill_uri(skill.ref)) - len(SKILL_MD)
        return [
            {"path": r["uri"][prefix:], "size": r["size"], "sha256": r["digest"].removeprefix("sha256:")}
            for r in self.entry(skill)["resources"]
        ]

    def read(self, identity: Identity, path: str) -> bytes:
        """One file of a visible skill, by its URI without the scheme; LookupError for anything else."""
        found = self.at(identity, path)
        data = self.files(found[0]).get(found[1]) if found is not None and found[1] else None
        if data is None:
            raise LookupError(f"no such skill file: {SCHEME}{path}")
        return data


class SkillsExtension(Extension):
    """`skills/list`, `skills/get` and `resources/directory/read` over the caller's view."""

    identifier = IDENTIFIER

    def __init__(self, skills: SkillFiles, identity: Callable[[], Identity]) -> None:
        self.skills, self.identity = skills, identity
        self._orders: dict[tuple[str, str], tuple[float, list[SkillRecord]]] = {}
        self._lock = threading.Lock()

    def settings(self) -> dict[str, Any]:
        """`directoryRead`: resources/directory/read is implemented for every skill directory."""
        return {"directoryRead": True}

    def methods(self) -> Sequence[MethodBinding]:
        """The two methods the extension requires, and the directory read it declares."""
        return (
            MethodBinding("skills/list", PaginatedRequestParams, self._list),
            MethodBinding("skills/get", GetSkillParams, self._get),
            MethodBinding("resources/directory/read", ReadDirectoryParams, self._directory),
        )

    def order(self, identity: Identity) -> list[SkillRecord]:
        """This person's visible skills in listing order, kept for one TTL so pages agree."""
        proxy = self.skills.proxy
        view = proxy.view(identity)
        key, now = (identity.email, view.key), proxy.state.clock()
        with self._lock:
            kept = self._orders.get(key)
        if kept is not None and kept[0] > now:
            return kept[1]
        usage = listing.Usage(
            mine=proxy.state.downloads_by(identity.email),
            downloads=listing.downloads_per_skill(proxy.state.download_counts()),
            now=datetime.fromtimestamp(now, UTC),
        )
        skills = listing.ordered(view.skills, usage)
        with self._lock:
            if len(self._orders) > 1000:
                self._orders.clear()
            self._orders[key] = (now + TTL_MS / 1000, skills)
        return skills

    async def _list(self, ctx: ServerRequestContext[Any, Any], params: Any) -> dict[str, Any]:
        return await _off_loop(self.listed, self.identity(), params)

    async def _get(self, ctx: ServerRequestContext[Any, Any], params: GetSkillParams) -> dict[str, Any]:
        return await _off_loop(self.got, self.identity(), params)

    async def _directory(
        self, ctx: ServerRequestContext[Any, Any], params: ReadDirectoryParams
    ) -> dict[str, Any]:
        return await _off_loop(self.directory_read, self.identity(), params)

    def listed(self, identity: Identity, params: Any) -> dict[str, Any]:
        """One page of `skills/list` for this person."""
        skills = self.order(identity)
        cursor = getattr(params, "cursor", None) if params is not None else None
        if cursor is not None and not (isinstance(cursor, str) and cursor.isdigit()):
            raise MCPError(code=INVALID_PARAMS, message=f"unknown cursor {cursor!r}; list again without one")
        start = int(cursor or 0)
        entries, following = listing.page(skills, start, self.skills.served)
        result: dict[str, Any] = {"resultType": "complete", "skills": entries, "ttlMs": TTL_MS}
        result["cacheScope"] = "private"  # every person's listing is their own
        if following is not None:
            result["nextCursor"] = str(following)
        left_out = self._left_out(skills[start : following or len(skills)])
        if left_out:
            result["_meta"] = {NOT_SERVED_META: left_out}
        return result

    def _left_out(self, skills: Sequence[SkillRecord]) -> list[dict[str, str]]:
        """The skills of a page not listed for being over the limits, each with the reason."""
        found = ((s, over_limits(self.skills.entry(s))) for s in skills)
        return [{"uri": skill_uri(s.ref), "reason": why} for s, why in found if why is not None]

    def got(self, identity: Identity, params: GetSkillParams) -> dict[str, Any]:
        """The `skills/get` answer for this person."""
        uri = params.uri
        found = self.skills.at(identity, uri[len(SCHEME) :]) if uri.startswith(SCHEME) else None
        if found is None or found[1] != SKILL_MD:
            raise MCPError(code=INVALID_PARAMS, message=f"No skill is served at {uri}", data={"uri": uri})
        skill = found[0]
        entry = self.skills.entry(skill)
        why = over_limits(entry)
        if why is not None:
            raise MCPError(
                code=INVALID_PARAMS,
                message=f"{uri} is not served through the Skills extension: {why}; "
                f"install it with the install_skill tool instead",
                data={"uri": uri},
            )
        answer: dict[str, Any] = {"resultType": "complete", "skill": entry, "ttlMs": TTL_MS}
        answer["cacheScope"] = "private"
        proof = proof_of(self.skills.proxy.indexed().catalog, "skill", skill.ref)
        if proof is not None:  # the record as the CI signed it, for clients that check it (not listed:
            answer["_meta"] = {PROOF_META: proof.dump()}  # it would crowd skills/list's size budget)
        return answer

    def directory_read(self, identity: Identity, params: ReadDirectoryParams) -> dict[str, Any]:
        """The `resources/directory/read` answer for this person."""
        uri = params.uri
        found = self.skills.at(identity, uri[len(SCHEME) :]) if uri.startswith(SCHEME) else None
        children = directory(self.skills.manifest(found[0]), found[1]) if found is not None else None
        if found is None or children is None or uri.endswith("/"):
            raise MCPError(
                code=INVALID_PARAMS,
                message=f"{uri} is not a directory resource of a skill",
                data={"uri": uri},
            )
        base = skill_uri(found[0].ref, found[1])
        return {
            "resultType": "complete",
            "resources": [
                {"uri": f"{base}/{name}", "name": name, "mimeType": DIRECTORY if folder else mime_type(name)}
                for name, folder in children
            ],
        }


async def _off_loop(
    work: Callable[[Identity, P], dict[str, Any]], identity: Identity, params: P
) -> dict[str, Any]:
    """Run `work` in a worker thread: it reads bundles and the state database."""
    return await anyio.to_thread.run_sync(work, identity, params)


def directory(manifest: list[dict[str, Any]], folder: str) -> list[tuple[str, bool]] | None:
    """The direct children of `folder` ("" for the root) as (name, is a directory), or None when the
    skill has no such directory."""
    prefix = f"{folder}/" if folder else ""
    children: dict[str, bool] = {}
    for item in manifest:
        path = str(item["path"])
        if path.startswith(prefix):
            name, _, deeper = path[len(prefix) :].partition("/")
            children[name] = children.get(name, False) or bool(deeper)
    return sorted(children.items()) if children else None


def mime_type(name: str) -> str:
    """The MIME type a file of a skill is served with."""
    if name.endswith(".md"):
        return "text/markdown"
    return mimetypes.guess_type(name)[0] or "text/plain"
