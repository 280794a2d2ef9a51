"""A plain folder as a store: the embedded default (demo, tests, single-host installs)."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from skillport_build.errors import BlobConflict, PointerMoved, StoreError
from skillport_build.stores.base import POINTER, POINTER_SIGNATURE, Pointer, Store

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
        return "|".join(parts)

    def pointer(self) -> Pointer | None:
        catalog = self.get(POINTER)
        if catalog is None:
            return None
        return Pointer(catalog, self.get(POINTER_SIGNATURE) or b"")

    def swap_pointer(self, expected: str | None, new: Pointer) -> None:
        with self._locked():
            current = self.pointer()
            actual = current.sha256 if current else None
            if actual != expected:
                raise PointerMoved(f"{self.url}: the catalog pointer moved (another publish won)")
            # A reader between these two replacements sees a signature that does not match and
            # retries; the catalog itself is never half-written.
            os.replace(_temp_file(self.root, new.signature), self.root / POINTER_SIGNATURE)
            os.replace(_temp_file(self.root, new.catalog), self.root / POINTER)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / LOCK).open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _temp_file(folder: Path, data: bytes) -> str:
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=folder)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(tmp, 0o644)
    return tmp
