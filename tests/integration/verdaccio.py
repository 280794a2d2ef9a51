"""A real npm registry for the tests: Verdaccio (npm, installed by `make tools`) on 127.0.0.1, with a
throwaway config and storage, no uplinks, and every package readable only when signed in."""

from __future__ import annotations

import os
import secrets
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from factory import REPO
from integration.gitserver import free_port
from integration.processes import running_process

BUNDLED = REPO / ".tools/verdaccio/node_modules/.bin/verdaccio"


def verdaccio_binary() -> str:
    """Verdaccio from SKILLPORT_VERDACCIO, else .tools/; under `make test` a missing one fails."""
    path = os.environ.get("SKILLPORT_VERDACCIO") or (str(BUNDLED) if BUNDLED.exists() else "")
    if path and Path(path).exists():
        return path
    if os.environ.get("SKILLPORT_INTEGRATION") == "1":
        pytest.fail("Verdaccio is not installed; `make tools` installs it")
    pytest.skip("Verdaccio not installed: run the suite with `make test`")


@dataclass(frozen=True)
class Registry:
    """A running registry and a token of a user who may read and publish."""

    url: str
    token: str
    workdir: Path

    def publish(self, folder: Path) -> None:
        """`npm publish` the package in `folder` with this registry's token."""
        npmrc = self.workdir / "publish.npmrc"
        host = self.url.removeprefix("http:")
        npmrc.write_text(f"registry={self.url}/\n{host}/:_authToken={self.token}\n")
        env = {
            "PATH": os.environ["PATH"],
            "HOME": str(self.workdir),
            "NPM_CONFIG_USERCONFIG": str(npmrc),
            "NPM_CONFIG_CACHE": str(self.workdir / "npm-cache"),
            "NPM_CONFIG_UPDATE_NOTIFIER": "false",
        }
        done = subprocess.run(
            ["npm", "publish", "--registry", f"{self.url}/"],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr


@contextmanager
def running_verdaccio(workdir: Path) -> Iterator[Registry]:
    """Start Verdaccio on 127.0.0.1 with its own storage; sign up one user; stop after."""
    binary = verdaccio_binary()
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    config = workdir / "config.yaml"
    config.write_text(
        f"storage: {workdir / 'storage'}\n"
        f"auth:\n  htpasswd:\n    file: {workdir / 'htpasswd'}\n    max_users: 10\n"
        "uplinks: {}\n"
        "packages:\n  '**':\n    access: $authenticated\n    publish: $authenticated\n"
        "web:\n  enable: false\n"
        "log: {type: stdout, format: pretty, level: warn}\n"
    )
    env = {"PATH": os.environ["PATH"], "HOME": str(workdir)}
    command = [binary, "--config", str(config), "--listen", f"127.0.0.1:{port}"]
    url = f"http://127.0.0.1:{port}"
    with running_process(command, workdir / "verdaccio.log", f"{url}/-/ping", env=env, timeout=60):
        user = {"name": "ci-bot", "password": secrets.token_hex(12), "type": "user", "roles": []}
        answer = httpx.put(f"{url}/-/user/org.couchdb.user:ci-bot", json=user, timeout=10)
        answer.raise_for_status()
        yield Registry(url, answer.json()["token"], workdir)
