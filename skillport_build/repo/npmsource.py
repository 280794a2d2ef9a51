"""npm plugin sources: one version of a package, fetched from its registry with `npm pack`.

An exact `version` is a pin (the cache key is known before any request); a range, a dist-tag or no
version is resolved with `npm view` first, like a git ref. The registry's token comes from
`SKILLPORT_NPM_TOKEN_<HOST>` and reaches npm through a throwaway user config that names only the
variable (`${SKILLPORT_NPM_AUTH}`, which npm expands itself): never argv, a file or a message.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tarfile
import tempfile
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

_EXACT = re.compile(r"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")
_LOOPBACK = ("127.0.0.1", "::1", "localhost")


def is_exact(version: str | None) -> bool:
    """Tell whether an npm version names one release (a pin), not a range or a tag."""
    return bool(version and _EXACT.match(version))


def default_registry(environ: Mapping[str, str]) -> str:
    """The registry of entries that name none: SKILLPORT_NPM_REGISTRY, else npm's own default
    (asked of npm with no configuration, so a runner's .npmrc does not redirect it)."""
    if environ.get("SKILLPORT_NPM_REGISTRY"):
        return environ["SKILLPORT_NPM_REGISTRY"]
    with tempfile.TemporaryDirectory(prefix="skillport-npm-") as home:
        (Path(home) / "npmrc").touch()
        env = {"PATH": environ.get("PATH", os.defpath), "HOME": home}
        env.update(NPM_CONFIG_USERCONFIG=str(Path(home) / "npmrc"), NPM_CONFIG_GLOBALCONFIG=os.devnull)
        command = ["npm", "config", "get", "registry"]
        try:
            done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)
        except (OSError, subprocess.SubprocessError):
            return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def npm_token_variable(host: str) -> str:
    """The variable holding a registry's token: SKILLPORT_NPM_TOKEN_NPM_EXAMPLE_COM."""
    return "SKILLPORT_NPM_TOKEN_" + re.sub(r"[^A-Z0-9]", "_", host.upper())


class Npm:
    """npm, run with a user config of its own, a cache of its own and no prompts."""

    def __init__(self, environ: Mapping[str, str], timeout: float, home: Path) -> None:
        self.environ, self.timeout, self.home = environ, timeout, home

    def resolve(self, package: str, spec: str | None, registry: str) -> tuple[str | None, str | None]:
        """The exact version `spec` names now in the registry, or an error."""
        result = self._run(registry, "view", f"{package}@{spec or 'latest'}", "version", "--json")
        if result.returncode != 0:
            return None, self._explain(registry, package, result.stdout + result.stderr)
        try:
            found = json.loads(result.stdout or "null")
        except ValueError:
            found = None
        versions = found if isinstance(found, list) else [found]
        versions = [v for v in versions if isinstance(v, str)]
        if not versions:
            return (
                None,
                f"no version of {package} matches {spec!r} in {registry}; check the entry's `version`",
            )
        return versions[-1], None  # npm lists matches oldest first; install takes the newest

    def fetch(self, package: str, version: str, registry: str, work: Path, target: Path) -> str | None:
        """Download package@version into `work` and unpack its files into `target`."""
        result = self._run(
            registry, "pack", f"{package}@{version}", "--json", "--pack-destination", str(work), cwd=work
        )
        if result.returncode != 0:
            return self._explain(registry, package, result.stdout + result.stderr)
        tarballs = sorted(work.glob("*.tgz"))
        if not tarballs:
            return f"npm pack wrote no tarball for {package}@{version}"
        with tarfile.open(tarballs[0]) as archive:
            members = [m for m in archive.getmembers() if m.name.startswith("package/")]
            archive.extractall(work / "unpacked", members=members, filter="data")  # no escapes, no devices
        (work / "unpacked" / "package").rename(target)
        return None

    def _run(self, registry: str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        parts = urlsplit(registry)
        host = (parts.hostname or "").lower()
        token = self.environ.get(npm_token_variable(host)) or None
        if token and parts.scheme == "http" and host not in _LOOPBACK:
            token = None  # a token never crosses the network in the clear
        config = self.home / f"npmrc-{abs(hash((registry, bool(token))))}"
        lines = [f"registry={registry}"]
        if token:
            scope = f"//{parts.netloc}{parts.path.rstrip('/')}/"
            lines.append(f"{scope}:_authToken=${{SKILLPORT_NPM_AUTH}}")
        config.write_text("\n".join(lines) + "\n")
        env = {
            "PATH": self.environ.get("PATH", os.defpath),
            "HOME": str(self.home),
            "NPM_CONFIG_USERCONFIG": str(config),
            "NPM_CONFIG_GLOBALCONFIG": os.devnull,
            "NPM_CONFIG_CACHE": str(self.home / "npm-cache"),
            "NPM_CONFIG_UPDATE_NOTIFIER": "false",
            "NPM_CONFIG_FUND": "false",
            "NPM_CONFIG_AUDIT": "false",
            "NPM_CONFIG_IGNORE_SCRIPTS": "true",  # a plugin's package never runs code in CI
            "SKILLPORT_NPM_AUTH": token or "",
        }
        command = ["npm", "--registry", registry, *args]
        try:
            return subprocess.run(
                command, cwd=cwd, env=env, capture_output=True, text=True, timeout=self.timeout, check=False
            )
        except subprocess.TimeoutExpired:
            return subprocess.CompletedProcess(command, 1, "", f"timed out after {self.timeout:.0f} s")
        except OSError as exc:
            return subprocess.CompletedProcess(command, 1, "", f"cannot run npm: {exc.strerror}")

    def _explain(self, registry: str, package: str, said: str) -> str:
        host = urlsplit(registry).hostname or registry
        variable = npm_token_variable(host)
        token = self.environ.get(variable)
        if token:
            said = said.replace(token, "[token]")
        codes = set(re.findall(r"\b(E\d{3}|ENOTFOUND|ECONNREFUSED|ETIMEDOUT|ETARGET|ECONNRESET)\b", said))
        if codes & {"E401", "E403"}:
            if token:
                return (
                    f"{host} refused the token in {variable}; check that it is valid and may read {package}"
                )
            return f"{host} asks for credentials and none is set; set {variable} in the build's environment"
        if codes & {"E404", "ETARGET"}:
            return (
                f"{host} has no {package} at that version (or the token cannot see it); check the "
                f"entry's `package` and `version`, and that {variable} may read it"
            )
        if codes & {"ENOTFOUND", "ECONNREFUSED", "ETIMEDOUT", "ECONNRESET"}:
            return f"cannot reach {host}; check the registry URL and the build's network"
        lines = [line.strip() for line in said.strip().splitlines() if line.strip()]
        return f"npm failed on {host}: {lines[-1] if lines else 'no message'}"
