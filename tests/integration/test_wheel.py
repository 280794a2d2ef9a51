"""The built wheel carries the website templates and the marketplace template, and they work."""

from __future__ import annotations

import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import httpx
import pytest
from factory import REPO
from integration.fresh_venv import fresh_venv
from integration.processes import running_process
from integration.registry import free_port

pytestmark = pytest.mark.integration


def test_an_installed_wheel_can_init_build_and_render(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "-w",
            str(tmp_path),
            str(REPO),
        ],
        check=True,
        capture_output=True,
    )
    wheel = next(tmp_path.glob("skillport-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        shipped = set(archive.namelist())
    migrations = "skillport_build/proxy/db/migrations/"
    assert {
        f"{migrations}env.py",
        f"{migrations}script.py.mako",
        f"{migrations}versions/v0002_replicas.py",
    } <= shipped
    venv = fresh_venv(tmp_path)
    venv.install(wheel)
    assert venv.imported_from().startswith(str(venv.root))
    assert venv.skillport("init", "acme").returncode == 0
    assert venv.skillport("validate", "--strict", "acme").returncode == 0
    assert venv.skillport("build", "acme", "--out", "dist").returncode == 0
    result = venv.skillport("site", "--from", "dist", "--out", "site")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "site/static/search.js").is_file()
    assert (tmp_path / "acme/.claude-plugin/marketplace.json").is_file()

    # The proxy from the wheel (what the Dockerfile installs) serves its own pages too.
    assert venv.skillport("keygen", "--out", "k", "--no-passphrase").returncode == 0
    assert venv.skillport("sign", "dist", "--key", "k.key").returncode == 0
    assert venv.skillport("publish", "dist", "--store", "store").returncode == 0
    port = free_port()
    serve = ["serve", "--store", "store", "--key", "k.pub", "--db", "state.db", "--dev", "--port", str(port)]
    url, log = f"http://127.0.0.1:{port}", tmp_path / "serve.log"
    with running_process(venv.command(*serve), log, f"{url}/healthz", env=venv.env, cwd=tmp_path) as server:
        assert httpx.get(f"{url}/healthz", timeout=5).json()["ok"] is True
        login = httpx.get(f"{url}/login", timeout=5)
        assert login.status_code == 200 and "Development sign-in" in login.text
    # uvicorn shuts down cleanly, then re-raises SIGTERM so the exit status tells how it stopped.
    errors = log.read_text()
    assert server.returncode in (0, -signal.SIGTERM), errors
    assert "Traceback" not in errors


def test_the_dockerfile_installs_the_wheel_and_serves_as_a_non_root_user() -> None:
    dockerfile = (REPO / "Dockerfile").read_text()
    for line in dockerfile.splitlines():
        if line.startswith("COPY ") and "--from" not in line:
            for source in line.split()[1:-1]:
                assert (REPO / source).exists(), source
    assert 'ENTRYPOINT ["skillport", "serve"]' in dockerfile
    assert "USER skillport" in dockerfile and "/healthz" in dockerfile
