"""`skillport build`: one reproducible zip per skill and per plugin, and the catalog, in store layout.

    OUT/bundles/<skill>/<version>/<skill>-<version>.zip     upload layout: one top folder <skill>/
    OUT/plugins/<plugin>/<version>/<plugin>-<version>.zip   .claude-plugin/plugin.json at the root
    OUT/texts/<sha256>.json.zst                             every skill's SKILL.md text, for search
    OUT/catalog.json                                        canonical JSON, unsigned

A bundle whose skill's version and digest are unchanged is reused, not rebuilt; both cores compress.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import repeat
from pathlib import Path

from skillport_build.errors import BuildError, CatalogError, ValidationFailed
from skillport_build.models.base import gc_paused
from skillport_build.models.catalog import (
    Author,
    Bundle,
    Catalog,
    Deprecation,
    FileRecord,
    MarketplaceInfo,
    Origin,
    Owner,
    PluginRecord,
    Record,
    Release,
    Removed,
    SkillRecord,
    Source,
    canonical_json,
    format_time,
)
from skillport_build.models.lifecycle import Lifecycle
from skillport_build.release.bundle import Deflated, deflate, source_date_epoch, stamp_skill_md, zip_deflated
from skillport_build.release.files import write_atomic
from skillport_build.release.plan import Change, Plan, make_plan
from skillport_build.release.texts import write_texts
from skillport_build.repo.buildcache import BuildCache, cache_salt
from skillport_build.repo.diagnostics import Diagnostic
from skillport_build.repo.gitindex import GitIndex
from skillport_build.repo.loader import load
from skillport_build.repo.marketplace import Marketplace, Plugin, RemoteReport, Skill
from skillport_build.repo.paths import ACCESS_YAML, VALIDATE_YAML
from skillport_build.repo.remote import RemoteSources
from skillport_build.validate import validate_by_plugin

DEFAULT_VALIDITY = timedelta(days=30)
UPLOAD_EXCLUDED = ("evals/",)  # Claude.ai refuses a root evals/ folder in an upload


@dataclass(frozen=True)
class BuildOptions:
    """Everything a build needs besides the repository."""

    out: Path
    previous: Catalog | None = None
    previous_digest: str | None = None  # Catalog.load_with_digest's: lets the cache vouch for its records
    previous_bytes: bytes | None = None  # Catalog.load_unsigned's (its digest wins): records are copied
    now: datetime | None = None  # default: SOURCE_DATE_EPOCH, else the clock
    validity: timedelta = DEFAULT_VALIDITY
    commit: str | None = None  # default: the repository's git HEAD, if any
    repository: str | None = None
    jobs: int = field(default_factory=lambda: os.cpu_count() or 1)
    incremental: bool = True  # use and update the build cache in OUT/.cache/
    remote: RemoteSources | None = None  # fetches remote entries; default: into OUT/.cache/remote/


Progress = Callable[[int, int], None]  # (bundles done, bundles in all)


@dataclass(frozen=True)
class BuildResult:
    """What the build wrote."""

    catalog: Catalog
    plan: Plan
    written: tuple[str, ...]  # store-relative paths of bundles made now
    reused: tuple[str, ...]  # bundles already in OUT with the right bytes
    warnings: tuple[str, ...] = ()  # what the person should know: a dirty tree, remote entries
    remote: RemoteReport = field(default_factory=RemoteReport)  # fetched, reused, skipped


@dataclass(frozen=True)
class _Job:
    """One plugin's bundles that must be written: its skills' zips and its own, made together so
    that each file is compressed once."""

    plugin: Plugin
    version: str
    paths: frozenset[str]


def build(root: Path, options: BuildOptions, progress: Progress | None = None) -> BuildResult:
    """Validate, plan against the previous catalog, write the bundles, then the catalog."""
    with gc_paused():  # tens of thousands of plugins, files and records, none in a cycle
        return _build(root, options, progress)


def _build(root: Path, options: BuildOptions, progress: Progress | None) -> BuildResult:
    cache = _open_cache(root, options.out) if options.incremental else None
    remote = options.remote or RemoteSources(remote_cache(options.out))
    market = load(root, cache, remote)
    report, findings = validate_by_plugin(market)
    if report.errors:
        lines = [f"{d.location()}: {d.rule}: {d.message}" for d in report.errors[:5]]
        raise ValidationFailed(len(report.errors), lines)
    if market.access is None:
        raise BuildError(
            f"{ACCESS_YAML} is missing: nothing is built without an access policy, so that nothing is "
            "ever served to the wrong people; `skillport new access` writes one to start from"
        )
    plan = make_plan(market, options.previous)
    _refuse_problems(plan)
    now = options.now or datetime.fromtimestamp(source_date_epoch(int(datetime.now(UTC).timestamp())), UTC)
    known = _known_bundles(options) | (cache.known_bundles() if cache else {})

    # 1. Keep the bundles already in OUT with the published bytes; build the rest, a plugin per job.
    options.out.mkdir(parents=True, exist_ok=True)
    bundles, jobs = _sort_out(market, options.out, known, cache)
    if cache is not None and any(job.plugin.cached for job in jobs):
        cache.forget(job.plugin.path for job in jobs)  # a bundle went missing: read those plugins again
        market = load(root, cache, remote)
        bundles, jobs = _sort_out(market, options.out, known, cache)
    reused, total = tuple(bundles), len(bundles) + sum(len(job.paths) for job in jobs)
    epoch = source_date_epoch()  # zip times come from the content's epoch, never the clock
    for made in _make(jobs, options.out, epoch, options.jobs):
        bundles.update((bundle.path, bundle) for bundle in made)
        if progress:
            progress(len(bundles), total)

    # 2. The catalog, written last so that it never names a bundle that is not there; the records
    #    of plugins that did not change since the catalog passed as previous are that catalog's.
    #    Those records are copied as bytes from the previous catalog; only the rest is encoded.
    keys = _record_keys(market, bundles) if cache is not None else {}
    digest = _previous_digest(options)
    reused_records = _reusable(market, plan, options.previous, digest, cache, keys)
    catalog = _catalog(market, plan, options, now, bundles, reused_records)
    texts = write_texts(options.out, catalog.skills, _bodies(market, bundles), options.previous)
    catalog = catalog.model_copy(update={"texts": texts})
    copied = _copied_records(market, catalog, reused_records, options, digest, cache)
    data, spans = catalog.encode(copied)
    write_atomic(options.out / "catalog.json", data)
    if cache is not None:
        cache.remember_catalog(hashlib.sha256(data).hexdigest(), keys, _spans(market, catalog, keys, spans))
        _update_cache(cache, market, findings, options.out, bundles)
    written = tuple(sorted(path for job in jobs for path in job.paths))
    warnings = _warnings(market, options, catalog, cache.index if cache else None)
    return BuildResult(catalog, plan, written, reused, warnings, market.remote)


def remote_cache(out: Path) -> Path:
    """Where a build into `out` keeps remote entries' files, by (source, commit)."""
    return out / ".cache" / "remote"


