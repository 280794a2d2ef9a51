"""Remote plugin sources: `github`, `url` and `git-subdir` entries fetched at their pinned commit.

Each entry resolves to one commit (its `sha`, else its `ref` or the default branch through
`git ls-remote`, which is a warning, an error under `strict`). The files at that commit are kept in
a cache keyed by (source, commit), so an unchanged entry is never fetched again; the missing ones
are fetched in parallel, a bounded number at a time, one shallow fetch per repository and commit.

Credentials come from the environment, one token per host (`SKILLPORT_GIT_TOKEN_<HOST>`, and
`GITHUB_TOKEN` for github.com), and reach git only through its environment and a GIT_ASKPASS helper
that reads them from there: never argv, never a URL, never a message (git's own words are redacted
before they are shown). git runs without the system or global configuration, so no credential
helper stores the token and no `insteadOf` rewrites where it goes.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import stat
import subprocess
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
from skillport_build.repo.marketplace import Origin, RemoteReport
from skillport_build.repo.npmsource import Npm, default_registry, is_exact

FETCHED_KINDS = ("github", "url", "git-subdir", "npm")
DEFAULT_PARALLEL = 4
GITHUB_URL = "https://github.com"  # SKILLPORT_GITHUB_URL points github sources at GitHub Enterprise
DEFAULT_USER = "x-access-token"  # what GitHub expects beside an installation or fine-grained token
_HEX40 = re.compile(r"^[0-9a-f]{40}$")
_LOOPBACK = ("127.0.0.1", "::1", "localhost")
# git asks for the user, then the password, naming the URL; the token goes only to its own host
# (a redirect to another host gets nothing).
_ASKPASS = """#!/bin/sh
h="$SKILLPORT_ASKPASS_HOST"
case "$1" in
  Username*) printf '%s\\n' "$SKILLPORT_ASKPASS_USER" ;;
  *"@$h'"*|*"@$h:"*|*"@$h/"*|*"//$h'"*|*"//$h:"*|*"//$h/"*) printf '%s\\n' "$SKILLPORT_ASKPASS_TOKEN" ;;
  *) printf '\\n' ;;
esac
"""
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
class Wanted:
    """One remote entry, as asked for: which repository, which folder, which ref or commit."""

    index: int
    name: str
    origin: Origin  # commit still "" until resolved
    url: str  # what git fetches from

    @property
    def who(self) -> str:
        """`name (source)`, as messages and reports name an entry (a password in a URL left out)."""
        return f"{self.name} ({_redacted(self.origin.label)})"


@dataclass(frozen=True)
class Checkout:
    """An entry's files at its commit, in the cache."""

    origin: Origin
    folder: Path
    key: str  # the cache key: a hash of (source, commit)


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
        with _Git(self.environ, self.timeout) as git:
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

    def _commits(self, git: _Git, wanted: list[Wanted]) -> list[Wanted]:
        """The entries with their commits: a pinned `sha` as is, a ref through ls-remote."""
        pending = [w for w in wanted if not w.origin.commit]
        found = dict(zip(pending, self._map(partial(_latest, git), pending), strict=True))
        failures = [f"  {w.who}: {error}" for w, (_, error) in found.items() if error]
        if failures:
            raise RemoteSourceError(_failed(failures))
        return [_with_commit(w, found[w][0]) if w in found else w for w in wanted]

    def _trees(self, git: _Git, wanted: list[Wanted]) -> tuple[dict[int, Checkout], set[int]]:
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


def _latest(git: _Git, wanted: Wanted) -> tuple[str | None, str | None]:
    """What an unpinned entry names now: a git ref's commit, an npm range's newest version."""
    if wanted.origin.kind == "npm":
        return git.npm.resolve(wanted.origin.location, wanted.origin.ref, wanted.url)
    return git.ls_remote(wanted)


def _fetch(git: _Git, group: list[Wanted], checkouts: list[Checkout], cache: Path) -> str | None:
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
            origin = Origin("github", github.repo, None, github.ref, github.sha or "")
            return Wanted(index, name, origin, f"{base}/{github.repo}.git")
        model = GitSubdirSource if source["source"] == "git-subdir" else UrlSource
        parsed = model.model_validate(source)
    except (ValueError, KeyError):
        return None
    path = parsed.path.strip("/") if isinstance(parsed, GitSubdirSource) else None
    if path is not None and (not path or ".." in path.split("/") or "\\" in path):
        return None
    origin = Origin(parsed.source, parsed.url, path, parsed.ref, parsed.sha or "")
    return Wanted(index, name, origin, parsed.url)


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
        return f"`{_redacted(url)}` is not an https://, http://, git:// or ssh:// repository URL"
    if parts.password:
        return (
            "the URL carries a password; remove it from marketplace.json and give the token as "
            f"{token_variable(parts.hostname)} in the build's environment"
        )
    return None


def _redacted(url: str) -> str:
    parts = urlsplit(url)
    if not parts.password:
        return url
    return parts._replace(netloc=parts.netloc.rsplit("@", 1)[-1]).geturl()


