"""The built wheel carries the website templates and the marketplace template, and they work."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import sysconfig
import time
import zipfile
from pathlib import Path

import pytest
import requests
from factory import REPO
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
        archive.extractall(tmp_path / "installed")
        shipped = set(archive.namelist())
    migrations = "skillport_build/proxy/db/migrations/"
    assert {
        f"{migrations}env.py",
        f"{migrations}script.py.mako",
        f"{migrations}versions/v0002_replicas.py",
    } <= shipped
    # -S skips .pth files, so the checkout's editable install cannot shadow the unpacked wheel.
    libraries = os.pathsep.join([str(tmp_path / "installed"), sysconfig.get_paths()["purelib"]])
    env = {**os.environ, "PYTHONPATH": libraries}

    def skillport(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-S", "-m", "skillport_build", *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            check=False,
        )

    located = subprocess.run(
        [sys.executable, "-S", "-c", "import skillport_build; print(skillport_build.__file__)"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=True,
    )
    assert located.stdout.startswith(str(tmp_path / "installed"))
    assert skillport("init", "acme").returncode == 0
    assert skillport("validate", "--strict", "acme").returncode == 0
    assert skillport("build", "acme", "--out", "dist").returncode == 0
    result = skillport("site", "--from", "dist", "--out", "site")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "site/static/search.js").is_file()
    assert (tmp_path / "acme/.claude-plugin/marketplace.json").is_file()

    # The proxy from the wheel (what the Dockerfile installs) serves its own pages too.
    assert skillport("keygen", "--out", "k", "--no-passphrase").returncode == 0
    assert skillport("sign", "dist", "--key", "k.key").returncode == 0
    assert skillport("publish", "dist", "--store", "store").returncode == 0
    port = free_port()
    serve = ["serve", "--store", "store", "--key", "k.pub", "--db", "state.db", "--dev", "--port", str(port)]
    server = subprocess.Popen(
        [sys.executable, "-S", "-m", "skillport_build", *serve],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        health = wait_for(f"http://127.0.0.1:{port}/healthz")
        assert health.json()["ok"] is True
        login = requests.get(f"http://127.0.0.1:{port}/login", timeout=5)
        assert login.status_code == 200 and "Development sign-in" in login.text
    finally:
        server.terminate()
        code = server.wait(timeout=10)
        errors = server.stderr.read() if server.stderr else ""
        if server.stderr:
            server.stderr.close()
    # uvicorn shuts down cleanly, then re-raises SIGTERM so the exit status tells how it stopped.
    assert code in (0, -signal.SIGTERM), errors
    assert "Traceback" not in errors


def wait_for(url: str, timeout: float = 60) -> requests.Response:
    """GET `url` once the server answers."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return requests.get(url, timeout=2)
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_the_dockerfile_installs_the_wheel_and_serves_as_a_non_root_user() -> None:
    dockerfile = (REPO / "Dockerfile").read_text()
    for line in dockerfile.splitlines():
        if line.startswith("COPY ") and "--from" not in line:
            for source in line.split()[1:-1]:
                assert (REPO / source).exists(), source
    assert 'ENTRYPOINT ["skillport", "serve"]' in dockerfile
    assert "USER skillport" in dockerfile and "/healthz" in dockerfile
