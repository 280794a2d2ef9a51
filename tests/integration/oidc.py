"""A real OpenID Connect provider for the tests: panva's oidc-provider on 127.0.0.1, and a browser sign-in."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import pytest
from integration.registry import free_port
from integration.tools import require

LAUNCHER = Path(__file__).parent / "oidc" / "launcher.mjs"
DEFAULT_MODULES = Path(__file__).resolve().parents[2] / ".tools" / "oidc" / "node_modules"
PASSWORD = "any-password"  # the development login form accepts any password


def oidc_modules() -> Path:
    """The node_modules folder holding oidc-provider; under `make test` a missing one fails."""
    modules = Path(os.environ.get("SKILLPORT_OIDC_MODULES") or DEFAULT_MODULES)
    if (modules / "oidc-provider" / "package.json").is_file():
        return modules
    if os.environ.get("SKILLPORT_INTEGRATION") == "1":
        pytest.fail(f"oidc-provider is not installed in {modules}; `make tools` installs it")
    pytest.skip(f"oidc-provider not installed in {modules}: run the suite with `make test`")


@contextmanager
def running_oidc_provider(
    workdir: Path, clients: list[dict[str, Any]], users: dict[str, dict[str, Any]]
) -> Iterator[str]:
    """Start oidc-provider with these clients and users on 127.0.0.1; yields the issuer URL."""
    node, modules = require("node"), oidc_modules()
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "oidc.json"
    config.write_text(json.dumps({"port": free_port(), "clients": clients, "users": users}))
    env = {**os.environ, "NODE_PATH": str(modules), "OIDC_PROVIDER_MODULE": str(modules / "oidc-provider")}
    log_path = workdir / "oidc.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [node, str(LAUNCHER), str(config)], stdout=subprocess.PIPE, stderr=log, text=True, env=env
        )
        assert process.stdout is not None
        try:
            yield _wait_ready(process.stdout, log_path)
        finally:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            process.stdout.close()


def _wait_ready(stdout: IO[str], log: Path, timeout: float = 30) -> str:
    """The issuer from the launcher's `READY <issuer>` line; fails with its log if it never comes."""
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    line = lines[0].strip() if lines else ""
    if not line.startswith("READY "):
        time.sleep(0.2)  # let stderr reach the log
        raise RuntimeError(f"oidc-provider did not start (got {line!r}): {log.read_text()}")
    return line.removeprefix("READY ")


def sign_in(page: Any, email: str) -> None:
    """At the provider's login page: sign in as `email` (any password), then confirm consent if asked."""
    page.fill('input[name="login"]', email)
    page.fill('input[name="password"]', PASSWORD)
    with page.expect_navigation():
        page.click('button[type="submit"]')
    consent = page.locator('form input[name="prompt"][value="consent"]')
    if consent.count():
        with page.expect_navigation():
            page.click('button[type="submit"]')
