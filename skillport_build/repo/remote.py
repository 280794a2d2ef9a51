"""Remote plugin sources: `github`, `url` and `git-subdir` entries fetched at their pinned commit.

Each entry resolves to one commit (its `sha`, else its `ref` or the default branch through
`git ls-remote`, which is a warning, an error under `strict`). The files at that commit are kept in
a cache keyed by (source, commit), so an unchanged entry is never fetched again; the missing ones
are fetched in parallel, a bounded number at a time, one shallow fetch per repository and commit.

How git runs, and with which credentials, is gitfetch.py's; npm entries are npmsource.py's.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache, partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from skillport_build.errors import RemoteSourceError
from skillport_build.models.catalog import canonical_json
from skillport_build.models.marketplace import GithubSource, GitSubdirSource, NpmSource, UrlSource
from skillport_build.repo.gitfetch import GITHUB_URL, Checkout, Git, Wanted, redacted, token_variable
from skillport_build.repo.marketplace import Origin, RemoteReport
from skillport_build.repo.npmsource import default_registry, is_exact

FETCHED_KINDS = ("github", "url", "git-subdir", "npm")
DEFAULT_PARALLEL = 4
Progress = Callable[[int, int], None]  # (fetches done, fetches in all)


def user_cache(environ: Mapping[str, str] | None = None) -> Path:
    """Where commands without a build folder (plan, bump, the CI jobs) keep fetched entries:
    SKILLPORT_CACHE_DIR, else the XDG cache folder."""
    env = os.environ if environ is None else environ
    if env.get("SKILLPORT_CACHE_DIR"):
        return Path(env["SKILLPORT_CACHE_DIR"]) / "remote"
    base = env.get("XDG_CACHE_HOME") or str(Path(env.get("HOME") or Path.home()) / ".cache")
    return Path(base) / "skillport" / "remote"


@dataclass(frozen=True)
class Fetched:
    """What `RemoteSources.resolve` made of a marketplace's entries."""

    checkouts: dict[int, Checkout]
    report: RemoteReport


