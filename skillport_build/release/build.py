"""`skillport build`: one reproducible zip per skill and per plugin, and the catalog, in store layout.

    OUT/bundles/<skill>/<version>/<skill>-<version>.zip     upload layout: one top folder <skill>/
    OUT/plugins/<plugin>/<version>/<plugin>-<version>.zip   .claude-plugin/plugin.json at the root
    OUT/texts/<sha256>.json.zst                             every skill's SKILL.md text, for search
    OUT/catalog.json                                        canonical JSON, unsigned

A bundle whose skill's version and digest are unchanged is reused, not rebuilt; both cores compress.
When the previous catalog is the one the build cache saw written into OUT (release/previous.py),
a plugin the cache vouches for costs a fingerprint compare: it is planned from its summary and its
records are copied as bytes from that catalog.
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
from functools import cached_property
from itertools import repeat
from pathlib import Path

from skillport_build.errors import BuildError, CatalogError, ValidationFailed
from skillport_build.models.base import gc_paused
from skillport_build.models.catalog import (
    Bundle,
    Catalog,
    MarketplaceInfo,
    Owner,
    Release,
    SkillRecord,
    Source,
    canonical_json,
    format_time,
)
from skillport_build.release.assemble import Entry, assemble
from skillport_build.release.bundle import Deflated, deflate, source_date_epoch, stamp_skill_md, zip_deflated
from skillport_build.release.files import write_atomic
from skillport_build.release.plan import Plan, make_plan
from skillport_build.release.previous import Previous, unsigned_if_ours
from skillport_build.release.records import (
    UPLOAD_EXCLUDED,
    plugin_bundle_path,
    records_of,
    removed_records,
    skill_bundle_path,
)
from skillport_build.release.texts import write_texts
from skillport_build.repo.buildcache import BuildCache, cache_salt
from skillport_build.repo.diagnostics import Diagnostic
from skillport_build.repo.gitindex import GitIndex, GitIndexReading
from skillport_build.repo.loader import load
from skillport_build.repo.marketplace import Marketplace, Plugin, RemoteReport
from skillport_build.repo.paths import ACCESS_YAML, VALIDATE_YAML
from skillport_build.repo.remote import RemoteSources
from skillport_build.validate import validate_by_plugin

__all__ = ["BuildOptions", "BuildResult", "build", "plugin_bundle_path", "remote_cache", "skill_bundle_path"]

DEFAULT_VALIDITY = timedelta(days=30)


@dataclass(frozen=True)
class BuildOptions:
    """Everything a build needs besides the repository."""

    out: Path
    previous: Catalog | None = None  # parsed already; with previous_bytes, only used if those are not ours
    previous_bytes: bytes | None = None  # the previous catalog.json as published (signed or not)
    previous_source: str = "the previous catalog"  # how messages name previous_bytes
    now: datetime | None = None  # default: SOURCE_DATE_EPOCH, else the clock
    validity: timedelta = DEFAULT_VALIDITY
    commit: str | None = None  # default: the repository's git HEAD, if any
    repository: str | None = None
    jobs: int = field(default_factory=lambda: os.cpu_count() or 1)
    incremental: bool = True  # use and update the build cache in OUT/.cache/
    remote: RemoteSources | None = None  # fetches remote entries; default: into OUT/.cache/remote/
    git_index: GitIndexReading | None = None  # git asked early about the tree (the CLI does); else now


Progress = Callable[[int, int], None]  # (bundles done, bundles in all)


@dataclass(frozen=True)
class BuildResult:
    """What the build wrote."""

    data: bytes  # catalog.json as written
    plan: Plan
    written: tuple[str, ...]  # store-relative paths of bundles made now
    reused: tuple[str, ...]  # bundles already in OUT with the right bytes
    warnings: tuple[str, ...] = ()  # what the person should know: a dirty tree, remote entries
    remote: RemoteReport = field(default_factory=RemoteReport)  # fetched, reused, skipped
    copied: tuple[str, ...] = ()  # plugins whose records were copied as bytes from the previous catalog
    catalog_version: int = 0
    skills: int = 0
    plugins: int = 0

    @cached_property
    def catalog(self) -> Catalog:
        """The catalog written, parsed (on first use: a rebuild itself never parses it)."""
        return Catalog.from_bytes(self.data, "the catalog built")


@dataclass(frozen=True)
class _Job:
    """One plugin's bundles that must be written: its skills' zips and its own, made together so
    that each file is compressed once."""

    plugin: Plugin
    version: str
    paths: frozenset[str]


@dataclass(frozen=True)
class _TextSkill:
    """A copied skill record as the search texts see it."""

    name: str
    bundle: Bundle


@dataclass(frozen=True)
class _PreviousTexts:
    """The previous catalog's shards and its skills' bundles, for the search texts."""

    texts: tuple[Bundle, ...] | None
    skills: list[_TextSkill]


def build(root: Path, options: BuildOptions, progress: Progress | None = None) -> BuildResult:
    """Validate, plan against the previous catalog, write the bundles, then the catalog."""
    with gc_paused():  # tens of thousands of plugins, files and records, none in a cycle
        return _build(root, options, progress)


def _build(root: Path, options: BuildOptions, progress: Progress | None) -> BuildResult:
    cache = _open_cache(root, options.out, options.git_index) if options.incremental else None
    previous, said = _previous(options, cache)
    if cache is not None and previous is not None and previous.is_trusted:
        cache.summaries = True  # the plugins it vouches for are planned and copied from summaries
    remote = options.remote or RemoteSources(remote_cache(options.out))
    market = load(root, cache, remote)
    report, findings = validate_by_plugin(market)  # every read plugin's rules; all cross-plugin ones
    if report.errors:
        lines = [f"{d.location()}: {d.rule}: {d.message}" for d in report.errors[:5]]
        raise ValidationFailed(len(report.errors), lines)
    if market.access is None:
        raise BuildError(
            f"{ACCESS_YAML} is missing: nothing is built without an access policy, so that nothing is "
            "ever served to the wrong people; `skillport new access` writes one to start from"
        )
    now = options.now or datetime.fromtimestamp(source_date_epoch(int(datetime.now(UTC).timestamp())), UTC)
    known = _known_bundles(options, previous) | (cache.known_bundles() if cache else {})

    # 1. Sort out the bundles already in OUT with the published bytes; a job per plugin for the rest.
    options.out.mkdir(parents=True, exist_ok=True)
    bundles, jobs = _sort_out(market, options.out, known, cache)
    if cache is not None and any(job.plugin.cached for job in jobs):
        cache.forget(job.plugin.path for job in jobs)  # a bundle went missing: read those plugins again
        market = load(root, cache, remote)
        bundles, jobs = _sort_out(market, options.out, known, cache)

    # 2. The plan; a plugin the cache vouches for, with every bundle in place, is as published.
    lifecycle = canonical_json(market.lifecycle.model_dump(mode="json"))
    pending = {job.plugin.path for job in jobs}
    keys = {
        p.path: _record_key(p, bundles, lifecycle)
        for p in market.plugins
        if cache is not None and p.path not in pending
    }
    copied = _copyable(market, previous, cache, keys)
    plan = make_plan(market, previous, unchanged=frozenset(copied))
    _refuse_problems(plan)

    # 3. Build the missing bundles, on every core when there are enough.
    reused, total = tuple(bundles), len(bundles) + sum(len(job.paths) for job in jobs)
    epoch = source_date_epoch()  # zip times come from the content's epoch, never the clock
    for made in _make(jobs, options.out, epoch, options.jobs):
        bundles.update((bundle.path, bundle) for bundle in made)
        if progress:
            progress(len(bundles), total)
    if cache is not None:
        keys.update((job.plugin.path, _record_key(job.plugin, bundles, lifecycle)) for job in jobs)

    # 4. The catalog, written last so that it never names a bundle that is not there.
    data, spans, layout, counts = _write_catalog(market, plan, options, now, bundles, previous, copied, cache)
    write_atomic(options.out / "catalog.json", data)
    if cache is not None:
        noted = {p.path: keys[p.path] for p in market.plugins if p.fingerprint is not None}
        cache.remember_catalog(hashlib.sha256(data).hexdigest(), noted, _spans(market, spans, noted), layout)
        _update_cache(cache, market, findings, options.out, bundles)
    written = tuple(sorted(path for job in jobs for path in job.paths))
    commit = options.commit or _git_head(market.root)
    warnings = (*said, *_warnings(market, options, commit, cache.index if cache else None))
    names = tuple(sorted(p.name for p in market.plugins if p.path in copied))
    return BuildResult(
        data, plan, written, reused, warnings, market.remote, names, plan.catalog_version, *counts
    )


def remote_cache(out: Path) -> Path:
    """Where a build into `out` keeps remote entries' files, by (source, commit)."""
    return out / ".cache" / "remote"


