"""One click on Claude.ai and Desktop, for real: the exact command `install_skill` and
`check_updates` hand Claude is run by a shell in a temporary folder against the proxy on 127.0.0.1.
It writes `<skill>.skill` with the bundle's bytes; through a hop that flips one byte it writes
nothing and says why; with a link that is not the person's it writes nothing either."""

from __future__ import annotations

import hashlib
import json
import subprocess
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import httpx
import pytest
from integration.threaded_http import serving_http
from proxy.live_server import LiveProxy, live_proxy

from skillport_build.proxy.connector.install import OUTPUTS

SKILL = "incident-postmortem"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveProxy]:
    with live_proxy(tmp_path_factory.mktemp("install")) as served:
        yield served


def tool(live: LiveProxy, who: str, tool_name: str, **arguments: Any) -> dict[str, Any]:
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": tool_name, "arguments": arguments},
    }
    headers = {
        "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": "2025-11-25",
        "Authorization": f"Bearer {live.tokens[who]}",
    }
    answer = httpx.post(f"{live.url}/mcp", json=body, headers=headers).json()["result"]
    assert not answer.get("isError"), answer
    found: dict[str, Any] = json.loads(answer["content"][0]["text"])
    return found


def run(command: str, folder: Path) -> subprocess.CompletedProcess[str]:
    """The command as Claude's sandbox runs it: one line given to a shell, in its working folder."""
    return subprocess.run(
        ["bash", "-c", command], check=False, cwd=folder, capture_output=True, text=True, timeout=60
    )


@contextmanager
def flipping_hop(upstream: str) -> Iterator[str]:
    """An HTTP hop on 127.0.0.1 that forwards GETs to `upstream` and flips one byte of each bundle."""

    class Hop(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            try:
                with urllib.request.urlopen(upstream + self.path) as answer:
                    status, body = answer.status, bytearray(answer.read())
            except urllib.error.HTTPError as refused:
                status, body = refused.code, bytearray(refused.read())
            if status == 200 and self.path.startswith("/bundles/"):
                body[len(body) // 2] ^= 0xFF
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(bytes(body))

        def log_message(self, *_: object) -> None:
            pass

    with serving_http(Hop) as url:
        yield url


@pytest.mark.parametrize("surface", ["claude-ai", "desktop"])
def test_the_command_writes_the_skill_file_with_the_bundles_sha256(
    live: LiveProxy, tmp_path: Path, surface: str
) -> None:
    assert not Path(OUTPUTS).exists()  # so the command writes into its working folder here
    steps = tool(live, "sre", "install_skill", name=SKILL, surface=surface)
    done = run(steps["command"], tmp_path)
    assert done.returncode == 0, done.stderr
    written = tmp_path / f"{SKILL}.skill"
    assert done.stdout.strip() == f"SKILL_FILE={written}" and steps["file"] == written.name
    assert hashlib.sha256(written.read_bytes()).hexdigest() == steps["sha256"]
    with zipfile.ZipFile(written) as archive:
        assert f"{SKILL}/SKILL.md" in archive.namelist()
    assert sorted(p.name for p in tmp_path.iterdir()) == [written.name]  # no .part left
    assert "present_files" in steps["steps"][1] and "Copy to your skills" in steps["steps"][1]
    assert "127.0.0.1" in steps["steps"][2] and "egress" in steps["steps"][2]


def test_a_tampered_download_is_refused_and_nothing_is_written(live: LiveProxy, tmp_path: Path) -> None:
    steps = tool(live, "sre", "install_skill", name=SKILL, surface="claude-ai")
    with flipping_hop(live.url) as hop:
        assert steps["command"].count(live.url) == 1
        done = run(steps["command"].replace(live.url, hop), tmp_path)
    assert done.returncode == 1 and "refused:" in done.stderr and "nothing was written" in done.stderr
    assert steps["sha256"] in done.stderr and list(tmp_path.iterdir()) == []


def test_a_link_for_another_person_or_bundle_writes_nothing(live: LiveProxy, tmp_path: Path) -> None:
    mine = tool(live, "sre", "install_skill", name=SKILL, surface="claude-ai")
    other = tool(live, "anyone", "install_skill", name="csv-profiler", surface="claude-ai")
    forged = mine["command"].replace(mine["url"].split("?", 1)[1], other["url"].split("?", 1)[1])
    done = run(forged, tmp_path)
    assert done.returncode == 1 and list(tmp_path.iterdir()) == []
    assert done.stderr.startswith("download failed: HTTP Error 403") and "Traceback" not in done.stderr


def test_check_updates_gives_the_same_command_for_the_newer_version(live: LiveProxy, tmp_path: Path) -> None:
    found = tool(live, "sre", "check_updates", installed={SKILL: "0.0.1", "csv-profiler": "sha256:0"},
                 surface="desktop")  # fmt: skip
    update = next(u for u in found["updates"] if u["name"] == SKILL)
    assert update["status"] == "update" and "present_files" in found["steps"][0]
    done = run(update["install"]["command"], tmp_path)
    assert done.returncode == 0, done.stderr
    data = (tmp_path / update["install"]["file"]).read_bytes()
    assert hashlib.sha256(data).hexdigest() == update["install"]["sha256"]
    plain = tool(live, "sre", "check_updates", installed={SKILL: "0.0.1"})
    assert "install" not in plain["updates"][0] and "steps" not in plain


def test_claude_code_steps_name_the_cli_for_claude_code_and_the_other_agents(live: LiveProxy) -> None:
    steps = tool(live, "sre", "install_skill", name=SKILL, surface="claude-code")
    assert "command" not in steps and "file" not in steps
    assert any(f"skillport install {SKILL} --claude-code" in step for step in steps["steps"])
    assert any(f"skillport install {SKILL} --agent AGENT" in step for step in steps["steps"])