def _bodies(market: Marketplace, bundles: dict[str, Bundle]) -> dict[str, str]:
    """The SKILL.md bodies this build read from source, by the sha256 of the bundle made of each."""
    found = {}
    for plugin in market.plugins:
        if plugin.cached:
            continue  # rebuilt from the build cache: its files were not read
        version = _version(plugin)
        for skill in plugin.skills:
            bundle = bundles.get(skill_bundle_path(skill, version))
            if bundle is not None and skill.front_matter is not None:
                found[bundle.sha256] = skill.body
    return found


def _warnings(
    market: Marketplace, options: BuildOptions, catalog: Catalog, index: GitIndex | None
) -> tuple[str, ...]:
    found = []
    dirty = index is not None and index.modified  # what git's index already said, else git status
    if options.commit is None and catalog.source.commit and (dirty or _git_dirty(market.root)):
        found.append(
            f"the working tree has uncommitted changes: the catalog records commit "
            f"{catalog.source.commit[:12]}, which does not hold them; commit first for a build anyone "
            "can reproduce"
        )
    if market.remote.skipped:
        found.append(f"not built: {'; '.join(market.remote.skipped)}")
    if market.remote.unpinned:
        found.append(
            "not pinned, built from what their ref or version range names now: "
            f"{', '.join(market.remote.unpinned)}; pin each (`sha` for git, an exact `version` for npm) "
            "for a build anyone can reproduce (`--strict` refuses unpinned entries)"
        )
    return tuple(found)