def _previous(options: BuildOptions, cache: BuildCache | None) -> tuple[Previous | None, tuple[str, ...]]:
    """The previous catalog: trusted when its bytes are the ones the cache saw written, else
    parsed in full (a CatalogError if it is not a valid catalog), with a word why nothing is copied."""
    raw = options.previous_bytes
    if raw is None:
        return (Previous.parsed(options.previous) if options.previous else None), ()
    unsigned = unsigned_if_ours(raw, cache)
    if unsigned is not None and cache is not None:
        with contextlib.suppress(CatalogError):  # the head did not parse: not ours after all
            return Previous.trusted(unsigned, cache), ()
    parsed = Previous.parsed(options.previous or Catalog.from_bytes(raw, options.previous_source))
    said: tuple[str, ...] = ()
    if cache is not None and cache.catalog is not None:
        said = (
            f"{options.previous_source} is not the catalog the last build into {options.out} wrote "
            "(another build's, or edited since): every record was made again, none copied from it",
        )
    return parsed, said


def _copyable(
    market: Marketplace, previous: Previous | None, cache: BuildCache | None, keys: dict[str, str]
) -> set[str]:
    """The plugin folders whose records the trusted previous catalog holds exactly as this build
    would make them: every input of the records hashes as it did when the cache wrote them there."""
    if previous is None or not previous.is_trusted or cache is None:
        return set()
    return {
        plugin.path
        for plugin in market.plugins
        if plugin.path in keys
        and cache.records_from(plugin.path, cache.catalog) == keys[plugin.path]
        and all(key in previous.spans for key in _record_names(plugin))
    }