@dataclass
class RemoteSources:
    """Fetches remote entries into `cache` with credentials from `environ`."""

    cache: Path
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    skip: bool = False  # build the rest, list these as skipped
    strict: bool = False  # an entry without a pinned `sha` is an error
    parallel: int = DEFAULT_PARALLEL
    progress: Progress | None = None
    timeout: float = 600
    allow_file: bool = False  # file:// URLs (tests); a marketplace must not read the CI's own disk
    _done: dict[bytes, Fetched] = field(default_factory=dict, repr=False)  # one answer per manifest

    def resolve(self, entries: list[Any]) -> Fetched:
        """Give every fetchable entry its files at its commit; raise RemoteSourceError naming
        every entry that cannot be fetched (unless `skip`). Asked again about the same entries,
        the same answer: a branch that moves during a build does not split it across two commits."""
        key = canonical_json([[e.get("name"), e.get("source")] for e in entries if isinstance(e, dict)])
        if key not in self._done:
            self._done[key] = self._resolve(entries)
        return self._done[key]

    def _resolve(self, entries: list[Any]) -> Fetched:
        wanted, unsupported = _wanted(entries, self.environ)
        if self.skip:
            skipped = tuple(f"{w.who}: --remote skip" for w in wanted) + unsupported
            return Fetched({}, RemoteReport(skipped=skipped))
        refused = [f"  {w.who}: {why}" for w in wanted if (why := _refused_url(w.url, self.allow_file))]
        if refused:
            raise RemoteSourceError(
                f"{len(refused)} remote entr{'y' if len(refused) == 1 else 'ies'} cannot be fetched:\n"
                + "\n".join(refused)
            )
        if not wanted:
            return Fetched({}, RemoteReport(skipped=unsupported))
        unpinned = tuple(w.who for w in wanted if not w.origin.commit)
        if self.strict and unpinned:
            raise RemoteSourceError(
                "remote entries must be pinned under --strict; give each a 40-hex `sha` (npm: an exact "
                "`version`):\n" + "\n".join(f"  {who}" for who in unpinned)
            )
        with Git(self.environ, self.timeout) as git:
            resolved = self._commits(git, wanted)
            checkouts, fetched = self._trees(git, resolved)
        reused = tuple(w.who for w in resolved if w.index not in fetched)
        report = RemoteReport(
            fetched=tuple(w.who for w in resolved if w.index in fetched),
            reused=reused,
            skipped=unsupported,
            unpinned=unpinned,
        )
        return Fetched(checkouts, report)

    def _commits(self, git: Git, wanted: list[Wanted]) -> list[Wanted]:
        """The entries with their commits: a pinned `sha` as is, a ref through ls-remote."""
        pending = [w for w in wanted if not w.origin.commit]
        found = dict(zip(pending, self._map(partial(_latest, git), pending), strict=True))
        failures = [f"  {w.who}: {error}" for w, (_, error) in found.items() if error]
        if failures:
            raise RemoteSourceError(_failed(failures))
        return [_with_commit(w, found[w][0]) if w in found else w for w in wanted]

    def _trees(self, git: Git, wanted: list[Wanted]) -> tuple[dict[int, Checkout], set[int]]:
        """Every entry's folder in the cache, fetching the missing ones (one fetch per repository
        and commit, several at a time)."""
        self.cache.mkdir(parents=True, exist_ok=True)
        checkouts = {w.index: _checkout(self.cache, w) for w in wanted}
        missing: dict[tuple[str, str], list[Wanted]] = {}
        for w in wanted:
            if not checkouts[w.index].folder.is_dir():
                missing.setdefault((w.url, w.origin.commit), []).append(w)
        groups = list(missing.values())
        done = 0

        lock = threading.Lock()

        def fetch(group: list[Wanted]) -> str | None:
            nonlocal done
            error = _fetch(git, group, [checkouts[w.index] for w in group], self.cache)
            with lock:  # fetches finish on several threads; the bar hears of one at a time
                done += 1
                if self.progress:
                    self.progress(done, len(groups))
            return error

        failures = [
            f"  {w.who}: {error}"
            for group, error in zip(groups, self._map(fetch, groups), strict=True)
            if error
            for w in group
        ]
        if failures:
            raise RemoteSourceError(_failed(failures))
        return checkouts, {w.index for group in groups for w in group}

    def _map(self, work: Callable[[Any], Any], items: list[Any]) -> list[Any]:
        if len(items) < 2 or self.parallel < 2:
            return [work(item) for item in items]
        with ThreadPoolExecutor(max_workers=min(self.parallel, len(items))) as pool:
            return list(pool.map(work, items))


def _latest(git: Git, wanted: Wanted) -> tuple[str | None, str | None]:
    """What an unpinned entry names now: a git ref's commit, an npm range's newest version."""
    if wanted.origin.kind == "npm":
        return git.npm.resolve(wanted.origin.location, wanted.origin.ref, wanted.url)
    return git.ls_remote(wanted)


def _fetch(git: Git, group: list[Wanted], checkouts: list[Checkout], cache: Path) -> str | None:
    if group[0].origin.kind != "npm":
        return git.fetch(group, checkouts, cache)
    work = Path(tempfile.mkdtemp(prefix=".fetch-", dir=cache))
    try:
        first, checkout = group[0], checkouts[0]
        origin = first.origin
        error = git.npm.fetch(origin.location, origin.commit, first.url, work, work / checkout.key)
        if error is None:
            with contextlib.suppress(OSError):  # another build of the same version won
                os.rename(work / checkout.key, checkout.folder)
        return error
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _failed(lines: list[str]) -> str:
    count = len(lines)
    return (
        f"{count} remote entr{'y' if count == 1 else 'ies'} could not be fetched (nothing was built; "
        "`--remote skip` builds the rest):\n" + "\n".join(lines)
    )