def _open_cache(root: Path, out: Path) -> BuildCache:
    settings = root / VALIDATE_YAML
    salt = cache_salt(settings.read_bytes() if settings.is_file() else None)
    return BuildCache.open(out, salt, GitIndex.read(root))


def _update_cache(
    cache: BuildCache,
    market: Marketplace,
    findings: dict[str, list[Diagnostic]],
    out: Path,
    bundles: dict[str, Bundle],
) -> None:
    for plugin in market.plugins:
        cache.remember(plugin, findings[plugin.path])
    digests = dict(path_digest for plugin in market.plugins for path_digest in _bundle_paths(plugin))
    for path, bundle in bundles.items():
        cache.remember_bundle(out / path, path, bundle.sha256, digests[path])
    cache.save()


def _record_keys(market: Marketplace, bundles: dict[str, Bundle]) -> dict[str, str]:
    """Per plugin folder, a hash of every input of its catalog records but the previous catalog's
    history: the folder's fingerprint, its skills' addresses, its bundles and the lifecycle."""
    lifecycle = canonical_json(market.lifecycle.model_dump(mode="json"))
    keys = {}
    for plugin in market.plugins:
        if plugin.fingerprint is None:
            continue
        own = [(b.path, b.sha256, b.size) for b in (bundles[path] for path, _ in _bundle_paths(plugin))]
        refs = [skill.ref for skill in plugin.skills]
        keys[plugin.path] = hashlib.sha256(
            canonical_json([plugin.fingerprint, refs, own]) + lifecycle
        ).hexdigest()
    return keys


def _previous_digest(options: BuildOptions) -> str | None:
    if options.previous_bytes is not None:
        return hashlib.sha256(options.previous_bytes).hexdigest()
    return options.previous_digest


def _copied_records(
    market: Marketplace,
    catalog: Catalog,
    reused: frozenset[str],
    options: BuildOptions,
    digest: str | None,
    cache: BuildCache | None,
) -> dict[int, bytes]:
    """id() -> canonical bytes of the records taken verbatim from the previous catalog, cut out of
    its bytes where the cache saw that very catalog written (the digest says so)."""
    previous, raw = options.previous, options.previous_bytes
    if previous is None or raw is None or digest is None or cache is None or not reused:
        return {}
    copied = {}
    for plugin in market.plugins:
        if plugin.path not in reused:
            continue
        cut = cache.record_bytes(plugin.path, raw, digest)
        pairs: list[tuple[str, Record | None, Record | None]] = [
            (f"plugin:{plugin.name}", catalog.plugin(plugin.name), previous.plugin(plugin.name))
        ]
        pairs += [(f"skill:{s.ref}", catalog.skill(s.ref), previous.skill(s.ref)) for s in plugin.skills]
        for key, record, was in pairs:
            if record is not None and record is was and key in cut:  # the very record, not a new one
                copied[id(record)] = cut[key]
    return copied


def _spans(
    market: Marketplace, catalog: Catalog, keys: dict[str, str], spans: dict[int, tuple[int, int]]
) -> dict[str, dict[str, list[int]]]:
    """Per plugin folder the cache vouches for, where its records sit in the catalog's bytes."""
    found: dict[str, dict[str, list[int]]] = {}
    for plugin in market.plugins:
        if plugin.path not in keys:
            continue
        records: list[tuple[str, Record | None]] = [(f"plugin:{plugin.name}", catalog.plugin(plugin.name))]
        records += [(f"skill:{s.ref}", catalog.skill(s.ref)) for s in plugin.skills]
        found[plugin.path] = {key: list(spans[id(r)]) for key, r in records if r is not None}
    return found


