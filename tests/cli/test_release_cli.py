"""The release commands end to end through the real CLI: init, keygen, build, sign, verify, plan, bump, yank."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from factory import TEMPLATE, write

from skillport_build.cli import release as release_cli
from skillport_build.release.plan import LEVELS
from skillport_build.release.render_plan import RENDERERS
from skillport_build.repo.paths import LIFECYCLE_YAML


def run(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("SKILLPORT_")}
    full_env = {**inherited, "SOURCE_DATE_EPOCH": str(2_000_000_000), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "skillport_build", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        check=False,
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    assert run("init", str(tmp_path / "acme")).returncode == 0
    return tmp_path / "acme"


def test_release_cycle(repo: Path, tmp_path: Path) -> None:
    keys = tmp_path / "keys" / "release"
    made = run("keygen", "--out", str(keys), "--no-passphrase")
    assert made.returncode == 0 and "public key:" in made.stdout
    assert oct((tmp_path / "keys/release.key").stat().st_mode & 0o777) == "0o600"
    assert run("keygen", "--out", str(keys), "--no-passphrase").returncode == 1  # never overwrites

    out = tmp_path / "store"
    built = run("build", str(repo), "--out", str(out))
    assert built.returncode == 0, built.stderr
    assert built.stdout.startswith("catalog 1: 6 skills, 5 plugins; 11 bundles written, 0 reused")
    assert "Building bundles" not in built.stderr  # no progress bar off a terminal

    secret = (tmp_path / "keys/release.key").read_text()
    signed = run("sign", str(out), env={"SKILLPORT_SIGNING_KEY": secret})
    assert signed.returncode == 0, signed.stderr
    state = tmp_path / "trust.json"
    verified = run("verify", str(out), "--key", f"{keys}.pub", "--state", str(state))
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.startswith("✓ catalog 1 of acme signed by")

    plan = run("plan", str(repo), "--store", str(out), "--format", "json")
    assert plan.returncode == 0 and json.loads(plan.stdout)["ok"] is True

    write(repo, {"plugins/writing/skills/release-notes/notes.md": "More guidance.\n"})
    assert run("build", str(repo), "--out", str(out), "--store", str(out)).returncode == 1
    bumped = run("bump", str(repo), "--changed", "--store", str(out))
    assert bumped.stdout == "writing: 1.0.0 → 1.0.1\n"
    assert (
        run("yank", "release-notes@1.0.0", "--reason", "Wrong template", "--root", str(repo)).returncode == 0
    )
    rebuilt = run("build", str(repo), "--out", str(out), "--store", str(out))
    assert "catalog 2:" in rebuilt.stdout and "reused" in rebuilt.stdout, rebuilt.stderr
    catalog = json.loads((out / "catalog.json").read_text())
    notes = next(s for s in catalog["skills"] if s["name"] == "release-notes")
    assert [(r["version"], r.get("yanked")) for r in notes["history"]] == [
        ("1.0.0", "Wrong template"),
        ("1.0.1", None),
    ]

    # the old signature no longer matches the new catalog
    stale = run("verify", str(out), "--key", f"{keys}.pub", "--state", str(state))
    assert stale.returncode == 1 and "bad signature" in stale.stderr
    assert run("sign", str(out), "--key", str(tmp_path / "keys/release.key")).returncode == 0
    assert run("verify", str(out), "--key", f"{keys}.pub", "--state", str(state)).returncode == 0


def test_encrypted_keys_take_the_passphrase_from_the_environment(tmp_path: Path, repo: Path) -> None:
    env = {"SKILLPORT_KEY_PASSPHRASE": "hunter2 hunter2"}
    assert run("keygen", "--out", str(tmp_path / "k"), env=env).returncode == 0
    assert "encrypted" in (tmp_path / "k.key").read_text()
    assert run("build", str(repo), "--out", str(tmp_path / "o")).returncode == 0
    missing = run("sign", str(tmp_path / "o"), "--key", str(tmp_path / "k.key"))
    assert missing.returncode == 2 and "SKILLPORT_KEY_PASSPHRASE" in missing.stderr
    wrong = run(
        "sign",
        str(tmp_path / "o"),
        "--key",
        str(tmp_path / "k.key"),
        env={"SKILLPORT_KEY_PASSPHRASE": "nope"},
    )
    assert wrong.returncode == 1 and "wrong passphrase" in wrong.stderr
    assert run("sign", str(tmp_path / "o"), "--key", str(tmp_path / "k.key"), env=env).returncode == 0


def test_deprecation_and_usage_errors(repo: Path, tmp_path: Path) -> None:
    assert run("deprecate", "pr-review", "--reason", "Use code-review", "--root", str(repo)).returncode == 0
    assert run("deprecate", "nope", "--reason", "x", "--root", str(repo)).returncode == 1  # a wrong name
    assert run("yank", "pr-review", "--reason", "x", "--root", str(repo)).returncode == 2  # not NAME@VERSION
    assert run("plan", str(repo)).returncode == 2
    assert run("build", str(repo), "--out", str(tmp_path / "o")).returncode == 0
    catalog = json.loads((tmp_path / "o/catalog.json").read_text())
    assert next(s for s in catalog["skills"] if s["name"] == "pr-review")["deprecated"] == {
        "reason": "Use code-review"
    }
    assert run("validate", "--strict", str(repo)).returncode == 0


def test_publish_fetch_reconcile_prune_through_the_cli(repo: Path, tmp_path: Path) -> None:
    assert run("keygen", "--out", str(tmp_path / "k"), "--no-passphrase").returncode == 0
    store, out = tmp_path / "store", tmp_path / "out"
    store.mkdir()
    fetched = run("fetch-catalog", "--store", str(store), "--out", str(tmp_path / "prev.json"))
    assert fetched.returncode == 0 and "no catalog yet" in fetched.stdout
    assert run("build", str(repo), "--out", str(out), "--store", str(store)).returncode == 0
    unsigned = run("publish", str(out), "--store", str(store))
    assert unsigned.returncode == 1 and "skillport sign" in unsigned.stderr
    assert run("sign", str(out), "--key", str(tmp_path / "k.key")).returncode == 0
    dry = run("publish", str(out), "--store", f"file://{store}", "--dry-run")
    assert (
        dry.stdout.startswith("would upload 11 bundle(s) and ") and " search texts document(s);" in dry.stdout
    )
    published = run("publish", str(out), "--store", str(store))
    assert published.returncode == 0 and "now serves catalog 1" in published.stdout
    assert "already the store's current catalog" in run("publish", str(out), "--store", str(store)).stdout
    assert run("fetch-catalog", "--store", str(store), "--out", str(tmp_path / "prev.json")).returncode == 0
    assert run("verify", str(store), "--key", str(tmp_path / "k.pub"), "--no-state").returncode == 0
    assert run("reconcile", "--store", str(store)).stdout.endswith("✓ consistent\n")
    assert run("prune", "--store", str(store), "--keep", "1").stdout == "0 object(s) removed\n"
    site = run(
        "site",
        "--store",
        str(store),
        "--out",
        str(tmp_path / "site"),
        "--key",
        str(tmp_path / "k.pub"),
        "--link-base",
        "https://skills.example/",
    )
    assert site.returncode == 0 and site.stdout.startswith("13 pages for 6 skills"), site.stderr
    assert run("site", "--from", str(out), "--out", str(tmp_path / "s2"), "--only", "nope").returncode == 1
    assert run("site", "--out", str(tmp_path / "s3")).returncode == 2


def test_the_release_commands_start_without_the_core() -> None:
    code = (
        "import sys\n"
        "from skillport_build.cli import main\n"
        "try:\n"
        "    main(['build', '--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(m for m in ('pydantic', 'skillport_build.release.build', 'skillport_build.stores') "
        "if m in sys.modules))\n"
    )
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert shown.stdout.strip().splitlines()[-1] == "[]"
    assert release_cli.LEVELS == LEVELS
    assert tuple(sorted(RENDERERS)) == release_cli.PLAN_FORMATS
    assert release_cli.LIFECYCLE_YAML == LIFECYCLE_YAML


def test_a_build_imports_nothing_it_does_not_use(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from skillport_build.cli import main\n"
        "try:\n"
        f"    main(['build', {str(TEMPLATE)!r}, '--out', {str(tmp_path / 'out')!r}])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith(('skillport_build.proxy', 'skillport_build.stores', "
        "'skillport_build.site', 'skillport_build.trust', 'multiprocessing', 'concurrent.futures.process', "
        "'jinja2', 'httpx', 'starlette'))))\n"
    )
    # Without coverage's subprocess hook, which imports multiprocessing itself.
    env = {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_")}
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert "11 bundles written" in shown.stdout
    assert shown.stdout.strip().splitlines()[-1] == "[]"  # a rebuild's few zips need no process pool
