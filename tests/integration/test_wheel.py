"""The built wheel carries the website templates and the marketplace template, and they work."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from factory import REPO

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
