"""A plain folder as a store: the embedded default (demo, tests, single-host installs).

The pointer is three files, replaced one after another under a lock: catalog.json.minisig, then
catalog.json, then catalog.json.zst (written last, so it is never older than the catalog it
compresses). A reader takes the twin only when it is at least as new as catalog.json: a twin left
behind by a publisher that wrote only the plain file (an older release) is older, and ignored.
A reader between two replacements sees a signature that does not match and retries, as before.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from skillport_build.errors import BlobConflict, PointerMoved, StoreError
from skillport_build.models.catalog_zst import decompress_catalog
from skillport_build.stores.base import POINTER, POINTER_COMPRESSED, POINTER_SIGNATURE, Pointer, Store

LOCK = ".skillport.lock"


class LocalStore(Store):
    """Keys are files under `root`; put-if-absent is a hard link, the pointer swap holds a lock."""

    remote = False  # a file system: uploads one after another are as fast, and start no threads

    def __init__(self, root: Path) -> None:
        self.root = root
        self.url = str(root)

    def _path(self, key: str) -> Path:
        parts = key.split("/")
        if not key or key.startswith("/") or any(p in ("", ".", "..") for p in parts):
            raise StoreError(f"refusing the store key {key!r}")
        return self.root.joinpath(*parts)

    def get(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None

    def digest(self, key: str) -> str | None:
        try:
            with self._path(key).open("rb") as handle:
                return hashlib.file_digest(handle, "sha256").hexdigest()
        except FileNotFoundError:
            return None

    def _write_new(self, key: str, data: bytes, sha256: str) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = _temp_file(target.parent, data)
        try:
            os.link(tmp, target)  # fails if anything is there: a true put-if-absent
        except FileExistsError:
            existing = self.digest(key)
            if existing != sha256:
                raise BlobConflict(key, existing or "?", sha256) from None
        finally:
            os.unlink(tmp)

    def keys(self, prefix: str) -> list[str]:
        base = self.root / prefix if prefix else self.root
        if not base.exists():
            return []
        found = (p.relative_to(self.root).as_posix() for p in base.rglob("*") if p.is_file())
        return sorted(k for k in found if not k.rsplit("/", 1)[-1].startswith("."))

    def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._path(key).unlink()

    def pointer_tag(self) -> str | None:
        parts = []
        for name in (POINTER, POINTER_SIGNATURE):
            try:
                stat = (self.root / name).stat()
            except FileNotFoundError:
                return None
            parts.append(f"{stat.st_ino}:{stat.st_mtime_ns}:{stat.st_size}")
        with contextlib.suppress(FileNotFoundError):  # a twin replaced alone is a change too
            twin = (self.root / POINTER_COMPRESSED).stat()
            parts.append(f"{twin.st_ino}:{twin.st_mtime_ns}:{twin.st_size}")
        return "|".join(parts)

    def pointer(self) -> Pointer | None:
        return read_pointer(self.root)

    def swap_pointer(self, expected: str | None, new: Pointer) -> None:
        with self._locked():
            current = self.pointer()
            actual = current.sha256 if current else None
            if actual != expected:
                raise PointerMoved(f"{self.url}: the catalog pointer moved (another publish won)")
            # Written in this order, so the twin's file is never older than the catalog's (see
            # read_pointer); a reader between two replacements sees a signature that does not
            # match and retries. No file is ever half-written.
            files = [(POINTER_SIGNATURE, new.signature), (POINTER, new.catalog)]
            if new.compressed is not None:
                files.append((POINTER_COMPRESSED, new.compressed))
            else:
                self.delete(POINTER_COMPRESSED)
            written = [(_temp_file(self.root, data), name) for name, data in files]
            for tmp, name in written:
                os.replace(tmp, self.root / name)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / LOCK).open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def read_pointer(root: Path) -> Pointer | None:
    """The pointer files in `root` (a local store or a build folder): the catalog from its twin
    when the twin is at least as new as catalog.json, else from catalog.json; None without either."""
    plain, twin = root / POINTER, root / POINTER_COMPRESSED
    try:
        signature = (root / POINTER_SIGNATURE).read_bytes()
    except FileNotFoundError:
        signature = b""
    try:
        twin_time = twin.stat().st_mtime_ns
    except FileNotFoundError:
        twin_time = None
    try:
        plain_time: int | None = plain.stat().st_mtime_ns
    except FileNotFoundError:
        plain_time = None
    if twin_time is not None and (plain_time is None or twin_time >= plain_time):
        try:
            blob = twin.read_bytes()
        except FileNotFoundError:  # replaced by a publish this moment: the plain file is whole
            blob = None
        if blob is not None:
            return Pointer(decompress_catalog(blob, str(twin)), signature, blob)
    try:
        return Pointer(plain.read_bytes(), signature)
    except FileNotFoundError:
        return None


def _temp_file(folder: Path, data: bytes) -> str:
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=folder)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(tmp, 0o644)
    return tmp