def _record_names(plugin: Plugin) -> list[str]:
    """The keys of a plugin's records in the catalog: plugin:<name>, skill:<ref>."""
    return [f"plugin:{plugin.name}", *(f"skill:{s.ref}" for s in plugin.skills)]


def _record_key(plugin: Plugin, bundles: dict[str, Bundle], lifecycle: bytes) -> str:
    """A hash of every input of a plugin's catalog records but the previous catalog's history: the
    folder's fingerprint, its skills' addresses, its bundles and the lifecycle."""
    own = "\0".join(f"{b.path}\0{b.sha256}\0{b.size}" for b in (bundles[p] for p, _ in _bundle_paths(plugin)))
    refs = "\0".join(skill.ref for skill in plugin.skills)
    return hashlib.sha256(f"{plugin.fingerprint}\n{refs}\n{own}\n".encode() + lifecycle).hexdigest()


def _write_catalog(
    market: Marketplace,
    plan: Plan,
    options: BuildOptions,
    now: datetime,
    bundles: dict[str, Bundle],
    previous: Previous | None,
    copied: set[str],
    cache: BuildCache | None,
) -> tuple[bytes, dict[str, tuple[int, int]], list[int], tuple[int, int]]:
    """The catalog's bytes, where each record sits in them, where its record arrays start and end,
    and how many skills and plugins it has. Copied records are the previous catalog's bytes; the
    rest are made from the plugins (a summary one expanded from the cache first)."""
    stamp = format_time(now)

    def release(version: str, digest: str, path: str) -> Release:
        return Release(
            version=version,
            digest=digest,
            bundle=bundles[path],
            catalog_version=plan.catalog_version,
            published_at=stamp,
        )

    plugins: list[Entry] = []
    skills: list[Entry] = []
    texts: list[_TextSkill | SkillRecord] = []
    for plugin in market.plugins:
        if plugin.path in copied and previous is not None:
            plugins.append(
                Entry(plugin.name, f"plugin:{plugin.name}", previous.place(f"plugin:{plugin.name}"))
            )
            for skill in plugin.skills:
                key = f"skill:{skill.ref}"
                skills.append(Entry((skill.name, plugin.name), key, previous.place(key)))
                texts.append(
                    _TextSkill(skill.name, bundles[skill_bundle_path(skill, plugin.release_version)])
                )
            continue
        full = cache.expand(plugin) if cache is not None else plugin
        made, own = records_of(full, previous, market.lifecycle, release)
        plugins.append(Entry(made.name, f"plugin:{made.name}", made))
        skills += [Entry((s.name, s.plugin), f"skill:{s.ref}", s) for s in own]
        texts += own
    head = _head(market, plan, options, now, previous)
    shards = write_texts(
        options.out, texts, _bodies(market, bundles), _previous_texts(previous, market, copied, bundles)
    )
    head = head.model_copy(update={"texts": shards})
    data, spans, layout = assemble(head, plugins, skills)
    return data, spans, layout, (len(skills), len(plugins))


