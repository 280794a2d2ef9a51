"""The real `skills` CLI installs from the discovery index of a site `skillport site` wrote, served
by a static server on 127.0.0.1, into the folders `skillport install --agent` uses too."""

from __future__ import annotations

import functools
import json
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler
from pathlib import Path

import pytest
from factory import TEMPLATE
from integration.browser import static_server
from integration.skills_cli import SkillsCli, skills_cli
from integration.threaded_http import serving_http
from releasing import build_at

from skillport_build.client.agents import agent, skills_folder
from skillport_build.models.catalog import Catalog

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    build_at(TEMPLATE, out)
    return out


@pytest.fixture(scope="module")
def site_url(built: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    site = tmp_path_factory.mktemp("site")
    command = [sys.executable, "-m", "skillport_build", "site", "--from", str(built), "--out", str(site)]
    made = subprocess.run(command, capture_output=True, text=True, check=False)
    assert made.returncode == 0, made.stderr
    assert "6 skills in" in made.stdout
    with static_server(site) as url:
        yield url


@pytest.fixture
def cli(tmp_path: Path) -> SkillsCli:
    (tmp_path / "home").mkdir()
    return skills_cli(tmp_path / "home")


def bundle_files(built: Path, name: str) -> dict[str, bytes]:
    """A skill's files as its signed bundle holds them, by path inside the skill folder."""
    skill = Catalog.load(built).skill(name)
    assert skill is not None
    with zipfile.ZipFile(built / skill.bundle.path) as archive:
        return {
            n.removeprefix(f"{name}/"): archive.read(n) for n in archive.namelist() if not n.endswith("/")
        }


def installed_files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_user_install_lands_where_skillport_installs(cli: SkillsCli, site_url: str, built: Path) -> None:
    done = cli.run(
        "add",
        site_url,
        "--skill",
        "csv-profiler",
        "--agent",
        "claude-code",
        "codex",
        "-g",
        "-y",
        "--copy",
        cwd=cli.home,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    env = {"HOME": str(cli.home)}
    expected = bundle_files(built, "csv-profiler")
    for name in ("claude-code", "codex"):
        folder = skills_folder(agent(name), None, env) / "csv-profiler"
        assert installed_files(folder) == expected, name


def test_project_install_of_every_skill(cli: SkillsCli, site_url: str, built: Path, tmp_path: Path) -> None:
    project = tmp_path / "repo"
    project.mkdir()
    done = cli.run("add", site_url, "--skill", "*", "--agent", "cursor", "-y", "--copy", cwd=project)
    assert done.returncode == 0, done.stdout + done.stderr
    folder = skills_folder(agent("cursor"), project)
    names = sorted(s.name for s in Catalog.load(built).skills)
    assert sorted(p.name for p in folder.iterdir()) == names
    for name in names:
        assert installed_files(folder / name) == bundle_files(built, name), name
    lock = json.loads((project / "skills-lock.json").read_text())
    assert set(lock["skills"]) == set(names)


@contextmanager
def signed_in_only(root: Path) -> Iterator[tuple[str, list[str | None]]]:
    """Serve `root` only to requests with an Authorization header, as a private catalog would;
    yields the URL and the Authorization header of every request."""
    seen: list[str | None] = []

    class Guarded(SimpleHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.headers.get("Authorization"))
            if seen[-1] is None:
                self.send_error(401)
            else:
                super().do_GET()

        def log_message(self, *args: object) -> None:
            pass

    with serving_http(functools.partial(Guarded, directory=str(root))) as url:
        yield url, seen


def test_it_sends_no_credentials(cli: SkillsCli, built: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    command = [sys.executable, "-m", "skillport_build", "site", "--from", str(built), "--out", str(site)]
    assert subprocess.run(command, capture_output=True, check=False).returncode == 0
    with signed_in_only(site) as (url, seen):
        done = cli.run("add", url, "--skill", "csv-profiler", "--agent", "codex", "-g", "-y", cwd=cli.home)
    assert done.returncode != 0 and "HTTP 401" in done.stdout + done.stderr
    assert seen and set(seen) == {None}
    assert not (cli.home / ".agents/skills/csv-profiler").exists()
