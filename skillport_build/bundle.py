"""Reproducible zips: the same files give the same bytes, on any machine, in any folder, at any time.

Entries are sorted; every timestamp is one fixed time (1980-01-01, zip's epoch, unless
SOURCE_DATE_EPOCH names another), never the clock or a file's mtime; modes are normalised to
644/755; folders are listed explicitly so every unzip tool sees the same tree.
"""

from __future__ import annotations

import io
import os
import time
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import yaml

from skillport_build.loader import split_front_matter

ZIP_MIN_EPOCH = 315532800  # 1980-01-01T00:00:00Z
_FILE_MODE = {False: 0o100644, True: 0o100755}
_DIR_MODE = 0o40755


@dataclass(frozen=True)
class Entry:
    """A file to put in a zip."""

    name: str
    data: bytes
    executable: bool = False


def source_date_epoch(default: int = ZIP_MIN_EPOCH) -> int:
    """SOURCE_DATE_EPOCH from the environment (reproducible-builds.org), else `default`."""
    value = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    return int(value) if value.isdigit() else default


def zip_bytes(entries: Iterable[Entry], epoch: int) -> bytes:
    """Write a deterministic zip of `entries` and return its bytes."""
    stamp = time.gmtime(max(epoch, ZIP_MIN_EPOCH))[:6]
    files = sorted(entries, key=lambda e: e.name)
    folders = sorted({e.name[: i + 1] for e in files for i, c in enumerate(e.name) if c == "/"})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in folders:
            archive.writestr(_info(name, stamp, _DIR_MODE, zipfile.ZIP_STORED), b"")
        for entry in files:
            info = _info(entry.name, stamp, _FILE_MODE[entry.executable], zipfile.ZIP_DEFLATED)
            archive.writestr(info, entry.data, compresslevel=6)
    return buffer.getvalue()


def _info(name: str, stamp: tuple[int, ...], mode: int, compression: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=stamp)  # type: ignore[arg-type]
    info.compress_type = compression
    info.create_system = 3  # Unix, so the mode bits below are honoured
    info.external_attr = (mode & 0xFFFF) << 16
    if mode == _DIR_MODE:
        info.external_attr |= 0x10  # MS-DOS directory flag
    return info


def stamp_skill_md(raw: bytes, version: str, digest: str) -> bytes:
    """Put `metadata.version` and `metadata.digest` into SKILL.md's front matter; keep the body."""
    split = split_front_matter(raw.decode("utf-8-sig"))
    if isinstance(split, str):  # validation refuses this before a build gets here
        raise ValueError(split)
    front_text, body, _ = split
    front: dict[str, Any] = yaml.safe_load(front_text) or {}
    metadata = dict(front.get("metadata") or {})
    metadata.update({"version": version, "digest": digest})
    front["metadata"] = metadata
    dumped = yaml.safe_dump(front, sort_keys=False, allow_unicode=True, width=1_000_000)
    return f"---\n{dumped}---\n{body}".encode()
