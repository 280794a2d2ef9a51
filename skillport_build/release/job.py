"""The release job that runs on every merge: bump what changed, build, sign, publish, summarise."""

from __future__ import annotations

import contextlib
import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from skillport_build.errors import BuildError
from skillport_build.models.catalog import Catalog
from skillport_build.release.build import BuildOptions, build
from skillport_build.release.bump import Bumped, bump
from skillport_build.release.plan import Change, make_plan
from skillport_build.release.publish import publish
from skillport_build.repo.loader import load
from skillport_build.repo.remote import RemoteSources
from skillport_build.stores.base import Store
from skillport_build.trust.minisign import SecretKey
from skillport_build.trust.sign import sign_dir

BOT_NAME = "skillport[bot]"
BOT_EMAIL = "skillport-bot@users.noreply.github.com"
BUMP_MARKER = "[skillport bump]"  # the release workflow skips pushes whose message carries it


@dataclass
class ReleaseOutcome:
    """What the job did, and the Markdown for the job summary."""

    catalog_version: int | None = None
    bumped: list[Bumped] = field(default_factory=list)
    published: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, name, version)
    copied: tuple[str, ...] = ()  # plugins whose records were copied as bytes from the store's catalog
    summary: str = ""


def release(
    root: Path,
    store: Store,
    key: SecretKey,
    *,
    level: str = "patch",
    git_push: bool = False,
    now: datetime | None = None,
    remote: RemoteSources | None = None,
    out: Path | None = None,
) -> ReleaseOutcome:
    """Publish the repository's current state if anything changed since the store's catalog
    (remote entries fetched by `remote`, once for the plan, the bump and the build). With `out`,
    the build goes there and stays (the CI keeps it between runs): its bundles and build cache
    make the next release a rebuild, with the unchanged records copied from the store's catalog."""
    pointer = store.pointer()
    raw = pointer.catalog if pointer is not None else None
    source = f"{store.url}/catalog.json"
    previous = Catalog.from_bytes(raw, source) if raw is not None else None
    outcome = ReleaseOutcome()
    plan = make_plan(load(root, None, remote), previous, level)
    if plan.problems:
        raise BuildError("refusing to release:\n" + "\n".join(f"  {i.problem}" for i in plan.problems))
    if not plan.publishes_anything:
        outcome.summary = (
            "## Skillport release\n\nNothing new to publish: the store already has every skill.\n"
        )
        return outcome
    if previous is not None and plan.needs_bump:
        outcome.bumped = bump(root, level, changed_since=previous, remote=remote)
        _commit_bumps(root, outcome.bumped, push=git_push)
    with contextlib.ExitStack() as stack:
        if out is None:
            out = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="skillport-release-"))) / "dist"
        options = BuildOptions(
            out=out, previous=previous, previous_bytes=raw, previous_source=source, now=now, remote=remote
        )
        result = build(root, options)
        sign_dir(out, key)
        publish(out, store)
    outcome.catalog_version, outcome.copied = result.catalog_version, result.copied
    outcome.published = [
        (i.kind, i.name, i.version or "")
        for i in result.plan.items
        if i.change not in (Change.UNCHANGED, Change.REMOVED)
    ]
    outcome.summary = _summary(outcome, store.url)
    return outcome


def _commit_bumps(root: Path, bumped: list[Bumped], *, push: bool) -> None:
    if not bumped or not (root / ".git").exists():
        return
    names = ", ".join(f"{b.plugin} {b.new}" for b in bumped)
    identity = ["-c", f"user.name={BOT_NAME}", "-c", f"user.email={BOT_EMAIL}"]
    _git(root, "add", "--all", ".claude-plugin", *(f"{p}" for p in _plugin_dirs(root)))
    _git(root, *identity, "commit", "--quiet", "-m", f"Release {names} {BUMP_MARKER}")
    if push:
        _git(root, "push", "--quiet", "origin", "HEAD")


def _plugin_dirs(root: Path) -> list[str]:
    return sorted({p.path for p in load(root).plugins})


def _git(root: Path, *args: str) -> None:
    result = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BuildError(f"git {' '.join(args)} failed: {result.stderr.strip()}")


def _summary(outcome: ReleaseOutcome, url: str) -> str:
    lines = ["## Skillport release", "", f"Published catalog **{outcome.catalog_version}** to `{url}`.", ""]
    if outcome.bumped:
        lines += ["Bumped: " + ", ".join(f"`{b.plugin}` {b.old} → {b.new}" for b in outcome.bumped), ""]
    lines += ["| kind | name | version |", "|---|---|---|"]
    lines += [f"| {kind} | `{name}` | {version} |" for kind, name, version in outcome.published]
    return "\n".join(lines) + "\n"
