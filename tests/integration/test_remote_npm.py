"""npm entries fetched from a real registry (Verdaccio on 127.0.0.1, sign-in required), through the
real CLI: the pinned version, the registry's token from the environment and nowhere else, the cache,
a range resolved and reported unpinned, a wrong token refused by name."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from factory import write
from integration.claude_code import Claude
from integration.verdaccio import Registry, running_verdaccio
from layouts import OWNER, skill
from remotes import remote_marketplace

pytestmark = pytest.mark.integration
PACKAGE = "@acme/lint-rules"
TOKEN_VARIABLE = "SKILLPORT_NPM_TOKEN_127_0_0_1"


def _package(folder: Path, version: str, body: str) -> Path:
    return write(
        folder,
        {
            "package.json": {"name": PACKAGE, "version": version, "description": "Lint rules as a plugin."},
            ".claude-plugin/plugin.json": {
                "name": "lint-rules",
                "version": version,
                "description": "Lint rules.",
                "author": OWNER,
            },
            "skills/lint-rules/SKILL.md": skill("lint-rules", body),
        },
    )


@dataclass
class World:
    root: Path
    registry: Registry
    market: Path

    def build(self, out: Path, *args: str, token: str | None = None) -> subprocess.CompletedProcess[str]:
        env = {
            "PATH": os.environ["PATH"],
            "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
            "HOME": str(self.root / "skillport-home"),
            TOKEN_VARIABLE: self.registry.token if token is None else token,
        }
        return subprocess.run(
            [sys.executable, "-m", "skillport_build", "build", str(self.market), "--out", str(out),
             "--commit", "0" * 40, *args],
            env=env, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip

    def pin(self, version: str) -> None:
        path = self.market / ".claude-plugin/marketplace.json"
        manifest = json.loads(path.read_text())
        manifest["plugins"][1]["source"]["version"] = version
        path.write_text(json.dumps(manifest))


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    (tmp_path / "skillport-home").mkdir()
    with running_verdaccio(tmp_path / "verdaccio") as registry:
        registry.publish(_package(tmp_path / "v1", "1.0.0", "Version one rules."))
        registry.publish(_package(tmp_path / "v2", "1.1.0", "Version two rules."))
        entry: dict[str, Any] = {
            "name": "lint-rules",
            "source": {"source": "npm", "package": PACKAGE, "version": "1.0.0", "registry": registry.url},
            "description": "Lint.",
        }
        yield World(tmp_path, registry, write(tmp_path / "market", remote_marketplace([entry])))


def _plugin(out: Path) -> dict[str, Any]:
    catalog = json.loads((out / "catalog.json").read_text())
    return dict(next(p for p in catalog["plugins"] if p["name"] == "lint-rules"))


def test_an_npm_entry_is_built_from_its_version_with_the_registry_token(world: World) -> None:
    out = world.root / "out"
    done = world.build(out)
    assert done.returncode == 0, done.stdout + done.stderr
    plugin = _plugin(out)
    assert plugin["origin"] == {"source": "npm", "location": PACKAGE, "commit": "1.0.0"}
    with zipfile.ZipFile(out / plugin["bundle"]["path"]) as archive:
        assert "Version one rules." in archive.read("skills/lint-rules/SKILL.md").decode()
        assert "package.json" in archive.namelist()
    token = world.registry.token
    assert token not in done.stdout + done.stderr
    assert not any(token.encode() in p.read_bytes() for p in out.rglob("*") if p.is_file())
    again = world.build(out)
    assert "remote plugins: 0 fetched, 1 from the cache" in again.stdout


def test_a_range_takes_the_newest_match_and_is_reported_unpinned(world: World) -> None:
    world.pin("^1.0.0")
    out = world.root / "out"
    done = world.build(out)
    assert done.returncode == 0, done.stderr
    assert _plugin(out)["origin"] == {
        "source": "npm",
        "location": PACKAGE,
        "ref": "^1.0.0",
        "commit": "1.1.0",
    }
    assert (
        f"not pinned, built from what their ref or version range names now: lint-rules (npm:{PACKAGE})"
        in done.stderr
    )
    assert world.build(world.root / "strict", "--strict").returncode == 1


def test_a_wrong_or_missing_token_is_refused_by_name(world: World) -> None:
    wrong = world.build(world.root / "wrong", token="expired-token-value")
    assert wrong.returncode == 1
    assert (
        f"lint-rules (npm:{PACKAGE}): 127.0.0.1 refused the token in {TOKEN_VARIABLE}; check that it is "
        f"valid and may read {PACKAGE}"
    ) in wrong.stderr
    assert "expired-token-value" not in wrong.stdout + wrong.stderr
    missing = world.build(world.root / "missing", token="")
    assert f"set {TOKEN_VARIABLE} in the build's environment" in missing.stderr, missing.stderr


def test_the_npm_plugin_zip_installs_with_claude_code(world: World, claude: Claude) -> None:
    out = world.root / "out"
    assert world.build(out).returncode == 0
    plugin = _plugin(out)
    mirror = world.root / "mirror"
    with zipfile.ZipFile(out / plugin["bundle"]["path"]) as archive:
        archive.extractall(mirror / "plugins/lint-rules")
    manifest = {
        "name": "npm-mirror",
        "owner": {"name": "Platform"},
        "metadata": {"description": "Mirror."},
        "plugins": [{"name": "lint-rules", "source": "./plugins/lint-rules", "version": plugin["version"]}],
    }
    write(mirror, {".claude-plugin/marketplace.json": manifest})
    added = claude.run("plugin", "marketplace", "add", str(mirror))
    assert added.returncode == 0, added.stdout + added.stderr
    installed = claude.run("plugin", "install", "lint-rules@npm-mirror")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    listing = claude.installed("npm-mirror")
    assert set(listing) == {"lint-rules"} and not listing["lint-rules"].get("errors"), listing
