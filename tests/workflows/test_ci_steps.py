"""The workflows' steps end to end on a temporary repository made from the template: the same
`skillport ci …` commands the action runs, with the Actions environment, a local store, a bare git
remote and a local server speaking GitHub's REST API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fakes.github_api import TOKEN, FakeGitHub

from skillport_build.stores import LocalStore, current_catalog
from skillport_build.trust import minisign
from skillport_build.trust.verify import verify_dir

pytestmark = pytest.mark.integration


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(root), "-c", "user.name=Dev", "-c", "user.email=dev@example.com", *args],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


@pytest.fixture
def world(tmp_path: Path) -> Iterator[dict[str, object]]:
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "--quiet", "--bare", "--initial-branch=main", str(remote)], check=True)
    repo = tmp_path / "repo"
    assert (
        subprocess.run(
            [sys.executable, "-m", "skillport_build", "init", str(repo), "--name", "acme-skills"],
            capture_output=True,
            check=False,
        ).returncode
        == 0
    )
    git(repo, "init", "--quiet", "--initial-branch=main")
    git(repo, "remote", "add", "origin", str(remote))
    git(repo, "add", "-A")
    git(repo, "commit", "--quiet", "-m", "Start")
    git(repo, "push", "--quiet", "origin", "main")
    key = minisign.generate()
    (tmp_path / "store").mkdir()
    with FakeGitHub() as api:
        yield {
            "repo": repo,
            "remote": remote,
            "store": tmp_path / "store",
            "api": api,
            "tmp": tmp_path,
            "key": minisign.secret_key_text(key, None),
            "public": key.public(),
        }


def ci(
    world: dict[str, object], *args: str, pr: int | None = None, sha: str | None = None
) -> subprocess.CompletedProcess[str]:
    tmp = world["tmp"]
    assert isinstance(tmp, Path)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "SKILLPORT_"))}
    env.update(
        GITHUB_API_URL=world["api"].api_url,  # type: ignore[attr-defined]
        GITHUB_REPOSITORY="acme/skill-store",
        GITHUB_TOKEN=TOKEN,
        GITHUB_STEP_SUMMARY=str(tmp / "summary.md"),
        SKILLPORT_SIGNING_KEY=str(world["key"]),
    )
    if pr is not None:
        (tmp / "event.json").write_text(json.dumps({"pull_request": {"number": pr}}))
        env["GITHUB_EVENT_PATH"] = str(tmp / "event.json")
    if sha is not None:
        env["GITHUB_SHA"] = sha
    return subprocess.run(
        [sys.executable, "-m", "skillport_build", "ci", *args, "--store", str(world["store"])],
        capture_output=True,
        text=True,
        env=env,
        cwd=str(world["repo"]),
        check=False,
    )


def edit(repo: Path, rel: str, extra: str) -> None:
    path = repo / rel
    path.write_text(path.read_text() + extra)


def test_pull_request_report_release_and_resign(world: dict[str, object]) -> None:
    repo, store, api = world["repo"], LocalStore(world["store"]), world["api"]  # type: ignore[arg-type]
    assert isinstance(repo, Path) and isinstance(api, FakeGitHub)

    first = ci(world, "release", "--path", ".")
    assert first.returncode == 0, first.stderr
    catalog = current_catalog(store)
    assert catalog is not None and catalog.catalog_version == 1

    # A pull request that edits a skill: annotations, one comment with what merging publishes.
    git(repo, "checkout", "--quiet", "-b", "tips")
    edit(
        repo,
        "plugins/writing/skills/release-notes/SKILL.md",
        "\n## One more tip\n\nLead with what changed for the customer.\n",
    )
    git(repo, "commit", "--quiet", "-am", "More release-notes guidance")
    report = ci(world, "pull-request", "--path", ".", pr=7)
    assert report.returncode == 0, report.stderr
    comment = next(iter(api.comments[7].values()))
    assert "<!-- skillport-report -->" in comment and "✅ **Validation passed**" in comment
    assert "| `writing` | ✏️ changed | 1.0.0 → 1.0.1 (patch bump needed) |" in comment
    assert "| `release-notes` |" in comment and "unchanged" in comment  # front matter did not change
    assert ci(world, "pull-request", "--path", ".", pr=7).returncode == 0
    assert len(api.comments[7]) == 1  # updated in place, not posted twice

    # Merge: the release bumps, commits back as the bot, builds, signs and publishes.
    git(repo, "checkout", "--quiet", "main")
    git(repo, "merge", "--quiet", "--ff-only", "tips")
    sha = git(repo, "rev-parse", "HEAD").strip()
    api.pull_labels[sha] = ["release:minor"]
    merged = ci(world, "release", "--path", ".", sha=sha)
    assert merged.returncode == 0, merged.stderr
    assert "Published catalog **2**" in merged.stdout and "`writing` 1.0.0 → 1.1.0" in merged.stdout
    assert "Release writing 1.1.0 [skillport bump]" in git(world["remote"], "log", "-1", "--format=%s")  # type: ignore[arg-type]
    catalog = current_catalog(store)
    assert (
        catalog is not None
        and catalog.catalog_version == 2
        and catalog.skill("release-notes").version == "1.1.0"
    )  # type: ignore[union-attr]
    assert "Published catalog **2**" in (world["tmp"] / "summary.md").read_text()  # type: ignore[operator]

    # A merge that changes no skill publishes nothing new.
    edit(repo, "README.md", "\nA note for creators.\n")
    git(repo, "commit", "--quiet", "-am", "Docs")
    quiet = ci(world, "release", "--path", ".")
    assert quiet.returncode == 0 and "Nothing new to publish" in quiet.stdout
    assert current_catalog(store).catalog_version == 2  # type: ignore[union-attr]

    # The weekly re-sign: same skills, a new catalog version and expiry, a consistent store.
    resigned = subprocess.run(
        [sys.executable, "-m", "skillport_build", "ci", "resign", "--store", str(world["store"])],
        capture_output=True,
        text=True,
        env={**os.environ, "SKILLPORT_SIGNING_KEY": str(world["key"])},
        check=False,
    )
    assert resigned.returncode == 0 and "Catalog **3**" in resigned.stdout, resigned.stderr
    renewed = current_catalog(store)
    assert renewed is not None and renewed.skills == catalog.skills  # type: ignore[union-attr]

    assert verify_dir(store.root, [world["public"]], datetime.now(UTC), None).catalog.catalog_version == 3  # type: ignore[list-item]


def test_an_invalid_pull_request_fails_with_annotations(world: dict[str, object]) -> None:
    repo = world["repo"]
    assert isinstance(repo, Path)
    assert ci(world, "release", "--path", ".").returncode == 0
    path = repo / "plugins/writing/skills/release-notes/SKILL.md"
    path.write_text(path.read_text().replace("name: release-notes", "name: Release_Notes", 1))
    report = ci(world, "pull-request", "--path", ".", pr=9)
    assert report.returncode == 1
    assert (
        "::error file=plugins/writing/skills/release-notes/SKILL.md,line=2,title=skillport skill-name-format::"
        in report.stdout
    )
    comment = next(iter(world["api"].comments[9].values()))  # type: ignore[attr-defined]
    assert "❌ **1 error(s)**" in comment or "❌ **2 error(s)**" in comment
    assert "`plugins/writing/skills/release-notes/SKILL.md:2`" in comment
