"""Remote entries fetched from real git servers on 127.0.0.1: `git http-backend` behind basic auth
(the token comes from the environment) and `git daemon` (no credentials), through the real CLI."""

from __future__ import annotations

import json
import os
import secrets
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
from integration.gitserver import HttpGitServer, running_git_daemon, running_http_git
from remotes import (
    DESIGN_STATES,
    MONOREPO_STATES,
    OPEN_STATES,
    REVIEW_STATES,
    oncall_entry,
    plugin_repository,
    remote_marketplace,
    review_entry,
)

pytestmark = pytest.mark.integration
TOKEN_VARIABLE = "SKILLPORT_GIT_TOKEN_127_0_0_1"


@dataclass
class World:
    """The servers, their repositories' commits, and a marketplace pointing at them."""

    root: Path
    http: HttpGitServer
    daemon: str
    commits: dict[str, list[str]]
    market: Path

    def env(self, token: str | None = None, **more: str) -> dict[str, str]:
        """The CLI's environment: the token for 127.0.0.1 (the right one unless given), a HOME of
        its own, GitHub sources pointed at the HTTP server."""
        env = {
            "PATH": os.environ["PATH"],
            "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
            "HOME": str(self.root / "skillport-home"),
            "SKILLPORT_GITHUB_URL": self.http.url,
            TOKEN_VARIABLE: self.http.token if token is None else token,
            "SOURCE_DATE_EPOCH": "1790000000",
        }
        return env | more

    def skillport(
        self, *args: str, token: str | None = None, **more: str
    ) -> subprocess.CompletedProcess[str]:
        """Run the real CLI."""
        return subprocess.run(
            [sys.executable, "-m", "skillport_build", *args],
            env=self.env(token, **more),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    def build(self, out: Path, *args: str, token: str | None = None) -> subprocess.CompletedProcess[str]:
        """`skillport build MARKET --out OUT`."""
        return self.skillport(
            "build", str(self.market), "--out", str(out), "--commit", "0" * 40, *args, token=token
        )


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    served = tmp_path / "served"
    commits = {
        "review": plugin_repository(served / "review.git", REVIEW_STATES),
        "mono": plugin_repository(served / "platform/mono.git", MONOREPO_STATES),
        "design": plugin_repository(served / "acme/design-system.git", DESIGN_STATES),
        "open": plugin_repository(served / "open.git", OPEN_STATES),
    }
    (tmp_path / "skillport-home").mkdir()
    token = "tok_" + secrets.token_hex(20)
    with running_http_git(served, token) as http, running_git_daemon(served) as daemon:
        entries: list[dict[str, Any]] = [
            review_entry(f"{http.url}/review.git", commits["review"][0]),
            oncall_entry(f"{http.url}/platform/mono.git", commits["mono"][0]),
            {
                "name": "design-system",
                "source": {"source": "github", "repo": "acme/design-system", "sha": commits["design"][0]},
                "description": "Design.",
            },
            {
                "name": "writing-style",
                "source": {"source": "url", "url": f"{daemon}/open.git", "ref": "main"},
                "description": "Style.",
            },
        ]
        market = write(tmp_path / "market", remote_marketplace(entries))
        yield World(tmp_path, http, daemon, commits, market)


def _catalog(out: Path) -> dict[str, Any]:
    return dict(json.loads((out / "catalog.json").read_text()))


def _plugin(catalog: dict[str, Any], name: str) -> dict[str, Any]:
    return next(p for p in catalog["plugins"] if p["name"] == name)


def _read(out: Path, bundle: str, member: str) -> str:
    with zipfile.ZipFile(out / bundle) as archive:
        return archive.read(member).decode()


def _names(out: Path, bundle: str) -> list[str]:
    with zipfile.ZipFile(out / bundle) as archive:
        return sorted(n for n in archive.namelist() if not n.endswith("/"))


def test_build_fetches_each_entry_at_its_pinned_commit_and_records_it(world: World) -> None:
    out = world.root / "out"
    done = world.build(out)
    assert done.returncode == 0, done.stdout + done.stderr
    catalog = _catalog(out)
    assert sorted(p["name"] for p in catalog["plugins"]) == [
        "code-review", "design-system", "local-notes", "oncall", "writing-style"
    ]  # fmt: skip
    review = _plugin(catalog, "code-review")
    assert review["origin"] == {
        "source": "url",
        "location": f"{world.http.url}/review.git",
        "commit": world.commits["review"][0],
    }
    skill_md = _read(out, review["bundle"]["path"], "skills/review-checklist/SKILL.md")
    assert "Check tests, naming and errors." in skill_md and "HEAD ONLY" not in skill_md  # not the head
    assert _plugin(catalog, "design-system")["origin"]["location"] == "acme/design-system"
    # The daemon's entry names a branch: built from its head, with a warning that it is not pinned.
    assert _plugin(catalog, "writing-style")["origin"]["commit"] == world.commits["open"][-1]
    assert (
        "not pinned, built from what their ref or version range names now" in done.stderr
        and "writing-style" in done.stderr
    )
    assert "remote plugins: 4 fetched, 0 from the cache" in done.stdout


def test_the_token_never_reaches_output_argv_catalog_or_cache(world: World, tmp_path: Path) -> None:
    spy = tmp_path / "bin"
    spy.mkdir()
    argv_log = tmp_path / "argv.log"
    real = subprocess.run(["sh", "-c", "command -v git"], capture_output=True, text=True, check=True).stdout
    (spy / "git").write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> {argv_log}\nexec {real.strip()} "$@"\n')
    (spy / "git").chmod(0o755)
    out = world.root / "out"
    done = world.skillport("build", str(world.market), "--out", str(out), PATH=f"{spy}:{os.environ['PATH']}")
    assert done.returncode == 0, done.stdout + done.stderr
    token = world.http.token
    assert argv_log.read_text().count("fetch") >= 3  # the spy saw git's command lines
    assert token not in argv_log.read_text()
    assert token not in done.stdout + done.stderr
    for path in out.rglob("*"):
        if path.is_file():
            assert token.encode() not in path.read_bytes(), path
    wrong = world.build(world.root / "wrong", token="not-" + token)
    assert token not in wrong.stdout + wrong.stderr and "not-" + token not in wrong.stdout + wrong.stderr


def test_a_wrong_token_is_refused_with_the_entry_host_and_variable(world: World) -> None:
    done = world.build(world.root / "out", token="expired-" + secrets.token_hex(8))
    assert done.returncode == 1
    assert "remote entries could not be fetched (nothing was built" in done.stderr
    assert (
        f"code-review ({world.http.url}/review.git): 127.0.0.1 refused the token in {TOKEN_VARIABLE}; "
        f"check that it is valid, not expired, and grants read access (contents: read) to "
        f"{world.http.url}/review.git"
    ) in done.stderr
    assert "Traceback" not in done.stderr
    assert not (world.root / "out/catalog.json").exists()
    missing = world.build(world.root / "none", token="")
    assert f"127.0.0.1 asks for credentials and none is set; set {TOKEN_VARIABLE}" in missing.stderr


def test_a_rebuild_reuses_the_cache_without_a_fetch_and_two_builds_are_byte_identical(world: World) -> None:
    first = world.root / "one"
    assert world.build(first).returncode == 0
    asked = len(world.http.requests)
    again = world.build(first)
    assert again.returncode == 0, again.stderr
    assert "remote plugins: 0 fetched, 4 from the cache" in again.stdout
    assert len(world.http.requests) == asked  # the pinned entries: not one request to the server
    other = world.root / "two"
    assert world.build(other).returncode == 0  # a fresh cache: everything fetched again
    assert (first / "catalog.json").read_bytes() == (other / "catalog.json").read_bytes()
    for plugin in _catalog(first)["plugins"]:
        path = plugin["bundle"]["path"]
        assert (first / path).read_bytes() == (other / path).read_bytes(), path


def test_a_git_subdir_entry_bundles_only_its_folder(world: World) -> None:
    out = world.root / "out"
    assert world.build(out).returncode == 0
    oncall = _plugin(_catalog(out), "oncall")
    assert oncall["origin"]["path"] == "plugins/oncall"
    assert _names(out, oncall["bundle"]["path"]) == [
        ".claude-plugin/plugin.json",
        "skills/incident-triage/SKILL.md",
    ]


def test_strict_refuses_an_unpinned_entry_and_skip_builds_the_rest(world: World) -> None:
    strict = world.build(world.root / "strict", "--strict")
    assert strict.returncode == 1
    assert "remote entries must be pinned under --strict" in strict.stderr
    assert f"writing-style ({world.daemon}/open.git)" in strict.stderr
    skipped = world.build(world.root / "skip", "--remote", "skip", token="")
    assert skipped.returncode == 0, skipped.stderr
    assert [p["name"] for p in _catalog(world.root / "skip")["plugins"]] == ["local-notes"]
    assert "not built: code-review" in skipped.stderr and "--remote skip" in skipped.stderr


def test_a_new_commit_shows_in_the_plan_as_a_change_with_its_bump(world: World) -> None:
    out = world.root / "out"
    assert world.build(out).returncode == 0
    manifest_path = world.market / ".claude-plugin/marketplace.json"
    manifest = json.loads(manifest_path.read_text())
    old, new = world.commits["review"]
    manifest["plugins"][1]["source"]["sha"] = new
    manifest_path.write_text(json.dumps(manifest, indent=2))
    plan = world.skillport("plan", str(world.market), "--previous", str(out / "catalog.json"))
    assert plan.returncode == 0, plan.stderr
    line = next(
        line for line in plan.stdout.splitlines() if line.startswith("plugin") and "code-review" in line
    )
    assert f"1.4.0 → 1.4.1 (patch bump needed) · commit {old[:12]} → {new[:12]}" in line
    bumped = world.skillport("bump", str(world.market), "--changed", "--previous", str(out / "catalog.json"))
    assert bumped.returncode == 0, bumped.stderr
    assert "code-review: 1.4.0 → 1.4.1" in bumped.stdout
    assert json.loads(manifest_path.read_text())["plugins"][1]["version"] == "1.4.1"  # the entry, ours
    rebuilt = world.skillport(
        "build",
        str(world.market),
        "--out",
        str(out),
        "--previous",
        str(out / "catalog.json"),
        "--commit",
        "1" * 40,
    )
    assert rebuilt.returncode == 0, rebuilt.stderr
    review = _plugin(_catalog(out), "code-review")
    assert (review["version"], review["origin"]["commit"]) == ("1.4.1", new)


def test_a_fetched_plugin_zip_installs_with_claude_code(world: World, claude: Claude) -> None:
    out = world.root / "out"
    assert world.build(out).returncode == 0
    catalog = _catalog(out)
    mirror = world.root / "mirror"
    entries = []
    for name in ("code-review", "oncall", "design-system"):
        plugin = _plugin(catalog, name)
        with zipfile.ZipFile(out / plugin["bundle"]["path"]) as archive:
            archive.extractall(mirror / "plugins" / name)
        entries.append({"name": name, "source": f"./plugins/{name}", "version": plugin["version"]})
    write(
        mirror,
        {
            ".claude-plugin/marketplace.json": {
                "name": "remote-mirror",
                "owner": {"name": "Platform"},
                "metadata": {"description": "Mirror."},
                "plugins": entries,
            }
        },
    )
    added = claude.run("plugin", "marketplace", "add", str(mirror))
    assert added.returncode == 0, added.stdout + added.stderr
    for name in ("code-review", "oncall", "design-system"):
        installed = claude.run("plugin", "install", f"{name}@remote-mirror")
        assert installed.returncode == 0, installed.stdout + installed.stderr
    listing = claude.installed("remote-mirror")
    assert set(listing) == {"code-review", "oncall", "design-system"}
    assert not any(entry.get("errors") for entry in listing.values()), listing
