"""`skillport publish`: put a signed build into a store as one transaction.

1. upload the bundles the store lacks (put-if-absent; other bytes under the same key: refuse),
2. read every uploaded bundle back and check its sha256,
3. write the immutable `catalogs/<n>.json`, its signature and its compressed twin `.json.zst`,
4. swap the pointer (with its twin), only if it still names the catalog this build was planned
   against.

Each step is idempotent, so a re-run after a failure at any point finishes the job without
duplicating anything; until step 4 the store keeps serving the previous complete catalog.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from skillport_build.errors import BlobConflict, PointerMoved, PublishConflict, StoreError
from skillport_build.models.catalog import Catalog
from skillport_build.models.catalog_zst import compress_catalog, decompress_catalog
from skillport_build.stores.base import Pointer, Store
from skillport_build.trust.verify import CATALOG, SIGNATURE, referenced_bundles

Hook = Callable[[str], None]  # called before each step ("blob:3", "verify", ...); tests inject faults
Progress = Callable[[int, int], None]  # (steps done, steps in all), for a progress bar


@dataclass
class PublishResult:
    """What a publish did (or, with dry_run, would do)."""

    catalog_version: int
    uploaded: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)
    already_published: bool = False


def immutable_catalog_keys(version: int) -> tuple[str, str]:
    """The store keys of catalog `version` and its signature."""
    return f"catalogs/{version}.json", f"catalogs/{version}.json.minisig"


def compressed_catalog_key(version: int) -> str:
    """The store key of catalog `version`'s compressed twin."""
    return f"catalogs/{version}.json.zst"


def put_catalog(store: Store, raw: bytes, signature: bytes, version: int) -> Pointer:
    """Write immutable catalog `version`, its signature and its twin; the pointer to swap to.

    BlobConflict when another catalog holds the number. A twin already there with other bytes is
    kept if it decompresses to this catalog (another zstd may compress differently)."""
    catalog_key, signature_key = immutable_catalog_keys(version)
    store.put_new(catalog_key, raw)
    store.put_new(signature_key, signature)
    twin_key, compressed = compressed_catalog_key(version), compress_catalog(raw)
    try:
        store.put_new(twin_key, compressed)
    except BlobConflict:
        existing = store.get(twin_key) or b""
        if decompress_catalog(existing, f"{store.url}/{twin_key}") != raw:
            raise
        compressed = existing
    return Pointer(raw, signature, compressed)


def publish(
    directory: Path,
    store: Store,
    *,
    dry_run: bool = False,
    hook: Hook | None = None,
    workers: int = 8,
    progress: Progress | None = None,
) -> PublishResult:
    """Publish the signed build in `directory` to `store`; `progress(done, total)` after each bundle
    sent (or found present) and each one read back."""
    step = hook or (lambda _: None)
    raw, signature = _read_build(directory)
    catalog = Catalog.from_bytes(raw, str(directory / CATALOG))
    result = PublishResult(catalog.catalog_version)
    done, current = _expected_pointer(store, catalog)
    expected = current.sha256 if current else None
    if done:
        result.already_published = True
        if current is not None and current.compressed is None and not dry_run:
            _complete_twin(store, current, catalog.catalog_version)
        return result

    # 1. Bundles: those in the build folder go up unless present; the rest must already be there.
    uploads = _bundles_to_send(directory, store, catalog)
    with ThreadPoolExecutor(max_workers=workers if store.remote else 1) as pool:  # requests in flight
        sending = []
        for index, (key, source, sha256) in enumerate(uploads, start=1):
            step(f"blob:{index}")
            sending.append(pool.submit(_send, store, key, source, sha256, result, dry_run))
        tick = progress or (lambda done, total: None)
        for sent, future in enumerate(as_completed(sending), start=1):
            future.result()
            tick(sent, len(uploads) if dry_run else len(uploads) * 2)
    if dry_run:
        return result

    # 2. Read back what went up.
    step("verify")
    for checked, (key, _, sha256) in enumerate(uploads, start=len(uploads) + 1):
        if key in result.uploaded:
            store.read_verified(key, sha256)
        tick(checked, len(uploads) * 2)

    # 3. The immutable catalog; a different catalog under the same number means another publish won.
    step("catalog:before")
    try:
        pointer = put_catalog(store, raw, signature, catalog.catalog_version)
    except BlobConflict:
        raise _lost(store, catalog) from None
    step("catalog:after")

    # 4. The pointer and its twin, by compare-and-swap.
    step("swap:before")
    try:
        store.swap_pointer(expected, pointer)
    except PointerMoved:
        raise _lost(store, catalog) from None
    return result