def token_variable(host: str) -> str:
    """The environment variable holding the token for a host: SKILLPORT_GIT_TOKEN_GIT_EXAMPLE_COM."""
    return "SKILLPORT_GIT_TOKEN_" + re.sub(r"[^A-Z0-9]", "_", host.upper())


def user_variable(host: str) -> str:
    """The environment variable naming the user for a host's token (default x-access-token)."""
    return "SKILLPORT_GIT_USER_" + re.sub(r"[^A-Z0-9]", "_", host.upper())


@dataclass(frozen=True)
class Credential:
    """What git is given for one host: the token, the user, and where the token came from."""

    host: str
    variables: tuple[str, ...]  # where a token is looked for, in order
    token: str | None
    user: str
    found_in: str | None = None  # the variable the token came from


def credential(url: str, environ: Mapping[str, str]) -> Credential:
    """The credential for a repository URL, from the environment."""
    host = (urlsplit(url).hostname or "").lower()
    variables: tuple[str, ...] = (token_variable(host),)
    if host == "github.com" or host == urlsplit(environ.get("SKILLPORT_GITHUB_URL", GITHUB_URL)).hostname:
        variables += ("GITHUB_TOKEN",)
    found_in = next((v for v in variables if environ.get(v)), None)
    token = environ[found_in] if found_in else None
    return Credential(host, variables, token, environ.get(user_variable(host)) or DEFAULT_USER, found_in)


class _Git:
    """git, run with a clean configuration, no prompts, and the askpass helper."""

    def __init__(self, environ: Mapping[str, str], timeout: float) -> None:
        self.environ, self.timeout = environ, timeout
        self.home = Path(tempfile.mkdtemp(prefix="skillport-git-"))
        self.askpass = self.home / "askpass.sh"
        self.askpass.write_text(_ASKPASS)
        self.askpass.chmod(stat.S_IRWXU)
        self.npm = Npm(environ, timeout, self.home)

    def __enter__(self) -> _Git:
        return self

    def __exit__(self, *exc: object) -> None:
        shutil.rmtree(self.home, ignore_errors=True)

    def ls_remote(self, wanted: Wanted) -> tuple[str | None, str | None]:
        """The commit the entry's ref (or the default branch) names now, or an error."""
        ref = wanted.origin.ref
        if ref and _HEX40.match(ref):
            return ref, None
        result, sent = self._run(wanted, None, "ls-remote", "--", wanted.url, ref or "HEAD")
        if result.returncode != 0:
            return None, _explain(wanted, result.stderr, credential(wanted.url, self.environ), sent)
        found = _pick(result.stdout, ref)
        if found is None:
            return None, f"`ref` {ref!r} names no branch or tag in {wanted.url}; check the entry's `ref`"
        return found, None

    def fetch(self, group: list[Wanted], checkouts: list[Checkout], cache: Path) -> str | None:
        """Fetch one commit of one repository and put each entry's folder into the cache."""
        first = group[0]
        work = Path(tempfile.mkdtemp(prefix=".fetch-", dir=cache))
        try:
            repo = work / "repo.git"
            error = self._fetch_commit(first, repo, work)
            if error:
                return error
            for wanted, checkout in zip(group, checkouts, strict=True):
                error = self._export(repo, wanted, checkout, work)
                if error:
                    return error
            return None
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def _fetch_commit(self, wanted: Wanted, repo: Path, work: Path) -> str | None:
        """Fetch the one commit, shallow; from a server that refuses to hand out a commit no
        branch or tag names at its tip (protocol v0, some old hosts), the branches and tags, then
        look for it there."""
        commit = wanted.origin.commit
        result, sent = self._run(wanted, work, "init", "--quiet", "--bare", str(repo))
        if result.returncode == 0:
            shallow = ("fetch", "--quiet", "--depth", "1", "--no-tags", "--", wanted.url, commit)
            result, sent = self._run(wanted, work, "-C", str(repo), *shallow)
        if result.returncode != 0 and any(s in result.stderr.lower() for s in _MISSING_COMMIT):
            every = (
                "fetch",
                "--quiet",
                "--no-tags",
                "--",
                wanted.url,
                "+refs/heads/*:refs/h/*",
                "+refs/tags/*:refs/t/*",
            )
            result, sent = self._run(wanted, work, "-C", str(repo), *every)
            if result.returncode == 0:
                result, _ = self._run(wanted, work, "-C", str(repo), "cat-file", "-e", f"{commit}^{{commit}}")
                if result.returncode != 0:
                    result = subprocess.CompletedProcess(result.args, 1, "", "not our ref")
        if result.returncode != 0:
            return _explain(wanted, result.stderr, credential(wanted.url, self.environ), sent)
        return None

    def _export(self, repo: Path, wanted: Wanted, checkout: Checkout, work: Path) -> str | None:
        """Write the entry's folder at its commit (only that folder, for git-subdir), then move it
        into place in one rename, so the cache never holds half a tree."""
        origin = wanted.origin
        tree = f"{origin.commit}:{origin.path}" if origin.path else f"{origin.commit}^{{tree}}"
        index, target = work / f"index-{checkout.key}", work / checkout.key
        env = {"GIT_INDEX_FILE": str(index)}
        target.mkdir()
        args = ("--git-dir", str(repo), "--work-tree", str(target), "read-tree", "-u", "--reset", tree)
        result, _ = self._run(wanted, work, *args, extra=env)  # one process: index and files
        if result.returncode != 0:
            if origin.path and "not a valid object name" in result.stderr.lower():
                return f"no folder `{origin.path}` at commit {origin.commit[:12]}; check the entry's `path`"
            return f"git read-tree failed: {_last_line(result.stderr)}"
        with contextlib.suppress(FileExistsError, OSError):  # another build of the same commit won
            os.rename(target, checkout.folder)
        return None if checkout.folder.is_dir() else f"cannot write the cache folder {checkout.folder}"

    def _run(
        self, wanted: Wanted, cwd: Path | None, *args: str, extra: Mapping[str, str] | None = None
    ) -> tuple[subprocess.CompletedProcess[str], str | None]:
        found = credential(wanted.url, self.environ)
        scheme = urlsplit(wanted.url).scheme
        token = found.token if scheme in ("https", "http") else None
        if token and scheme == "http" and found.host not in _LOOPBACK:
            token = None  # a token never crosses the network in the clear
        env = {
            "PATH": self.environ.get("PATH", os.defpath),
            "HOME": str(self.home),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_ASKPASS": str(self.askpass),
            "SKILLPORT_ASKPASS_USER": found.user,
            "SKILLPORT_ASKPASS_HOST": found.host,
            "SKILLPORT_ASKPASS_TOKEN": token or "",
            "LC_ALL": "C",
            **{k: v for k, v in self.environ.items() if k in ("GIT_SSH_COMMAND", "SSH_AUTH_SOCK")},
            **(extra or {}),
        }
        command = ["git", "-c", "credential.helper=", "-c", "protocol.version=2", *args]
        try:
            result = subprocess.run(
                command, cwd=cwd, env=env, capture_output=True, text=True, timeout=self.timeout, check=False
            )
        except subprocess.TimeoutExpired:
            result = subprocess.CompletedProcess(command, 1, "", f"timed out after {self.timeout:.0f} s")
        except OSError as exc:
            result = subprocess.CompletedProcess(command, 1, "", f"cannot run git: {exc.strerror}")
        return result, token


