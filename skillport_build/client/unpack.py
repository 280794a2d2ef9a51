"""Putting downloaded bundles on the user's disk without ever leaving half of one.

A zip is unpacked into a staging folder beside its destination (only plain files and folders, no
absolute paths, no `..`, no links), then renamed into place; a file is written to a temporary name
and renamed. A failure at any step leaves what was there before.
"""

from __future__ import annotations

import contextlib
import io
import os
import secrets
import shutil
import stat
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from skillport_build.errors import ClientError

MAX_UNPACKED = 1024 * 1024 * 1024
# Skills extension limit is 512 files a skill; a plugin holds several skills, commands and agents.
MAX_ENTRIES = 10_000


def write_atomic(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write `data` at `path` through a temporary file beside it."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def staging(parent: Path) -> Iterator[Path]:
    """A hidden scratch folder inside `parent` (so renames out of it stay on one disk), removed after."""
    parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=".skillport-staging-", dir=parent))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def extract_zip(data: bytes, dest: Path, what: str) -> None:
    """Unpack a zip into the (empty) folder `dest`, refusing any entry that could land outside it."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise ClientError(f"{what} is not a zip file ({exc})") from exc
    with archive:
        entries = archive.infolist()
        if len(entries) > MAX_ENTRIES:
            raise ClientError(f"{what} holds {len(entries):,} files, more than {MAX_ENTRIES:,}; refused")
        for info in entries:
            _check_entry(info, what)
        if sum(info.file_size for info in entries) > MAX_UNPACKED:
            raise ClientError(f"{what} unpacks to more than {MAX_UNPACKED // 2**20} MiB; refused")
        for info in entries:
            target = dest.joinpath(*PurePosixPath(info.filename).parts)
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with archive.open(info) as source, target.open("xb") as out:
                    shutil.copyfileobj(source, out)
            except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
                raise ClientError(
                    f"{what} is a damaged zip ({info.filename}: {exc}); nothing was installed"
                ) from exc
            target.chmod(0o755 if (info.external_attr >> 16) & 0o111 else 0o644)


def _check_entry(info: zipfile.ZipInfo, what: str) -> None:
    name = info.filename
    kind = stat.S_IFMT(info.external_attr >> 16)
    path = PurePosixPath(name)
    problem = None
    if "\\" in name or "\0" in name or name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        problem = "an absolute or non-portable path"
    elif any(part == ".." for part in path.parts) or not path.parts:
        problem = "a path that leaves its folder"
    elif kind == stat.S_IFLNK:
        problem = "a symbolic link"
    elif kind not in (0, stat.S_IFREG, stat.S_IFDIR):
        problem = "a special file"
    if problem:
        raise ClientError(f"{what} holds {problem} ({name!r}); refused, nothing was installed")


def swap_in(staged: Path, target: Path) -> None:
    """Put the folder `staged` at `target`, replacing what is there; `target` is never half-written."""
    old = None
    if target.exists() or target.is_symlink():
        old = target.with_name(f".{target.name}.old-{secrets.token_hex(4)}")
        os.rename(target, old)
    try:
        os.rename(staged, target)
    except BaseException:
        if old is not None:
            os.rename(old, target)
        raise
    if old is not None:
        remove(old)


def remove(path: Path) -> None:
    """Delete a file, link or folder tree."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)
