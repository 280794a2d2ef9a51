"""git, run for remote plugin sources: credentials from the environment through an askpass helper,
a clean configuration, one shallow fetch of one commit, and failures explained.

Credentials come from the environment, one token per host (`SKILLPORT_GIT_TOKEN_<HOST>`, and
`GITHUB_TOKEN` for github.com), and reach git only through its environment and a GIT_ASKPASS helper
that reads them from there: never argv, never a URL, never a message (git's own words are redacted
before they are shown). git runs without the system or global configuration, so no credential
helper stores the token and no `insteadOf` rewrites where it goes.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from skillport_build.repo.marketplace import Origin
from skillport_build.repo.npmsource import Npm

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
        return f"{self.name} ({redacted(self.origin.label)})"


@dataclass(frozen=True)
class Checkout:
    """An entry's files at its commit, in the cache."""

    origin: Origin
    folder: Path
    key: str  # the cache key: a hash of (source, commit)


def redacted(url: str) -> str:
    """The URL with any password left out."""
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


class Git:
    """git, run with a clean configuration, no prompts, and the askpass helper."""

    def __init__(self, environ: Mapping[str, str], timeout: float) -> None:
        self.environ, self.timeout = environ, timeout
        self.home = Path(tempfile.mkdtemp(prefix="skillport-git-"))
        self.askpass = self.home / "askpass.sh"
        self.askpass.write_text(_ASKPASS)
        self.askpass.chmod(stat.S_IRWXU)
        self.npm = Npm(environ, timeout, self.home)

    def __enter__(self) -> Git:
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
