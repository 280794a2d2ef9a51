"""Getting the CLI: a fresh virtual environment installs skillport from a running proxy's /cli/
wheel with pip (what `pipx install URL` runs), and that skillport signs in and lists skills."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import httpx
import pytest
from proxy.live_server import live_proxy

from skillport_build.proxy.cli_wheel import install_lines, wheel_name

pytestmark = pytest.mark.integration


def test_a_fresh_environment_installs_the_served_wheel_and_signs_in(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    # Offline, pip cannot fetch the dependencies: the new environment borrows ours (the folder
    # only, so our editable skillport's .pth is not read) and installs the wheel with --no-deps.
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    Path(purelib, "zz-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "SKILLPORT_", "XDG_"))}
    env |= {"HOME": str(tmp_path / "home"), "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    with live_proxy(tmp_path / "proxy") as live:
        url = f"{live.url}/cli/{wheel_name()}"
        assert install_lines(live.url) == [f"pipx install {url}", f"uv tool install {url}"]
        pip = [python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", url]
        subprocess.run(pip, check=True, env=env, cwd=tmp_path)

        def skillport(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [venv / "bin" / "skillport", *args],
                capture_output=True,
                text=True,
                env=env,
                cwd=tmp_path,
                check=False,
            )

        located = subprocess.run(
            [python, "-c", "import skillport_build; print(skillport_build.__file__)"],
            capture_output=True, text=True, env=env, check=True, cwd=tmp_path,
        ).stdout  # fmt: skip
        assert located.startswith(str(venv)), located
        signed = skillport("login", live.url, "--token", live.tokens["anyone"])
        assert signed.returncode == 0, signed.stderr
        assert signed.stdout == f"signed in to {live.url} as ann@acme.example\n"
        listed = skillport("search", "csv")
        assert listed.returncode == 0 and "csv-profiler" in listed.stdout, listed.stderr
        assert (tmp_path / "home/.config/skillport/credentials.json").is_file()
        # A proxy installed from that wheel serves the same wheel again (packed from its RECORD).
        served = tmp_path / wheel_name()
        served.write_bytes(httpx.get(url, timeout=30).content)
        repack = "from skillport_build.proxy.cli_wheel import pack_running; import sys; "
        repack += "sys.exit(pack_running() != open(sys.argv[1], 'rb').read())"
        again = subprocess.run([python, "-c", repack, str(served)], env=env, cwd=tmp_path, check=False)
        assert again.returncode == 0
