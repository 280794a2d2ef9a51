"""Reproducible zips: the same files give the same bytes, on any machine, in any folder, at any time.

Entries are sorted; every timestamp is one fixed time (1980-01-01, zip's epoch, unless
SOURCE_DATE_EPOCH names another), never the clock or a file's mtime; modes are normalised to
644/755; folders are listed explicitly so every unzip tool sees the same tree.
"""

from __future__ import annotations

import io
import os
import struct
import time
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import yaml

from skillport_build.models.skill import split_front_matter

ZIP_MIN_EPOCH = 315532800  # 1980-01-01T00:00:00Z
_FILE_MODE = {False: 0o100644, True: 0o100755}
_DIR_MODE = 0o40755
SEARCH_TEXT_LIMIT = 20_000  # characters of a skill's SKILL.md that search reads


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


@dataclass(frozen=True)
class Deflated:
    """A file compressed once (raw deflate), to be placed in as many zips as need it."""

    crc: int
    size: int
    data: bytes


_EMPTY = Deflated(0, 0, b"")


def deflate(data: bytes) -> Deflated:
    """Compress file bytes the way zip's method 8 stores them."""
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    return Deflated(zlib.crc32(data), len(data), packer.compress(data) + packer.flush())


def zip_bytes(entries: Iterable[Entry], epoch: int) -> bytes:
    """Write a deterministic zip of `entries` and return its bytes."""
    return zip_deflated(((e.name, deflate(e.data), e.executable) for e in entries), epoch)


def zip_deflated(entries: Iterable[tuple[str, Deflated, bool]], epoch: int) -> bytes:
    """Write a deterministic zip from already-compressed files (sorted, folders listed first)."""
    when = time.gmtime(max(epoch, ZIP_MIN_EPOCH))
    dos_time = (when.tm_hour << 11) | (when.tm_min << 5) | (when.tm_sec // 2)
    dos_date = ((when.tm_year - 1980) << 9) | (when.tm_mon << 5) | when.tm_mday
    files = sorted(entries, key=lambda e: e[0])
    folders = sorted({name[: i + 1] for name, _, _ in files for i, c in enumerate(name) if c == "/"})
    items = [(name, _EMPTY, _DIR_MODE, 0) for name in folders]
    items += [(name, packed, _FILE_MODE[exe], 8) for name, packed, exe in files]
    body, directory = bytearray(), bytearray()
    for name, packed, mode, method in items:
        raw = name.encode()
        flags = 0 if raw.isascii() else 0x800  # UTF-8 names
        fields = (flags, method, dos_time, dos_date, packed.crc, len(packed.data), packed.size, len(raw))
        attributes = (mode << 16) | (0x10 if mode == _DIR_MODE else 0)
        directory += struct.pack("<IHHHHHHIIIH", 0x02014B50, 0x0314, 20, *fields)
        directory += struct.pack("<HHHHII", 0, 0, 0, 0, attributes, len(body)) + raw
        body += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, *fields, 0) + raw + packed.data
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(items), len(items), len(directory), len(body), 0)
    return bytes(body + directory + end)


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


def skill_markdown(bundle_bytes: bytes, name: str) -> str:
    """The body of SKILL.md from a skill bundle (front matter removed)."""
    with zipfile.ZipFile(io.BytesIO(bundle_bytes)) as archive:
        text = archive.read(f"{name}/SKILL.md").decode("utf-8-sig")
    split = split_front_matter(text)
    return text if isinstance(split, str) else split[1]


def search_text(bundle_bytes: bytes, name: str) -> str:
    """What search reads of a skill: the start of its SKILL.md body."""
    return skill_markdown(bundle_bytes, name)[:SEARCH_TEXT_LIMIT]
