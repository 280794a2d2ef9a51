"""Helpers for release-pipeline tests: build a tree at a fixed time, sign it, read zips."""

from __future__ import annotations

import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from skillport_build.build import BuildOptions, BuildResult, build
from skillport_build.catalog import Catalog
from skillport_build.sign import sign_dir
from skillport_build.signing import SecretKey, generate

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


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
