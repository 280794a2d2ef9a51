"""Helpers for release-pipeline tests: build a tree at a fixed time, sign it, read zips."""

from __future__ import annotations

import shutil
import subprocess
import threading
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from factory import TEMPLATE

from skillport_build.errors import SkillportError
from skillport_build.models.catalog import Catalog
from skillport_build.release.build import BuildOptions, BuildResult, build
from skillport_build.release.bump import bump
from skillport_build.release.publish import publish
from skillport_build.stores import LocalStore, current_catalog
from skillport_build.stores.base import Store
from skillport_build.trust.minisign import SecretKey, generate
from skillport_build.trust.sign import sign_dir

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def template_checkout(tmp_path: Path, name: str = "repo") -> Path:
    """The template marketplace copied to `tmp_path/name` as a git checkout with one commit."""
    root = tmp_path / name
    shutil.copytree(TEMPLATE, root)
    git = ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "start"], check=True)
    return root


def build_at(
    root: Path, out: Path, previous: Catalog | None = None, now: datetime = T0, **kw: object
) -> BuildResult:
    """Build `root` into `out` as if at `now`."""
    return build(root, BuildOptions(out=out, previous=previous, now=now, commit="0" * 40, **kw))  # type: ignore[arg-type]


def signed_build(
    root: Path, out: Path, key: SecretKey | None = None, **kw: object
) -> tuple[BuildResult, SecretKey]:
    """Build and sign."""
    key = key or generate()
    result = build_at(root, out, **kw)  # type: ignore[arg-type]
    sign_dir(out, key)
    return result, key


def zip_names(path: Path) -> list[str]:
    """The entry names of a zip, in order."""
    with zipfile.ZipFile(path) as archive:
        return archive.namelist()


def zip_text(path: Path, name: str) -> str:
    """One entry of a zip as text."""
    with zipfile.ZipFile(path) as archive:
        return archive.read(name).decode()


LATER = T0 + timedelta(days=3)
KEY = generate()  # the signing key of the publish tests' stores


def release(repo: Path, out: Path, store: Store, key: SecretKey = KEY, now: datetime = T0) -> Path:
    """CI's release: build against the store's current catalog, then sign."""
    build_at(repo, out, previous=current_catalog(store), now=now)
    sign_dir(out, key)
    return out


def change(repo: Path, skill_md: str, plugin: str) -> None:
    """Edit a skill and bump its plugin, as a merged pull request would."""
    path = repo / skill_md
    path.write_text(path.read_text() + "\nAnother tip.\n")
    bump(repo, plugins=(plugin,))


def published_store(tmp_path: Path, releases: int = 1) -> tuple[LocalStore, Path]:
    """A local store with the template published `releases` times (one skill changed each time)."""
    repo = tmp_path / "repo"
    shutil.copytree(TEMPLATE, repo)
    store = LocalStore(tmp_path / "store")
    publish(release(repo, tmp_path / "o1", store), store)
    for number in range(2, releases + 1):
        change(repo, "plugins/writing/skills/release-notes/SKILL.md", "writing")
        publish(release(repo, tmp_path / f"o{number}", store, now=LATER), store)
    return store, repo


def race_two_publishes(
    repo: Path, tmp_path: Path, store: Store, opened: Callable[[], Store] | None = None
) -> dict[str, object]:
    """Two CI runs built on the same catalog publish at once, meeting just before either claims the
    next catalog: A with one change, B with that and another. Each run's result, or its error.
    `opened` gives each run its own store object (a network store's client), else both share one."""
    publish(release(repo, tmp_path / "base", store), store)
    change(repo, "plugins/writing/skills/release-notes/SKILL.md", "writing")
    first = release(repo, tmp_path / "a", store, now=LATER)
    change(repo, "plugins/operations/skills/incident-postmortem/SKILL.md", "operations")
    second = release(repo, tmp_path / "b", store, now=LATER)
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def run(name: str, out: Path) -> None:
        def meet(step: str) -> None:
            if step == "catalog:before":  # both uploaded and verified; both about to claim catalog 2
                barrier.wait(timeout=20)

        try:
            outcomes[name] = publish(out, opened() if opened else store, hook=meet)
        except SkillportError as exc:
            outcomes[name] = exc

    threads = [threading.Thread(target=run, args=(n, o)) for n, o in (("a", first), ("b", second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes
