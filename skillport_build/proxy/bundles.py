"""Bundles read from the store, their bytes checked against the signed catalog before anything is
served, and kept in memory by digest (a digest names the bytes for good, so there is nothing to
invalidate; the cache only bounds memory)."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

from skillport_build.errors import SignatureError, StoreError
from skillport_build.models.catalog import Bundle
from skillport_build.stores.base import Store


class BundleCache:
    """Verified bundle bytes, least recently used evicted past `limit` bytes."""

    def __init__(self, store: Store, limit: int) -> None:
        self.store, self.limit = store, limit
        self._lock = threading.Lock()
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0

    def cached(self, bundle: Bundle) -> bytes | None:
        """The bytes if they are in memory already (no store call)."""
        with self._lock:
            data = self._items.get(bundle.sha256)
            if data is not None:
                self._items.move_to_end(bundle.sha256)
            return data

    def read(self, bundle: Bundle, keep: bool = True) -> bytes:
        """The bundle's bytes, verified; SignatureError when the store holds other bytes. `keep`
        False leaves them out of memory (a catalog load reads every bundle once for its text)."""
        data = self.cached(bundle)
        if data is not None:
            return data
        data = self.store.get(bundle.path)
        if data is None:
            raise StoreError(f"{bundle.path} is missing from the store")
        actual = hashlib.sha256(data).hexdigest()
        if actual != bundle.sha256 or len(data) != bundle.size:
            raise SignatureError(
                f"{bundle.path} in the store has sha256 {actual}, but the signed catalog says "
                f"{bundle.sha256}; it was not served"
            )
        if keep and len(data) <= self.limit:
            with self._lock:
                if bundle.sha256 not in self._items:
                    self._items[bundle.sha256] = data
                    self._size += len(data)
                while self._size > self.limit:
                    _, dropped = self._items.popitem(last=False)
                    self._size -= len(dropped)
        return data