def _reusable(
    market: Marketplace,
    plan: Plan,
    previous: Catalog | None,
    digest: str | None,
    cache: BuildCache | None,
    keys: dict[str, str],
) -> frozenset[str]:
    """The plugins whose records the previous catalog holds exactly as this build would make them.

    That is so when the previous catalog is the one the last build wrote (signing adds proofs,
    nothing else), the plugin and its skills are unchanged in the plan (so no release is added to
    their history) and every other input of the records hashes as it did then."""
    if previous is None or digest is None or cache is None:
        return frozenset()
    unchanged = {(item.kind, item.name) for item in plan.items if item.change is Change.UNCHANGED}
    return frozenset(
        plugin.path
        for plugin in market.plugins
        if plugin.path in keys
        and cache.records_from(plugin.path, digest) == keys[plugin.path]
        and ("plugin", plugin.name) in unchanged
        and all(("skill", skill.ref) in unchanged for skill in plugin.skills)
    )


def _refuse_problems(plan: Plan) -> None:
    lines = [item.problem for item in plan.problems if item.problem]
    lines += [
        f"plugin {i.name}: content changed but version {i.version} is already published; run "
        "`skillport bump --changed --previous CATALOG` (or raise the version) first"
        for i in plan.needs_bump
    ]
    if lines:
        raise BuildError(
            "refusing to build (versions are immutable):\n" + "\n".join(f"  {line}" for line in lines)
        )


def skill_bundle_path(skill: Skill, version: str) -> str:
    """Where a skill's zip lives in the store (under plugin.skill where the name repeats)."""
    return f"bundles/{skill.slug}/{version}/{skill.name}-{version}.zip"


def plugin_bundle_path(name: str, version: str) -> str:
    """Where a plugin's zip lives in the store."""
    return f"plugins/{name}/{version}/{name}-{version}.zip"


def _known_bundles(options: BuildOptions) -> dict[tuple[str, str], str]:
    """(path, digest) -> sha256 of bundles already published or already in OUT."""
    catalogs = [options.previous]
    existing = options.out / "catalog.json"
    if options.previous is None and existing.is_file():  # a rebuild of an unpublished OUT
        with contextlib.suppress(CatalogError):  # a stale or foreign file: every bundle is rebuilt
            catalogs.append(Catalog.load(existing))
    known: dict[tuple[str, str], str] = {}
    for catalog in filter(None, catalogs):
        for record in catalog.records():
            for release in record.history:
                known[(release.bundle.path, release.digest)] = release.bundle.sha256
    return known


def _version(plugin: Plugin) -> str:
    return plugin.release_version


def _sort_out(
    market: Marketplace, out: Path, known: dict[tuple[str, str], str], cache: BuildCache | None
) -> tuple[dict[str, Bundle], list[_Job]]:
    """The bundles OUT already holds with the right bytes, and a job per plugin for the rest."""
    bundles: dict[str, Bundle] = {}
    jobs = []
    for plugin in market.plugins:
        missing = set()
        for path, digest in _bundle_paths(plugin):
            kept = _kept(out / path, path, known.get((path, digest)), cache)
            if kept is None:
                missing.add(path)
            else:
                bundles[path] = kept
        if missing:
            jobs.append(_Job(plugin, _version(plugin), frozenset(missing)))
    return bundles, jobs


def _bundle_paths(plugin: Plugin) -> list[tuple[str, str]]:
    """(store path, content digest) of every bundle a plugin makes: one per skill, one of its own."""
    version = _version(plugin)
    found = [(skill_bundle_path(s, version), s.digest) for s in plugin.skills]
    return [*found, (plugin_bundle_path(plugin.name, version), plugin.digest)]


