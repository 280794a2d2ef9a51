"""Store upkeep: fetch the current catalog, reconcile the pointer with the blobs, prune old ones."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from skillport_build.errors import CatalogError, StoreError
from skillport_build.models.catalog import Catalog
from skillport_build.models.catalog_zst import compress_catalog
from skillport_build.models.texts import PREFIX as TEXTS_PREFIX
from skillport_build.release.publish import Progress, compressed_catalog_key, immutable_catalog_keys
from skillport_build.stores.base import Pointer, Store
from skillport_build.trust.minisign import PublicKey, verify
from skillport_build.trust.verify import referenced_bundles

_CATALOG_KEY = re.compile(r"^catalogs/(\d+)\.json$")


def fetch_catalog(store: Store, out: Path) -> Catalog | None:
    """Write the store's current catalog (and its signature beside it); None for an empty store."""
    pointer = store.pointer()
    if pointer is None:
        return None
    catalog = Catalog.from_bytes(pointer.catalog, f"{store.url}/catalog.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(pointer.catalog)
    out.with_name(out.name + ".minisig").write_bytes(pointer.signature)
    return catalog


@dataclass
class Reconciliation:
    """How the pointer and the blobs agree."""

    pointer_version: int | None
    missing: list[str] = field(default_factory=list)  # named by the catalog, absent
    corrupt: list[str] = field(default_factory=list)  # present with another sha256
    ahead: list[int] = field(default_factory=list)  # immutable catalogs newer than the pointer
    repaired_to: int | None = None

    @property
    def healthy(self) -> bool:
        """Nothing missing, nothing corrupt, no publish left half-done."""
        return not (self.missing or self.corrupt or self.ahead)


def catalog_versions(store: Store) -> list[int]:
    """The numbers of every immutable catalog in the store, ascending."""
    found = (_CATALOG_KEY.match(key) for key in store.keys("catalogs/"))
    return sorted(int(m.group(1)) for m in found if m)


def _check_blobs(
    store: Store, catalog: Catalog, progress: Progress | None = None
) -> tuple[list[str], list[str]]:
    missing, corrupt = [], []
    bundles = list(referenced_bundles(catalog))
    for done, (_, bundle) in enumerate(bundles, start=1):
        digest = store.digest(bundle.path)
        if digest is None:
            missing.append(bundle.path)
        elif digest != bundle.sha256:
            corrupt.append(bundle.path)
        if progress:
            progress(done, len(bundles))
    return missing, corrupt


def reconcile(
    store: Store,
    *,
    repair: bool = False,
    keys: list[PublicKey] | None = None,
    progress: Progress | None = None,
) -> Reconciliation:
    """Check every blob the pointer's catalog names; with `repair`, move a pointer left behind.
    `progress(done, total)` after each blob of the current catalog."""
    pointer = store.pointer()
    current = Catalog.from_bytes(pointer.catalog, f"{store.url}/catalog.json") if pointer else None
    result = Reconciliation(current.catalog_version if current else None)
    if current is not None:
        result.missing, result.corrupt = _check_blobs(store, current, progress)
    result.ahead = [v for v in catalog_versions(store) if current is None or v > current.catalog_version]
    if repair and result.ahead:
        for version in sorted(result.ahead, reverse=True):
            candidate = _complete_catalog(store, version, keys)
            if candidate is not None:
                store.swap_pointer(pointer.sha256 if pointer else None, candidate)
                result.repaired_to, result.ahead = version, [v for v in result.ahead if v > version]
                break
    return result


def _complete_catalog(store: Store, version: int, keys: list[PublicKey] | None) -> Pointer | None:
    """Catalog `version` as a pointer, if it and every blob it names are intact (and signed)."""
    catalog_key, signature_key = immutable_catalog_keys(version)
    raw, signature = store.get(catalog_key), store.get(signature_key)
    if raw is None or signature is None:
        return None
    try:
        catalog = Catalog.from_bytes(raw, catalog_key)
        if keys:
            verify(raw, signature.decode(), keys)
    except (CatalogError, StoreError, UnicodeDecodeError):
        return None
    missing, corrupt = _check_blobs(store, catalog)
    return None if missing or corrupt else Pointer(raw, signature, compress_catalog(raw))


def prune(store: Store, keep: int, *, dry_run: bool = False) -> list[str]:
    """Remove all but the newest `keep` immutable catalogs, and blobs none of the kept ones name."""
    if keep < 1:
        raise StoreError("--keep must be at least 1")
    pointer = store.pointer()
    if pointer is None:
        raise StoreError(f"{store.url} has no current catalog; nothing to prune against")
    current = Catalog.from_bytes(pointer.catalog, f"{store.url}/catalog.json")
    versions = catalog_versions(store)
    kept = set(versions[-keep:]) | {current.catalog_version}
    needed: set[str] = {b.path for _, b in referenced_bundles(current)}
    for version in kept:
        raw = store.get(immutable_catalog_keys(version)[0])
        if raw is not None:
            needed |= {b.path for _, b in referenced_bundles(Catalog.from_bytes(raw))}
    twins = set(store.keys("catalogs/")) & {compressed_catalog_key(v) for v in versions}
    doomed = [key for v in versions if v not in kept for key in immutable_catalog_keys(v)]
    doomed += [
        compressed_catalog_key(v) for v in versions if v not in kept and compressed_catalog_key(v) in twins
    ]
    blobs = store.keys("bundles/") + store.keys("plugins/") + store.keys(TEXTS_PREFIX)
    doomed += [key for key in blobs if key not in needed]
    if not dry_run:
        for key in doomed:
            store.delete(key)
    return doomed