def _unresolved(origin: Origin) -> Origin:
    return Origin(origin.kind, origin.location, origin.path, origin.ref, "")


def _with_commit(wanted: Wanted, commit: str) -> Wanted:
    origin = wanted.origin
    pinned = Origin(origin.kind, origin.location, origin.path, origin.ref, commit)
    return Wanted(wanted.index, wanted.name, pinned, wanted.url)


def _checkout(cache: Path, wanted: Wanted) -> Checkout:
    origin = wanted.origin
    key = hashlib.sha256(
        canonical_json([origin.kind, wanted.url, origin.location, origin.path, origin.commit])
    ).hexdigest()[:40]
    return Checkout(origin, cache / key, key)


def _wanted(entries: Iterable[Any], environ: Mapping[str, str]) -> tuple[list[Wanted], tuple[str, ...]]:
    """The entries to fetch, and the remote ones that cannot be (archive, command)."""
    wanted: list[Wanted] = []
    unsupported: list[str] = []
    registry = cache(partial(default_registry, environ))  # asked of npm once, if an entry needs it
    for index, raw in enumerate(entries):
        source = raw.get("source") if isinstance(raw, dict) else None
        name = raw.get("name") if isinstance(raw, dict) else None
        if not isinstance(source, dict) or not isinstance(name, str):
            continue
        kind = source.get("source")
        if kind not in FETCHED_KINDS:
            unsupported.append(f"{name} ({kind}): `{kind}` sources are not fetched")
            continue
        found = _parse(index, name, source, environ, registry)
        if found is not None:  # a malformed source is reported by validation, not here
            wanted.append(found)
    return wanted, tuple(unsupported)


def _parse(
    index: int, name: str, source: dict[str, Any], environ: Mapping[str, str], registry: Callable[[], str]
) -> Wanted | None:
    try:
        if source["source"] == "npm":
            npm = NpmSource.model_validate(source)
            url = (npm.registry or registry()).rstrip("/")
            pinned = is_exact(npm.version)
            origin = Origin("npm", npm.package, None, None if pinned else npm.version, npm.version or "")
            return Wanted(index, name, origin if pinned else _unresolved(origin), url)
        if source["source"] == "github":
            github = GithubSource.model_validate(source)
            base = environ.get("SKILLPORT_GITHUB_URL", GITHUB_URL).rstrip("/")
            origin = Origin("github", github.repo, None, github.ref, _pin(github.sha, github.ref))
            return Wanted(index, name, origin, f"{base}/{github.repo}.git")
        model = GitSubdirSource if source["source"] == "git-subdir" else UrlSource
        parsed = model.model_validate(source)
    except (ValueError, KeyError):
        return None
    path = parsed.path.strip("/") if isinstance(parsed, GitSubdirSource) else None
    if path is not None and (not path or ".." in path.split("/") or "\\" in path):
        return None
    origin = Origin(parsed.source, parsed.url, path, parsed.ref, _pin(parsed.sha, parsed.ref))
    return Wanted(index, name, origin, parsed.url)


def _pin(sha: str | None, ref: str | None) -> str:
    """The commit an entry pins: its `sha`, or a `ref` that is a full commit id itself."""
    return sha or (ref if ref and _COMMIT.match(ref) else "")


_COMMIT = re.compile(r"^[0-9a-f]{40}$")
_SCHEMES = ("https", "http", "git", "ssh")
_SCP_LIKE = re.compile(r"^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^/]")


def _refused_url(url: str, allow_file: bool) -> str | None:
    """Why git must not fetch from this URL, or None."""
    if _SCP_LIKE.match(url):
        return None
    parts = urlsplit(url)
    if parts.scheme == "file" and allow_file:
        return None
    if parts.scheme not in _SCHEMES or not parts.hostname:
        return f"`{redacted(url)}` is not an https://, http://, git:// or ssh:// repository URL"
    if parts.password:
        return (
            "the URL carries a password; remove it from marketplace.json and give the token as "
            f"{token_variable(parts.hostname)} in the build's environment"
        )
    return None
