"""Getting the CLI: a fresh virtual environment installs skillport from a running proxy's /cli/
wheel with pip (what `pipx install URL` runs), and that skillport signs in and lists skills."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from integration.fresh_venv import fresh_venv
from proxy.live_server import live_proxy

from skillport_build.proxy.cli_wheel import install_lines, wheel_name

pytestmark = pytest.mark.integration


def test_a_fresh_environment_installs_the_served_wheel_and_signs_in(tmp_path: Path) -> None:
    venv = fresh_venv(tmp_path)
    with live_proxy(tmp_path / "proxy") as live:
        url = f"{live.url}/cli/{wheel_name()}"
        assert install_lines(live.url) == [f"pipx install {url}", f"uv tool install {url}"]
        venv.install(url)
        assert venv.imported_from().startswith(str(venv.root))
        signed = venv.skillport("login", live.url, "--token", live.tokens["anyone"])
        assert signed.returncode == 0, signed.stderr
        assert signed.stdout == f"signed in to {live.url} as ann@acme.example\n"
        listed = venv.skillport("search", "csv")
        assert listed.returncode == 0 and "csv-profiler" in listed.stdout, listed.stderr
        assert (tmp_path / "home/.config/skillport/credentials.json").is_file()
        # A proxy installed from that wheel serves the same wheel again (packed from its RECORD).
        served = tmp_path / wheel_name()
        served.write_bytes(httpx.get(url, timeout=30).content)
        repack = "from skillport_build.proxy.cli_wheel import pack_running; import sys; "
        repack += "sys.exit(pack_running() != open(sys.argv[1], 'rb').read())"
        again = venv.python_code(repack, str(served))
        assert again.returncode == 0, again.stderr
