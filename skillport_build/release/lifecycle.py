"""`skillport yank` and `skillport deprecate`: record them in .skillport/lifecycle.yaml.

The next build copies them into the catalog: a yanked version stays in history, flagged with its
reason, and is never offered for install; a deprecated skill is still served, with a warning.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import semver
import yaml

from skillport_build.errors import ManifestError, NotFound, UsageError
from skillport_build.models.lifecycle import Deprecation, Lifecycle, Yank
from skillport_build.models.names import did_you_mean
from skillport_build.repo.documents import DocumentError, YamlDocument, decode_text
from skillport_build.repo.loader import load
from skillport_build.repo.paths import LIFECYCLE_YAML

HEADER = (
    "# Withdrawn versions and skills on their way out. Written by `skillport yank` and\n"
    "# `skillport deprecate`; recorded in the catalog by the next build.\n"
)


def split_ref(ref: str) -> tuple[str, str]:
    """Split `NAME@VERSION`."""
    name, sep, version = ref.partition("@")
    if not sep or not name or not semver.Version.is_valid(version):
        raise UsageError(f"{ref!r} must be NAME@VERSION with a semantic version, e.g. csv-profiler@1.0.1")
    return name, version


def yank(root: Path, name: str, version: str, reason: str, *, undo: bool = False) -> Lifecycle:
    """Mark `name@version` yanked (or no longer yanked)."""
    current = _read(root, name)
    kept = tuple(y for y in current.yanked if (y.name, y.version) != (name, version))
    if undo and len(kept) == len(current.yanked):
        raise NotFound(f"{name}@{version} is not yanked")
    if not undo and not reason.strip():
        raise UsageError("give a --reason: people who have it installed will see it")
    added = () if undo else (Yank(name=name, version=version, reason=reason.strip()),)
    return _write(root, current.model_copy(update={"yanked": kept + added}))


def deprecate(
    root: Path, name: str, reason: str, replacement: str | None = None, *, undo: bool = False
) -> Lifecycle:
    """Mark a skill or plugin deprecated (or no longer deprecated)."""
    current = _read(root, name, replacement)
    kept = tuple(d for d in current.deprecated if d.name != name)
    if undo and len(kept) == len(current.deprecated):
        raise NotFound(f"{name} is not deprecated")
    if not undo and not reason.strip():
        raise UsageError("give a --reason, and say what to use instead")
    added = () if undo else (Deprecation(name=name, reason=reason.strip(), replacement=replacement),)
    return _write(root, current.model_copy(update={"deprecated": kept + added}))


def _read(root: Path, *names: str | None) -> Lifecycle:
    market = load(root)
    known = {s.name for s in market.skills} | {p.name for p in market.plugins}
    for name in filter(None, names):
        if name not in known:
            raise NotFound(
                f"no skill or plugin named {name!r} in {root}{did_you_mean(name, frozenset(known))}"
            )
    path = root / LIFECYCLE_YAML
    if not path.exists():
        return Lifecycle()
    try:
        doc = YamlDocument.parse(LIFECYCLE_YAML, decode_text(path.read_bytes()))
        return Lifecycle.model_validate(doc.data or {})
    except (DocumentError, ValueError) as exc:
        raise ManifestError(f"{LIFECYCLE_YAML} cannot be read ({exc}); fix it first") from None


def _write(root: Path, lifecycle: Lifecycle) -> Lifecycle:
    data = lifecycle.model_dump(mode="json", exclude_none=True)
    path = root / LIFECYCLE_YAML
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".lifecycle.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(HEADER + yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    os.replace(tmp, path)
    return lifecycle