def _kept(target: Path, path: str, published: str | None, cache: BuildCache | None) -> Bundle | None:
    """The bundle already in OUT, if it has the published bytes (an untouched cached stat suffices)."""
    if published is None:
        return None
    try:
        st = target.stat()
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    seen = cache.bundle_sha256(st, path) if cache else None
    if seen != published and _sha256_file(target) != published:
        return None
    return Bundle.model_construct(path=path, sha256=published, size=st.st_size)  # our own values


def _sha256_file(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


_PENDING: list[_Job] = []  # what forked workers build, by index (no pickling of file bytes)


def _make(jobs: list[_Job], out: Path, epoch: int, workers: int) -> Iterator[list[Bundle]]:
    """Build the jobs' bundles, on every core when there are enough to pay for the processes."""
    if workers < 2 or len(jobs) < 8:  # a rebuild's few jobs: not even the pool's import is paid
        yield from (_write_job(job, out, epoch) for job in jobs)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    if "fork" not in multiprocessing.get_all_start_methods():
        yield from (_write_job(job, out, epoch) for job in jobs)
        return
    _PENDING[:] = jobs
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            chunk = max(1, len(jobs) // (workers * 8))
            yield from pool.map(_write_pending, range(len(jobs)), repeat(out), repeat(epoch), chunksize=chunk)
    finally:
        _PENDING.clear()


def _write_pending(index: int, out: Path, epoch: int) -> list[Bundle]:
    return _write_job(_PENDING[index], out, epoch)


def _write_job(job: _Job, out: Path, epoch: int) -> list[Bundle]:
    """Write the job's zips, compressing each file once for all of them."""
    plugin, version = job.plugin, job.version
    packed: dict[str, Deflated] = {}

    def deflated(path: str, data: bytes | None) -> Deflated:
        if path not in packed:
            packed[path] = deflate(_data(plugin.rel(path), data))
        return packed[path]

    for skill in plugin.skills:  # stamped once: the skill zip and the plugin zip carry the same SKILL.md
        own = _in_plugin(plugin, skill.path)
        md = next((f for f in skill.files if f.path == "SKILL.md"), None)
        if md is not None:
            stamped = stamp_skill_md(_data(skill.skill_md, md.data), version, skill.digest)
            packed[f"{own}/SKILL.md"] = deflate(stamped)
    made = []
    for skill in plugin.skills:
        path = skill_bundle_path(skill, version)
        if path in job.paths:
            own = _in_plugin(plugin, skill.path)
            entries = [
                (f"{skill.name}/{f.path}", deflated(f"{own}/{f.path}", f.data), f.executable)
                for f in skill.files
                if not f.path.startswith(UPLOAD_EXCLUDED)
            ]
            made.append(_write_zip(out, path, zip_deflated(entries, epoch)))
    path = plugin_bundle_path(plugin.name, version)
    if path in job.paths:
        entries = [(f.path, deflated(f.path, f.data), f.executable) for f in plugin.files]
        made.append(_write_zip(out, path, zip_deflated(entries, epoch)))
    return made


def _write_zip(out: Path, path: str, data: bytes) -> Bundle:
    write_atomic(out / path, data)
    return Bundle(path=path, sha256=hashlib.sha256(data).hexdigest(), size=len(data))


def _in_plugin(plugin: Plugin, repo_path: str) -> str:
    return repo_path if plugin.path == "." else repo_path[len(plugin.path) + 1 :]


def _data(owner: str, data: bytes | None) -> bytes:
    if data is None:  # validation refuses files over the limit unless allowed, and keeps those
        raise BuildError(f"{owner} was not read (over the size limit); list it under large_files")
    return data


def _catalog(
    market: Marketplace,
    plan: Plan,
    options: BuildOptions,
    now: datetime,
    bundles: dict[str, Bundle],
    reused: frozenset[str] = frozenset(),
) -> Catalog:
    assert market.manifest is not None and market.access is not None  # validation guarantees both
    stamp = format_time(now)
    previous = options.previous

    def release(version: str, digest: str, path: str) -> Release:
        return Release(
            version=version,
            digest=digest,
            bundle=bundles[path],
            catalog_version=plan.catalog_version,
            published_at=stamp,
        )

    skills, plugins = [], []
    for plugin in market.plugins:
        if plugin.path in reused and (kept := _previous_records(previous, plugin)) is not None:
            plugins.append(kept[0])
            skills.extend(kept[1])
            continue
        version = _version(plugin)
        surfaces = tuple(sorted(plugin.entry.surfaces))
        for skill in plugin.skills:
            made = release(version, skill.digest, skill_bundle_path(skill, version))
            history = _history(_published(previous, "skill", skill.ref), made, skill.name, market.lifecycle)
            skills.append(_skill_record(skill, plugin, made, surfaces, history, market.lifecycle))
        made = release(version, plugin.digest, plugin_bundle_path(plugin.name, version))
        history = _history(_published(previous, "plugin", plugin.name), made, plugin.name, market.lifecycle)
        plugins.append(_plugin_record(plugin, made, surfaces, history, market.lifecycle))
    manifest = market.manifest
    return Catalog(
        catalog_version=plan.catalog_version,
        generated_at=stamp,
        expires=format_time(now + options.validity),
        source=Source(
            repository=options.repository or os.environ.get("GITHUB_REPOSITORY"),
            commit=options.commit or _git_head(market.root),
        ),
        marketplace=MarketplaceInfo(
            name=manifest.name,
            owner=Owner(name=manifest.owner.name, email=manifest.owner.email, url=manifest.owner.url),
            description=manifest.summary,
        ),
        plugins=tuple(sorted(plugins, key=lambda p: p.name)),
        skills=tuple(sorted(skills, key=lambda s: (s.name, s.plugin))),
        removed=_removed(previous, plan),
        access=market.access,
    )


def _previous_records(
    previous: Catalog | None, plugin: Plugin
) -> tuple[PluginRecord, list[SkillRecord]] | None:
    """A plugin's record and its skills' from the previous catalog, verbatim, if it holds them all."""
    own = previous.plugin(plugin.name) if previous else None
    skills = [previous.skill(skill.ref) for skill in plugin.skills] if previous else []
    if own is None or any(record is None for record in skills):
        return None
    return own, [record for record in skills if record is not None]


def _history(
    history: tuple[Release, ...], release: Release, name: str, lifecycle: Lifecycle
) -> tuple[Release, ...]:
    if not any(r.version == release.version for r in history):
        history = (*history, release)
    if not lifecycle.yanked:
        return history
    return tuple(_yanked(r, lifecycle.yank_reason(name, r.version)) for r in history)


def _yanked(release: Release, reason: str | None) -> Release:
    return release.model_copy(update={"yanked": reason}) if reason and reason != release.yanked else release


def _published(previous: Catalog | None, kind: str, name: str) -> tuple[Release, ...]:
    """Every version of a skill or plugin published so far (also if it was removed since)."""
    if previous is None:
        return ()
    record = previous.skill(name) if kind == "skill" else previous.plugin(name)
    if record is not None:
        return record.history
    gone = next((r for r in previous.removed if (r.kind, r.name) == (kind, name)), None)
    return gone.history if gone else ()


def _deprecation(lifecycle: Lifecycle, name: str) -> Deprecation | None:
    found = lifecycle.deprecation(name)
    return Deprecation(reason=found.reason, replacement=found.replacement) if found else None


def _skill_record(
    skill: Skill,
    plugin: Plugin,
    release: Release,
    surfaces: tuple[str, ...],
    history: tuple[Release, ...],
    lifecycle: Lifecycle,
) -> SkillRecord:
    front = skill.front_matter
    assert front is not None  # validation guarantees a valid front matter
    tools = front.allowed_tools
    return SkillRecord(
        name=skill.name,
        id=skill.ref if skill.ref != skill.name else None,
        plugin=plugin.name,
        version=release.version,
        description=front.description,
        license=front.license,
        compatibility=front.compatibility,
        metadata=dict(front.metadata or {}),
        allowed_tools=" ".join(tools) if isinstance(tools, list) else tools,
        surfaces=surfaces,
        category=plugin.entry.category,
        tags=tuple(t for t in plugin.entry.tags or () if not t.startswith("surface:")),
        digest=release.digest,
        bundle=release.bundle,
        files=tuple(
            FileRecord(path=f.path, sha256=f.sha256, size=f.size, executable=f.executable)
            for f in skill.files
            if not f.path.startswith(UPLOAD_EXCLUDED)
        ),
        history=history,
        deprecated=_deprecation(lifecycle, skill.name),
    )


def _plugin_record(
    plugin: Plugin,
    release: Release,
    surfaces: tuple[str, ...],
    history: tuple[Release, ...],
    lifecycle: Lifecycle,
) -> PluginRecord:
    manifest, entry = plugin.manifest, plugin.entry
    author = (manifest.author if manifest else None) or entry.author
    return PluginRecord(
        name=plugin.name,
        version=release.version,
        description=(manifest.description if manifest else None) or entry.description,
        author=Author(name=author.name, email=author.email, url=author.url) if author else None,
        category=entry.category,
        tags=tuple(t for t in entry.tags or () if not t.startswith("surface:")),
        keywords=tuple((manifest.keywords if manifest else None) or entry.keywords or ()),
        homepage=(manifest.homepage if manifest else None) or entry.homepage,
        license=(manifest.license if manifest else None) or entry.license,
        surfaces=surfaces,
        digest=release.digest,
        bundle=release.bundle,
        skills=tuple(sorted(s.name for s in plugin.skills)),
        components=_components(plugin),
        history=history,
        deprecated=_deprecation(lifecycle, plugin.name),
        origin=_origin(plugin),
    )


def _origin(plugin: Plugin) -> Origin | None:
    found = plugin.origin
    if found is None:
        return None
    return Origin(
        source=found.kind, location=found.location, path=found.path, ref=found.ref, commit=found.commit
    )


def _components(plugin: Plugin) -> tuple[str, ...]:
    found = set()
    for f in plugin.files:
        top = f.path.split("/", 1)[0]
        if top in {"commands", "agents", "skills", "hooks", "output-styles"}:
            found.add(top)
        elif f.path == ".mcp.json":
            found.add("mcp")
        elif f.path == ".lsp.json":
            found.add("lsp")
    return tuple(sorted(found))


def _removed(previous: Catalog | None, plan: Plan) -> tuple[Removed, ...]:
    if previous is None:
        return ()
    back = {(i.kind, i.name) for i in plan.items if i.change is not Change.REMOVED}
    kept = [r for r in previous.removed if (r.kind, r.name) not in back]
    for item in plan.items:
        if item.change is Change.REMOVED and item.published is not None:
            record = previous.plugin(item.name) if item.kind == "plugin" else previous.skill(item.name)
            kept.append(
                Removed(
                    kind=item.kind,
                    name=item.name,
                    last_version=item.published,
                    removed_in=plan.catalog_version,
                    history=record.history if record else (),
                    readers=_readers_when_removed(previous, record),
                )
            )
    return tuple(sorted(kept, key=lambda r: (r.kind, r.name)))


def _readers_when_removed(previous: Catalog, record: SkillRecord | PluginRecord | None) -> tuple[str, ...]:
    """Who could read a record as it left: its plugin's rule may leave the policy with it, so the
    update check of a removed skill must not fall back to the defaults (they may open it to all)."""
    if isinstance(record, SkillRecord):
        return previous.access.readers(record.plugin, record.name)
    if isinstance(record, PluginRecord):
        return previous.access.readers(record.name)
    return previous.access.admins


def _git(root: Path, *args: str) -> str | None:
    """git's output in `root`, None when git is missing or says no."""
    try:
        result = subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout if result.returncode == 0 else None


def _git_head(root: Path) -> str | None:
    commit = (_git(root, "rev-parse", "HEAD") or "").strip()
    return commit if len(commit) == 40 else None


def _git_dirty(root: Path) -> bool:
    return bool(_git(root, "status", "--porcelain", "--untracked-files=normal", "--", "."))