def _bundles_to_send(directory: Path, store: Store, catalog: Catalog) -> list[tuple[str, Path, str]]:
    """(key, file, sha256) of every bundle in the build folder; the others must be in the store."""
    uploads = {}
    for owner, bundle in referenced_bundles(catalog):
        source = directory / bundle.path
        if source.is_file():
            uploads[bundle.path] = (bundle.path, source, bundle.sha256)
        elif store.digest(bundle.path) != bundle.sha256:
            raise StoreError(f"{bundle.path} ({owner}) is neither in {directory} nor in {store.url}")
    return list(uploads.values())


def _send(store: Store, key: str, source: Path, sha256: str, result: PublishResult, dry_run: bool) -> None:
    data = source.read_bytes()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise StoreError(f"{source} does not match the catalog's sha256: rebuild before publishing")
    if dry_run:
        (result.present if store.digest(key) == sha256 else result.uploaded).append(key)
    elif store.put_new(key, data):
        result.uploaded.append(key)
    else:
        result.present.append(key)


def _read_build(directory: Path) -> tuple[bytes, bytes]:
    try:
        raw = (directory / CATALOG).read_bytes()
    except FileNotFoundError:
        raise StoreError(
            f"{directory} has no catalog.json: run `skillport build --out {directory}`"
        ) from None
    try:
        return raw, (directory / SIGNATURE).read_bytes()
    except FileNotFoundError:
        raise StoreError(
            f"{directory}/catalog.json is not signed: run `skillport sign {directory}` first"
        ) from None


def _expected_pointer(store: Store, catalog: Catalog) -> tuple[bool, Pointer | None]:
    """Whether the store already serves this catalog, and the pointer it may replace."""
    pointer = store.pointer()
    if pointer is None:
        if catalog.catalog_version != 1:
            raise _lost(store, catalog, 0)
        return False, None
    current = Catalog.from_bytes(pointer.catalog, f"{store.url}/catalog.json")
    if current.catalog_version == catalog.catalog_version and pointer.catalog == catalog.to_bytes():
        return True, pointer
    if current.catalog_version != catalog.catalog_version - 1:
        raise _lost(store, catalog, current.catalog_version)
    return False, pointer


def _complete_twin(store: Store, current: Pointer, version: int) -> None:
    """Give the served catalog its twin: a run that stopped between the swap and the twin (S3), or
    a catalog published by a release without twins, finishes here."""
    try:
        completed = put_catalog(store, current.catalog, current.signature, version)
        store.swap_pointer(current.sha256, completed)  # the same catalog: only the twin is new
    except (BlobConflict, PointerMoved):
        pass  # another publish moved on meanwhile (its pointer has its own twin): readers read the plain one


def _lost(store: Store, catalog: Catalog, current: int | None = None) -> PublishConflict:
    where = {None: "moved on", 0: "is empty"}.get(current, f"is at catalog {current}")
    return PublishConflict(
        f"{store.url} {where} while this build is catalog {catalog.catalog_version}: another publish won. "
        f"The store still serves a complete catalog. Rebuild against it (`skillport build --store "
        f"{store.url}`), sign, and publish again."
    )
