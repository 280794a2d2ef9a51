"""What the proxy knows and does, apart from HTTP: the verified catalog, per-person views of it,
search, links, update checks and the Claude Code marketplace. The routes call this and only this."""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import semver

from skillport_build.errors import Refused, SignatureError, StoreError, Unavailable
from skillport_build.models.access import Identity
from skillport_build.models.api import (
    ArchiveSource,
    DiscoveryEntry,
    DiscoveryIndex,
    Link,
    Marketplace,
    MarketplaceEntry,
    Proofs,
    Published,
    SkillDetail,
    SkillSummary,
    UpdateStatus,
)
from skillport_build.models.catalog import Catalog, PluginRecord, Removed, SkillRecord
from skillport_build.models.catalog_parse import changed_places
from skillport_build.models.terms import words
from skillport_build.proxy import heap
from skillport_build.proxy.access import BundleRef, View, bundle_refs, view_for
from skillport_build.proxy.bundles import BundleCache
from skillport_build.proxy.config import ServeConfig
from skillport_build.proxy.downloads import Handoffs
from skillport_build.proxy.identity import Caller
from skillport_build.proxy.links import LinkClaims, LinkSigner
from skillport_build.proxy.live import LiveCatalog
from skillport_build.proxy.search import Filters, SearchIndex
from skillport_build.proxy.state import State
from skillport_build.release.bundle import search_text
from skillport_build.site.discovery import SCHEMA as DISCOVERY_SCHEMA
from skillport_build.site.discovery import agent_archive, archive_path, listed
from skillport_build.trust.records import proof_of

LOG = logging.getLogger("skillport.serve")
VIEW_CACHE = 4096
ANSWER_CACHE = 2048
TEXT_READERS = 8  # bundles read at once for their SKILL.md when a catalog is loaded
BEARER_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="skillport"'}


@dataclass(frozen=True)
class Indexed:
    """One verified catalog with what is derived from it once."""

    catalog: Catalog
    refs: dict[str, BundleRef]
    search: SearchIndex
    texts: dict[str, str]
    summaries: dict[str, tuple[SkillRecord, bytes]] = field(default_factory=dict)  # JSON


@dataclass(frozen=True)
class Download:
    """A bundle someone may download, and who (for the audit and the counts)."""

    ref: BundleRef
    user: str


