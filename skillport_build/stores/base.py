"""The one store interface every backend implements, and retries with backoff (errors: errors.py).

Keys are the logical layout shared by every backend:

    bundles/<skill>/<version>/<skill>-<version>.zip
    plugins/<plugin>/<version>/<plugin>-<version>.zip
    catalogs/<n>.json, catalogs/<n>.json.minisig          immutable, one per published catalog
    catalogs/<n>.json.zst                                 its compressed twin (models/catalog_zst.py)
    catalog.json, catalog.json.minisig                    the pointer: what consumers read
    catalog.json.zst                                      the pointer's compressed twin

Readers take the pointer's twin when the store holds one that belongs to the current pointer (each
backend says how it knows), decompress it with a size cap, and return the plain bytes: `Pointer`
always carries exactly the signed catalog bytes. Each backend's docstring says how the pointer and
its twin change together.

Blobs are write-once: `put_new` stores bytes only where nothing is, and refuses other bytes where
something is. The pointer moves only by compare-and-swap.
"""

from __future__ import annotations

import hashlib
import random
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TypeVar

from skillport_build.errors import BlobConflict, StoreError, TransientStoreError

T = TypeVar("T")
POINTER = "catalog.json"
POINTER_SIGNATURE = "catalog.json.minisig"
POINTER_COMPRESSED = "catalog.json.zst"
CATALOG_SUFFIXES = (".json", ".json.minisig", ".json.zst")  # of catalogs/<n>: plain, signature, twin


@dataclass(frozen=True)
class Pointer:
    """What the store serves now."""

    catalog: bytes
    signature: bytes
    compressed: bytes | None = field(default=None, compare=False, repr=False)
    """The catalog's zstd twin: what a swap writes beside it, and what a read took it from (None
    when the store holds none, or only a stale one)."""

    @cached_property
    def sha256(self) -> str:
        """The digest of the catalog bytes (hashed once: 10,000 skills are 24 MB)."""
        return hashlib.sha256(self.catalog).hexdigest()


class Store(ABC):
    """A place bundles and catalogs are published to."""

    url: str
    presigns = False  # whether presigned_url works: downloads may then redirect to the store
    remote = True  # each request crosses a network: publish keeps several in flight

    @abstractmethod
    def get(self, key: str) -> bytes | None:
        """The bytes at `key`, or None."""

    @abstractmethod
    def digest(self, key: str) -> str | None:
        """The sha256 of the bytes at `key` (from metadata where the backend has it), or None."""

    @abstractmethod
    def _write_new(self, key: str, data: bytes, sha256: str) -> None:
        """Store bytes at a key known to be empty (a race may still fill it: then raise BlobConflict)."""

    @abstractmethod
    def keys(self, prefix: str) -> list[str]:
        """Every key under a prefix."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove a key (missing is fine)."""

    @abstractmethod
    def pointer(self) -> Pointer | None:
        """The pointer, or None for a store nothing was published to."""

    @abstractmethod
    def swap_pointer(self, expected: str | None, new: Pointer) -> None:
        """Point at `new` if the pointer's catalog sha256 is still `expected`; else PointerMoved."""

    def pointer_tag(self) -> str | None:
        """A cheap fingerprint of the pointer (one small request, no catalog download), or None when
        the backend has none. Readers that poll compare it before fetching the pointer itself."""
        return None

    def presigned_url(self, key: str, ttl: int, filename: str | None = None) -> str:
        """A URL that lets anyone holding it GET `key` for `ttl` seconds (saved as `filename`)."""
        raise StoreError(
            f"{self.url}: this store cannot make presigned download URLs; redirect downloads need an "
            "s3:// store"
        )

    def put_new(self, key: str, data: bytes) -> bool:
        """Store `data` at `key` unless it is there already; True when written now."""
        ours = hashlib.sha256(data).hexdigest()
        existing = self.digest(key)
        if existing == ours:
            return False
        if existing is not None:
            raise BlobConflict(key, existing, ours)
        self._write_new(key, data, ours)
        return True

    def read_verified(self, key: str, sha256: str) -> bytes:
        """Read `key` back and check its sha256."""
        data = self.get(key)
        if data is None:
            raise StoreError(f"{self.url}: {key} is missing right after it was written")
        actual = hashlib.sha256(data).hexdigest()
        if actual != sha256:
            raise StoreError(f"{self.url}: {key} reads back as sha256 {actual}, expected {sha256}")
        return data


def retry(operation: Callable[[], T], attempts: int = 5, base_delay: float = 0.2) -> T:
    """Run `operation`, retrying transient failures with jittered exponential backoff.

    Network backends wrap each request in this, so callers of a Store never retry themselves.
    """
    for attempt in range(1, attempts + 1):
        try:
            return operation()
        except TransientStoreError:
            if attempt == attempts:
                raise
            time.sleep(base_delay * 2 ** (attempt - 1) * (0.5 + random.random()))
    raise AssertionError("unreachable")