def _head(
    market: Marketplace, plan: Plan, options: BuildOptions, now: datetime, previous: Previous | None
) -> Catalog:
    """The catalog without its records."""
    assert market.manifest is not None and market.access is not None  # validation guarantees both
    manifest = market.manifest
    return Catalog(
        catalog_version=plan.catalog_version,
        generated_at=format_time(now),
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
        plugins=(),
        skills=(),
        removed=removed_records(previous, plan),
        access=market.access,
    )


def _previous_texts(
    previous: Previous | None, market: Marketplace, copied: set[str], bundles: dict[str, Bundle]
) -> _PreviousTexts | Catalog | None:
    """What write_texts needs of the previous catalog: its shards and its skills' bundles (a
    copied skill's bundle is the one in OUT; the other records of a trusted catalog are parsed)."""
    if previous is None:
        return None
    if previous.catalog is not None:
        return previous.catalog
    kept: list[_TextSkill] = []
    copied_keys = set()
    for plugin in market.plugins:
        if plugin.path in copied:
            for skill in plugin.skills:
                copied_keys.add(f"skill:{skill.ref}")
                kept.append(_TextSkill(skill.name, bundles[skill_bundle_path(skill, plugin.release_version)]))
    for key in previous.spans:
        if key.startswith("skill:") and key not in copied_keys and (record := previous.skill(key[6:])):
            kept.append(_TextSkill(record.name, record.bundle))
    return _PreviousTexts(previous.texts, kept)


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
    market: Marketplace, options: BuildOptions, commit: str | None, index: GitIndex | None
) -> tuple[str, ...]:
    found = []
    dirty = index is not None and index.modified  # what git's index already said, else git status
    if options.commit is None and commit and (dirty or _git_dirty(market.root)):
        found.append(
            f"the working tree has uncommitted changes: the catalog records commit "
            f"{commit[:12]}, which does not hold them; commit first for a build anyone "
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


def _open_cache(root: Path, out: Path, reading: GitIndexReading | None) -> BuildCache:
    settings = root / VALIDATE_YAML
    salt = cache_salt(settings.read_bytes() if settings.is_file() else None)
    index = reading.result() if reading is not None and reading.root == root else GitIndex.read(root)
    return BuildCache.open(out, salt, index)


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
        cache.remember_bundle(out, path, bundle.sha256, digests[path])
    cache.save()


def _spans(
    market: Marketplace, spans: dict[str, tuple[int, int]], noted: dict[str, str]
) -> dict[str, dict[str, list[int]]]:
    """Per plugin folder the cache vouches for, where its records sit in the catalog's bytes."""
    found: dict[str, dict[str, list[int]]] = {}
    for plugin in market.plugins:
        if plugin.path not in noted:
            continue
        found[plugin.path] = {key: list(spans[key]) for key in _record_names(plugin) if key in spans}
    return found


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


def _known_bundles(options: BuildOptions, previous: Previous | None) -> dict[tuple[str, str], str]:
    """(path, digest) -> sha256 of bundles already published or already in OUT (a trusted previous
    catalog's are all in the build cache)."""
    catalogs = [previous.catalog if previous else None]
    existing = options.out / "catalog.json"
    if previous is None and existing.is_file():  # a rebuild of an unpublished OUT
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
    base = f"{out}{os.sep}"  # one string join per bundle, not a Path
    for plugin in market.plugins:
        missing = set()
        for path, digest in _bundle_paths(plugin):
            kept = _kept(base + path, path, known.get((path, digest)), cache)
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


def _kept(target: str, path: str, published: str | None, cache: BuildCache | None) -> Bundle | None:
    """The bundle already in OUT, if it has the published bytes (an untouched cached stat suffices)."""
    if published is None:
        return None
    try:
        st = os.stat(target)
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    seen = cache.bundle_sha256(st, path) if cache else None
    if seen != published and _sha256_file(Path(target)) != published:
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