class Proxy:
    """The serving core. Thread-safe; one per process."""

    def __init__(
        self,
        config: ServeConfig,
        live: LiveCatalog,
        state: State,
        bundles: BundleCache,
        signer: LinkSigner,
        rate: Callable[[str], float],
    ) -> None:
        self.config, self.live, self.state, self.bundles, self.signer = config, live, state, bundles, signer
        self.rate = rate
        self.handoffs = (  # refuses, at startup, a download mode the store cannot serve
            None
            if config.downloads == "stream"
            else Handoffs(config.downloads, bundles.store, config.redirect_ttl, config.x_accel_prefix)
        )
        self._indexed: Indexed | None = None
        self._lock = threading.Lock()
        self._views: OrderedDict[tuple[int, str, frozenset[str]], View] = OrderedDict()
        self._answers: OrderedDict[tuple[str, ...], bytes] = OrderedDict()
        self._archive_digests: dict[str, str] = {}  # bundle sha256 -> agent archive sha256, for good

    # the catalog ------------------------------------------------------------------------------

    def refresh(self) -> bool:
        """Check the store; index a new verified catalog. True when one is now served."""
        with heap.building():
            served = self._refresh()
        if served:
            heap.settle()
        return served

    def _refresh(self) -> bool:
        changed = self.live.refresh()
        catalog = self.live.catalog
        if catalog is not None and (self._indexed is None or self._indexed.catalog is not catalog):
            before = self._indexed
            texts = self._texts(catalog, before)
            counts = self.live.take_counts()
            search = SearchIndex(catalog.skills, texts, before.search if before is not None else None, counts)
            refs = bundle_refs(catalog, (before.catalog, before.refs) if before is not None else None)
            indexed = Indexed(catalog, refs, search, texts)
            with self._lock:
                self._indexed = indexed
                self._views.clear()
                self._answers.clear()
            LOG.info("serving catalog %s (%d skills)", catalog.catalog_version, len(catalog.skills))
            return True
        return changed

    def _texts(self, catalog: Catalog, before: Indexed | None) -> dict[str, str]:
        """Each skill's SKILL.md text for search and detail: from the signed texts documents the
        live catalog checked, else (a catalog built before them) from the bundle. A bundle the
        catalog served before is not read again (the same sha256 is the same text), and the others
        are read a few at a time (a remote store answers each in a round trip) without filling the
        download cache."""
        texts, wanted = _kept_texts(catalog, before)
        # Records kept in place already have their text in `texts`; only a full pass looks them up.
        same = {id(s) for s in before.catalog.skills} if before and wanted is catalog.skills else set()
        served = before.texts if before is not None else {}
        published = self.live.texts
        known: dict[str, str] | None = None
        unread: list[SkillRecord] = []
        for skill in wanted:
            ref = skill.ref
            text = served.get(ref) if id(skill) in same else None  # the same record: the same bundle
            if text is None:
                text = published.get(skill.bundle.sha256)
            if text is not None:
                texts[ref] = text
                continue
            if known is None:
                known = _texts_by_bundle(before)
            if skill.bundle.sha256 in known:
                texts[skill.ref] = known[skill.bundle.sha256]
            else:
                unread.append(skill)
        if unread:
            with ThreadPoolExecutor(TEXT_READERS) as pool:
                for skill, text in zip(unread, pool.map(self._read_text, unread), strict=True):
                    if text is not None:
                        texts[skill.ref] = text
        return texts

    def _read_text(self, skill: SkillRecord) -> str | None:
        try:
            return search_text(self.bundles.read(skill.bundle, keep=False), skill.name)
        except (StoreError, SignatureError) as exc:
            LOG.warning("skill %s: %s", skill.name, exc)
            self.state.audit("bundle.refused", None, {"skill": skill.name, "reason": str(exc)})
            return None

    def search_text(self, skill: SkillRecord) -> str:
        """A skill's SKILL.md text, as search reads it (the website's search index too)."""
        return self.indexed().texts.get(skill.ref, "")

    @property
    def key_texts(self) -> list[str]:
        """The trusted public keys, as minisign public key files (for clients to pin)."""
        return [key.to_text() for key in self.live.keys]

    @property
    def current(self) -> Indexed | None:
        """The indexed catalog, whether or not it is fit to serve (for page chrome and health)."""
        return self._indexed

    def indexed(self) -> Indexed:
        """The served catalog and its indexes; Unavailable when none is fit to serve."""
        indexed = self._indexed
        if indexed is None:
            raise Unavailable(self.live.health().problem or "no verified catalog has been loaded yet")
        if indexed.catalog.is_expired(self.live.clock()):
            raise Unavailable(
                f"catalog {indexed.catalog.catalog_version} expired at {indexed.catalog.expires}; "
                "it must be re-signed before it is served again"
            )
        return indexed

    def view(self, identity: Identity) -> View:
        """What this person may see (cached per catalog and identity)."""
        catalog = self.indexed().catalog
        key = (catalog.catalog_version, identity.email, identity.groups)
        with self._lock:
            view = self._views.get(key)
            if view is not None:
                self._views.move_to_end(key)
                return view
        view = view_for(catalog, identity)
        with self._lock:
            self._views[key] = view
            if len(self._views) > VIEW_CACHE:
                self._views.popitem(last=False)
        return view

    # answers ----------------------------------------------------------------------------------

    def answer(self, key: tuple[str, ...], produce: Callable[[], bytes]) -> bytes:
        """A response body shared by everyone with the same view (the key starts with the view's)."""
        with self._lock:
            body = self._answers.get(key)
        if body is None:
            body = produce()
            with self._lock:
                self._answers[key] = body
                if len(self._answers) > ANSWER_CACHE:
                    self._answers.popitem(last=False)
        return body

    def search(
        self, view: View, query: str, filters: Filters, offset: int = 0, limit: int | None = None
    ) -> tuple[int, list[SkillSummary]]:
        """How many visible skills match a query, and the ranked summaries of [offset, offset + limit)."""
        total, hits = self.hits(view, query, filters, offset, limit)
        scored = bool(words(query))
        return total, [self.summary(skill, round(score, 2) if scored else None) for skill, score in hits]

    def search_json(
        self, view: View, query: str, filters: Filters, offset: int = 0, limit: int | None = None
    ) -> tuple[int, list[bytes]]:
        """`search`, each summary as its JSON (what GET /api/skills joins into its answer)."""
        total, hits = self.hits(view, query, filters, offset, limit)
        scored = bool(words(query))
        return total, [self.summary_json(skill, round(score, 2) if scored else None) for skill, score in hits]

    def hits(
        self, view: View, query: str, filters: Filters, offset: int = 0, limit: int | None = None
    ) -> tuple[int, list[tuple[SkillRecord, float]]]:
        """The index's answer for one view: the total and the ranked page of (skill, score)."""
        index = self.indexed().search
        return index.search(view.key, view.skill_names, query, filters, offset, limit)

    def _summary_fields(self, skill: SkillRecord) -> dict[str, Any]:
        return {
            "name": skill.ref,
            "plugin": skill.plugin,
            "version": skill.version,
            "description": skill.description,
            "category": skill.category,
            "tags": list(skill.tags),
            "surfaces": list(skill.surfaces),
            "digest": skill.digest,
            "sha256": skill.bundle.sha256,
            "size": skill.bundle.size,
            "deprecated": skill.deprecated.model_dump() if skill.deprecated else None,
            "page": f"{self.config.base_url}/skills/{skill.slug}.html",
        }

    def summary(self, skill: SkillRecord, score: float | None = None) -> SkillSummary:
        """A skill as the API lists it (with its search score, when there was a query)."""
        return SkillSummary.model_validate_json(self.summary_json(skill, score))

    def summary_json(self, skill: SkillRecord, score: float | None = None) -> bytes:
        """The JSON of `summary(skill, score)` as `dump_json` writes it: the summary's bytes, made
        once per catalog and skill, with the score as its last key. Plain `json` writes them (the
        fields are strings, lists and numbers, in the model's order): a first page of fifty took
        longer to validate and encode than to find."""
        indexed = self._indexed
        made = indexed.summaries.get(skill.ref) if indexed is not None else None
        if made is None or made[0] is not skill:
            text = json.dumps(self._summary_fields(skill), ensure_ascii=False, separators=(",", ":"))
            made = (skill, text.encode())
            if indexed is not None:
                indexed.summaries[skill.ref] = made
        body = made[1]
        return body if score is None else b'%s,"score":%s}' % (body[:-1], repr(float(score)).encode())

    def detail(self, skill: SkillRecord) -> SkillDetail:
        """Everything about one skill: metadata, SKILL.md, files, history."""
        return SkillDetail(
            **self._summary_fields(skill),
            license=skill.license,
            compatibility=skill.compatibility,
            allowed_tools=skill.allowed_tools,
            metadata=skill.metadata,
            files=[f.model_dump() for f in skill.files],
            history=[
                Published(
                    version=r.version,
                    published_at=r.published_at,
                    yanked=r.yanked,
                    digest=r.digest,
                    sha256=r.bundle.sha256,
                )
                for r in skill.history
            ],
            skill_md=self.indexed().texts.get(skill.ref, ""),
            proof=proof_of(self.indexed().catalog, "skill", skill.ref),
        )

    def proofs(self, view: View, skills: list[str], plugins: list[str]) -> Proofs:
        """The signed records of the skills and plugins asked for that `view` may read."""
        found = [("skill", s.ref) for name in skills if (s := view.skill(name)) is not None]
        found += [("plugin", name) for name in plugins if name in view.plugin_names]
        catalog = view.catalog
        proofs = [p for kind, ref in dict.fromkeys(found) if (p := proof_of(catalog, kind, ref)) is not None]
        return Proofs(catalog_version=catalog.catalog_version, proofs=proofs)

    def link(self, view: View, skill: SkillRecord, user: str, version: str | None = None) -> Link:
        """A signed, expiring download link for a visible skill (the current or a given version)."""
        bundle = skill.bundle
        if version is not None and version != skill.version:
            release = skill.release(version)
            if release is None or release.yanked is not None:
                raise LookupError(f"{skill.name} has no downloadable version {version}")
            bundle = release.bundle
            version_text = version
        else:
            version_text = skill.version
        groups = tuple(view.identity.groups) if view.identity is not None else ()
        path, expires = self.signer.make(bundle.path, bundle.sha256, user, self.config.link_ttl, groups)
        return Link(
            name=skill.ref,
            version=version_text,
            url=f"{self.config.base_url}{path}",
            expires=datetime.fromtimestamp(expires, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            sha256=bundle.sha256,
            size=bundle.size,
            filename=bundle.path.rsplit("/", 1)[-1],
        )

    def allow_download(self, path: str, params: Mapping[str, str], caller: Caller | None) -> Download:
        """Who may have the bundle at `path`: the holder of a signed link made for it, or a signed-in
        caller whose view includes it. Refused (403, 401, 404, 429) otherwise; hidden and missing
        bundles answer alike."""
        refs = self.indexed().refs
        if "s" in params:
            ref = refs.get(path)
            claims = self.signer.check(path, ref.bundle.sha256, dict(params)) if ref else None
            if (
                ref is None
                or claims is None
                or (caller is not None and caller.email != claims.user)
                or not self._still_readable(claims, path)
            ):
                who = caller.email if caller else None
                self.state.audit("download.refused", who, {"path": path, "reason": "bad link"})
                raise Refused(403, "this download link is invalid, expired or not yours; ask for a new one")
            self.limit(f"user:{claims.user}")
            return Download(ref, claims.user)
        if caller is None:
            raise Refused(
                401, "sign in, send a personal token, or use a signed download link", BEARER_CHALLENGE
            )
        self.limit(caller.rate_key)
        visible = self.view(caller.identity).bundle(refs, path)
        if visible is None:
            raise Refused(404, "no such bundle")
        return Download(visible, caller.email)

    def _still_readable(self, claims: LinkClaims, path: str) -> bool:
        """Whether the link's holder may read its bundle now: under the policy served now, with the
        groups the link was made with less any lost at a sign-in since (a link is a bearer
        credential, so it opens only what its person could download themselves)."""
        made = datetime.fromtimestamp(claims.expires - self.config.link_ttl, UTC)
        groups = self.state.groups_now(claims.user, claims.groups, made.strftime("%Y-%m-%dT%H:%M:%SZ"))
        view = self.view(Identity(claims.user, frozenset(groups)))
        return view.bundle(self.indexed().refs, path) is not None

    def read_download(self, download: Download) -> bytes:
        """The bundle's bytes, their sha256 checked against the signed catalog (blocking I/O)."""
        bundle = download.ref.bundle
        try:
            return self.bundles.read(bundle)
        except SignatureError as exc:
            self.state.audit("download.refused", download.user, {"path": bundle.path, "reason": str(exc)})
            raise Refused(
                502, "the store holds other bytes than the signed catalog names; not served"
            ) from exc
        except StoreError as exc:
            raise Refused(503, f"the store cannot be read right now: {exc}") from exc

    def record_download(self, download: Download) -> None:
        """Count a served download and audit it."""
        ref = download.ref
        self.state.count_download(ref.name, ref.version)
        self.state.audit(
            "download", download.user, {"kind": ref.kind, "name": ref.name, "version": ref.version}
        )

    def limit(self, key: str) -> None:
        """Refused (429) when `key` is over its rate."""
        wait = self.rate(key)
        if wait > 0:
            raise Refused(429, "too many requests; slow down", {"Retry-After": str(max(1, round(wait)))})

    def updates(self, view: View, identity: Identity, installed: list[dict[str, Any]]) -> list[UpdateStatus]:
        """For each installed skill (name + version or digest): what is newer, yanked or removed.

        A removed skill is reported to those who could read it when it was removed (and to admins);
        anyone else hears "unknown", as for a name that never existed."""
        catalog = view.catalog
        removed = {r.name: r for r in catalog.removed if r.kind == "skill"}
        results: list[UpdateStatus] = []
        for item in installed:
            name = str(item.get("name", ""))
            skill = view.skill(name)
            if skill is None:
                gone = removed.get(name)
                results.append(
                    UpdateStatus(name=name, status="removed", last_version=gone.last_version)
                    if gone is not None and _may_hear_of(catalog, identity, gone)
                    else UpdateStatus(name=name, status="unknown")
                )
                continue
            results.append(_update_status(skill, item))
        return results

    def marketplace(self, view: View) -> Marketplace:
        """The per-person Claude Code marketplace: archive sources with their sha256."""
        catalog = view.catalog
        return Marketplace(
            name=catalog.marketplace.name,
            owner=catalog.marketplace.owner.model_dump(exclude_none=True),
            metadata={
                "description": catalog.marketplace.description or f"{catalog.marketplace.name} skills",
                "version": str(catalog.catalog_version),
            },
            plugins=[self._plugin_entry(p) for p in view.plugins],
        )

    def _plugin_entry(self, plugin: PluginRecord) -> MarketplaceEntry:
        source = ArchiveSource(
            source="archive",
            url=f"{self.config.base_url}/bundles/{plugin.bundle.path}",
            sha256=plugin.bundle.sha256,
        )
        optional: dict[str, Any] = {
            key: getattr(plugin, key)
            for key in ("description", "category", "homepage", "license")
            if getattr(plugin, key)
        }
        if plugin.author:
            optional["author"] = plugin.author.model_dump(exclude_none=True)
        if plugin.keywords or plugin.tags:
            optional["keywords"] = sorted(set(plugin.keywords) | set(plugin.tags))
        return MarketplaceEntry(name=plugin.name, version=plugin.version, source=source, **optional)

    def discovery_index(self, view: View) -> DiscoveryIndex:
        """The agent-agnostic index (Agent Skills discovery, schema 0.2.0): an archive per skill with
        SKILL.md at its root, the layout the `skills` CLI reads (site/discovery.py). Blocking: the
        first index of a catalog reads the bundles it has not digested yet."""
        user = view.identity.email if view.identity is not None else "-"
        return DiscoveryIndex(
            schema_=DISCOVERY_SCHEMA,
            skills=[
                DiscoveryEntry(
                    name=s.name,
                    type="archive",
                    description=s.description,
                    url=f"/{archive_path(s)}",
                    digest=f"sha256:{self._archive_digest(s, user)}",
                )
                for s in listed(view.skills)
            ],
        )

    def discovery_skill(self, view: View, name: str, file: str) -> SkillRecord:
        """The skill an agent archive's URL names, if this person may read it (else 404)."""
        for skill in listed(view.skills):
            if skill.name == name and f"/{archive_path(skill)}" == f"/.well-known/skills/{name}/{file}":
                return skill
        raise Refused(404, "no such skill archive (or you may not read it)")

    def agent_archive(self, skill: SkillRecord, user: str) -> bytes:
        """A skill's agent archive, made from its bundle once the bundle's sha256 checks (blocking)."""
        ref = BundleRef("skill", skill.name, skill.version, skill.bundle)
        data = agent_archive(self.read_download(Download(ref, user)), skill.name)
        self._archive_digests[skill.bundle.sha256] = hashlib.sha256(data).hexdigest()
        return data

    def _archive_digest(self, skill: SkillRecord, user: str) -> str:
        digest = self._archive_digests.get(skill.bundle.sha256)
        if digest is None:
            self.agent_archive(skill, user)
            digest = self._archive_digests[skill.bundle.sha256]
        return digest


def _kept_texts(catalog: Catalog, before: Indexed | None) -> tuple[dict[str, str], Sequence[SkillRecord]]:
    """The texts kept from `before` and the skills still to find one for: where the catalog reused
    the previous records in place and every one of them had its text, only the changed places
    (a one-skill change at 10,000 skills is one text, not a pass over all of them)."""
    places = changed_places(catalog.skills, before.catalog.skills) if before is not None else None
    if before is None or places is None or len(before.texts) != len(before.catalog.skills):
        return {}, catalog.skills
    texts = dict(before.texts)
    for n in places:
        texts.pop(before.catalog.skills[n].ref, None)
    return texts, [catalog.skills[n] for n in places]


def _texts_by_bundle(before: Indexed | None) -> dict[str, str]:
    """The texts `before` read, by the sha256 of the bundle they came from."""
    if before is None:
        return {}
    return {s.bundle.sha256: before.texts[s.ref] for s in before.catalog.skills if s.ref in before.texts}


def _may_hear_of(catalog: Catalog, identity: Identity, gone: Removed) -> bool:
    """Whether a removed skill may be named to this person: the readers it had as it left, never
    today's policy (its plugin's rule may have left with it, opening it to the defaults' readers).
    A record from before readers were kept names it to admins only."""
    return identity.matches(gone.readers or ()) or identity.matches(catalog.access.admins)


def _update_status(skill: SkillRecord, item: dict[str, Any]) -> UpdateStatus:
    out: dict[str, Any] = {"name": skill.ref, "latest": skill.version}
    version = item.get("version")
    digest = item.get("digest")
    if not isinstance(version, str) and isinstance(digest, str):
        if digest == skill.digest:
            version = skill.version
        else:
            match = next((r for r in skill.history if r.digest == digest), None)
            version = match.version if match else None
    out["installed"] = version
    release = skill.release(version) if isinstance(version, str) else None
    if release is not None and release.yanked is not None:
        out.update(status="yanked", reason=release.yanked)
    elif not isinstance(version, str) or _older(version, skill.version):
        out["status"] = "update"
    elif skill.deprecated is not None:
        out.update(
            status="deprecated", reason=skill.deprecated.reason, replacement=skill.deprecated.replacement
        )
    else:
        out["status"] = "current"
    return UpdateStatus(**out)


def _older(installed: str, latest: str) -> bool:
    try:
        return semver.Version.parse(installed) < semver.Version.parse(latest)
    except ValueError:
        return installed != latest