def _pick(listing: str, ref: str | None) -> str | None:
    """The commit ls-remote gives for a ref: a tag's peeled commit, else the branch or tag."""
    found: dict[str, str] = {}
    for line in listing.splitlines():
        sha, _, name = line.partition("\t")
        found[name] = sha
    if ref is None:
        return found.get("HEAD")
    for name in (f"refs/tags/{ref}^{{}}", f"refs/tags/{ref}", f"refs/heads/{ref}", ref, f"{ref}^{{}}"):
        if name in found:
            return found[name]
    return None


_AUTH = (
    "authentication failed",
    "could not read username",
    "could not read password",
    "terminal prompts disabled",
    "returned error: 401",
    "returned error: 403",
    "access denied",
)
_MISSING_REPO = (
    "repository not found",
    "not found",
    "http 404",
    "does not appear to be a git repository",
    "returned error: 404",
    "no such file or directory",
)
_MISSING_COMMIT = (
    "not our ref",
    "couldn't find remote ref",
    "no such remote ref",
    "unadvertised object",
    "not a valid object",
    "bad object",
)
_NETWORK = (
    "could not resolve host",
    "connection refused",
    "failed to connect",
    "timed out",
    "unable to connect",
    "connection reset",
    "network is unreachable",
)


def _explain(wanted: Wanted, stderr: str, found: Credential, sent: str | None) -> str:
    """What went wrong, on which host, and what to check; git's words with the token removed."""
    said = stderr.replace(sent, "[token]") if sent else stderr
    if found.token:
        said = said.replace(found.token, "[token]")
    low = said.lower()
    host, variables = found.host or wanted.url, " or ".join(found.variables)
    if any(s in low for s in _AUTH):
        if sent:
            return (
                f"{host} refused the token in {found.found_in}; check that it is valid, not expired, and "
                f"grants read access (contents: read) to {wanted.origin.location}"
            )
        if found.token:
            return f"{host} asks for credentials, and a token is never sent over plain http: use https"
        return f"{host} asks for credentials and none is set; set {variables} in the build's environment"
    if any(s in low for s in _MISSING_COMMIT):
        return (
            f"commit {wanted.origin.commit or wanted.origin.ref} is not in {wanted.url}; check the entry's "
            "`sha` (pushed? rewritten since?)"
        )
    if any(s in low for s in _MISSING_REPO):
        return (
            f"{host} has no repository {wanted.origin.location}, or the credentials cannot see it; check "
            f"the entry's source and that {variables} grants access to it"
        )
    if any(s in low for s in _NETWORK):
        return f"cannot reach {host}; check the URL and the build's network"
    return f"git failed on {host}: {_last_line(said)}"


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no message"
