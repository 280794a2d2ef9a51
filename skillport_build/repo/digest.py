"""Content digests: a skill's or plugin's identity is a hash over its normalised files."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # marketplace.py uses this module
    from skillport_build.repo.marketplace import FileEntry

PREFIX = "sha256:"


def content_digest(files: Iterable[FileEntry]) -> str:
    """Hash sorted (path, executable bit, file sha256) triples: same content, same digest."""
    h = hashlib.sha256()
    for f in sorted(files, key=lambda f: f.path):
        h.update(f"{f.path}\0{'x' if f.executable else '-'}\0{f.sha256}\n".encode())
    return PREFIX + h.hexdigest()


def sha256_bytes(data: bytes) -> str:
    """The hex sha256 of some bytes."""
    return hashlib.sha256(data).hexdigest()
