"""`skillport verify`: check a signed catalog, and the bundles it names, before trusting either.

Refused: a bad signature, an unknown key, a record without its own valid signature, a trusted
comment that disagrees with the catalog, an expired catalog (freeze attack), a catalog_version
below the last one accepted (rollback), and a bundle whose sha256 or size differs from the catalog
(tampering, or bundles swapped between skills).

A store folder may hold the catalog's compressed twin `catalog.json.zst` beside catalog.json
(models/catalog_zst.py). Verify then reads the twin (decompressed with a size cap), checks the
signature over what came out, and refuses a twin that differs from catalog.json: both must be
exactly the signed bytes, so `minisign -V` on catalog.json and every reader of the twin agree.
The store's immutable copies of the current catalog, `catalogs/<n>.json` and `catalogs/<n>.json.zst`,
must hold those same bytes too; older catalogs' copies are not read.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from skillport_build.errors import SignatureError
from skillport_build.models.catalog import Bundle, Catalog, format_time, parse_time
from skillport_build.models.catalog_zst import decompress_catalog
from skillport_build.trust.minisign import PublicKey, verify
from skillport_build.trust.records import check_proofs

CATALOG = "catalog.json"
SIGNATURE = "catalog.json.minisig"
COMPRESSED = "catalog.json.zst"


def trusted_comment(catalog: Catalog) -> str:
    """The signed line that binds a signature to one catalog version and its expiry."""
    return f"catalog_version:{catalog.catalog_version} expires:{catalog.expires} file:{CATALOG}"


def default_state_file() -> Path:
    """Where `verify` remembers the newest catalog_version it accepted."""
    base = os.environ.get("SKILLPORT_STATE_DIR") or os.environ.get("XDG_STATE_HOME")
    root = Path(base) if base else Path.home() / ".local" / "state"
    return (root if os.environ.get("SKILLPORT_STATE_DIR") else root / "skillport") / "trust.json"


@dataclass
class TrustState:
    """The newest catalog_version accepted per marketplace (rollback protection)."""

    path: Path

    def _read(self) -> dict[str, int]:
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise SignatureError(
                f"cannot read the trust state {self.path}: {exc}; fix or delete it"
            ) from None
        return {k: v for k, v in data.items() if isinstance(v, int)} if isinstance(data, dict) else {}

    def last(self, marketplace: str) -> int | None:
        """The newest version accepted for a marketplace."""
        return self._read().get(marketplace)

    def accept(self, marketplace: str, version: int) -> None:
        """Remember `version` (never lowering what was remembered)."""
        data = self._read()
        data[marketplace] = max(version, data.get(marketplace, 0))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".trust.")
        with os.fdopen(fd, "w") as handle:
            json.dump(data, handle, indent=2, sort_keys=True)
        os.replace(tmp, self.path)


@dataclass(frozen=True)
class Verified:
    """A catalog that passed every check, and how many bundles (and search texts documents) were
    checked with it."""

    catalog: Catalog
    key_id: str
    bundles: int
    texts: int = 0


def verify_catalog(
    raw: bytes,
    signature: str,
    keys: list[PublicKey],
    now: datetime,
    state: TrustState | None,
    parse: Callable[[bytes], Catalog] = Catalog.from_bytes,
) -> tuple[Catalog, str]:
    """Check signature, trusted comment, expiry and rollback; return the catalog and key id.

    `parse` reads the bytes once the signature over them checks (the proxy's reuses the records
    of the catalog it served before)."""
    if not keys:
        raise SignatureError("no trusted public key given (--key)")
    checked = verify(raw, signature, keys)
    catalog = parse(raw)
    if checked.trusted_comment.split() != trusted_comment(catalog).split():
        raise SignatureError(
            f"the signed trusted comment ({checked.trusted_comment!r}) does not match this catalog "
            f"(version {catalog.catalog_version}, expires {catalog.expires})"
        )
    if catalog.is_expired(now):
        raise SignatureError(
            f"catalog {catalog.catalog_version} expired at {catalog.expires} (now {format_time(now)}); "
            "the publisher must re-sign it"
        )
    last = state.last(catalog.marketplace.name) if state else None
    if last is not None and catalog.catalog_version < last:
        raise SignatureError(
            f"rollback refused: catalog_version {catalog.catalog_version} is older than {last}, "
            f"which was accepted before for {catalog.marketplace.name}"
        )
    key_id = checked.key_id[::-1].hex().upper()
    return catalog, key_id


TEXTS_OWNER = "search texts"


def referenced_bundles(catalog: Catalog) -> Iterator[tuple[str, Bundle]]:
    """Every (owner, blob) the catalog names: current bundles first, then history, then the search
    texts documents."""
    for record in catalog.records():
        yield f"{record.name} {record.version}", record.bundle
    for record in catalog.records():
        for release in record.history:
            if release.bundle.path != record.bundle.path:
                yield f"{record.name} {release.version}", release.bundle
    for ref in catalog.texts or ():
        yield TEXTS_OWNER, ref


def check_bundle(path: Path, bundle: Bundle, owner: str) -> None:
    """Refuse a bundle whose size or sha256 differs from the catalog."""
    data = path.read_bytes()
    actual = hashlib.sha256(data).hexdigest()
    if len(data) != bundle.size or actual != bundle.sha256:
        raise SignatureError(
            f"{bundle.path} ({owner}) does not match the signed catalog: sha256 {actual}, "
            f"expected {bundle.sha256}; it was changed or swapped: do not install it"
        )


def verify_dir(root: Path, keys: list[PublicKey], now: datetime, state: TrustState | None) -> Verified:
    """Verify DIR/catalog.json and every bundle it names that DIR holds (current ones must be there)."""
    raw, signature = _read_pair(root)
    catalog, key_id = verify_catalog(raw, signature, keys, now, state)
    check_proofs(catalog, keys)
    _check_immutable_copies(root, catalog.catalog_version, raw)
    current = {record.bundle.path for record in catalog.records()} | {t.path for t in catalog.texts or ()}
    counts = {"bundles": 0, "texts": 0}
    for owner, bundle in referenced_bundles(catalog):
        target = _inside(root, bundle.path)
        if not target.is_file():
            if bundle.path in current:
                raise SignatureError(f"{bundle.path} ({owner}) is named by the catalog but missing")
            continue
        check_bundle(target, bundle, owner)
        counts["texts" if owner == TEXTS_OWNER else "bundles"] += 1
    if state:
        state.accept(catalog.marketplace.name, catalog.catalog_version)
    return Verified(catalog, key_id, **counts)


def verify_zip(
    zip_path: Path,
    keys: list[PublicKey],
    now: datetime,
    state: TrustState | None,
    catalog_dir: Path | None = None,
) -> Verified:
    """Verify one bundle against the signed catalog of the store it sits in (or `catalog_dir`)."""
    root = catalog_dir or _store_root(zip_path)
    raw, signature = _read_pair(root)
    catalog, key_id = verify_catalog(raw, signature, keys, now, state)
    data = zip_path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    matches = [(owner, b) for owner, b in referenced_bundles(catalog) if b.sha256 == digest]
    if not matches:
        raise SignatureError(
            f"{zip_path.name} (sha256 {digest}) is not a bundle of the signed catalog "
            f"{catalog.catalog_version}: do not install it"
        )
    owner, bundle = matches[0]
    if not zip_path.resolve().as_posix().endswith(bundle.path):
        raise SignatureError(f"{zip_path} holds the bytes of {bundle.path} ({owner}): bundles were swapped")
    if state:
        state.accept(catalog.marketplace.name, catalog.catalog_version)
    return Verified(catalog, key_id, 1)


def _read_pair(root: Path) -> tuple[bytes, str]:
    try:
        signature = (root / SIGNATURE).read_text()
    except FileNotFoundError:
        raise SignatureError(f"{root / SIGNATURE} is missing (run `skillport sign` first)") from None
    return read_catalog(root), signature


def read_catalog(root: Path) -> bytes:
    """The catalog bytes in a folder: from catalog.json.zst when it is there (and then it must
    decompress to catalog.json's bytes, where that is there too), else from catalog.json."""
    plain, twin = root / CATALOG, root / COMPRESSED
    if not twin.is_file():
        try:
            return plain.read_bytes()
        except FileNotFoundError:
            raise SignatureError(f"{plain} is missing") from None
    raw = decompress_catalog(twin.read_bytes(), str(twin))
    if plain.is_file() and plain.read_bytes() != raw:
        raise SignatureError(
            f"{twin} and {plain} hold different catalogs; readers would trust different bytes. "
            f"Publish again, or delete {twin.name} if an older release wrote catalog.json after it"
        )
    return raw


def _check_immutable_copies(root: Path, version: int, raw: bytes) -> None:
    """The store's own copies of the current catalog, `catalogs/<n>.json` and its twin, hold the
    bytes just verified: `prune` and anything reading the history take them for catalog n."""
    plain, twin = root / f"catalogs/{version}.json", root / f"catalogs/{version}.json.zst"
    copies = [(plain, CATALOG, plain.read_bytes)] if plain.is_file() else []
    if twin.is_file():
        copies.append((twin, COMPRESSED, lambda: decompress_catalog(twin.read_bytes(), str(twin))))
    for path, original, read in copies:
        if read() != raw:
            raise SignatureError(
                f"{path} is not catalog {version} as {root / CATALOG} signs it: the store was changed "
                f"after publishing. Restore it from a backup, or replace it with a copy of "
                f"{root / original}, whose bytes were just verified"
            )


def _inside(root: Path, relative: str) -> Path:
    target = (root / relative).resolve()
    if not target.is_relative_to(root.resolve()):
        raise SignatureError(f"the catalog names a bundle outside the store: {relative}")
    return target


def _store_root(zip_path: Path) -> Path:
    for parent in zip_path.resolve().parents:
        if (parent / CATALOG).is_file():
            return parent
    raise SignatureError(f"no catalog.json above {zip_path}; pass --catalog DIR")


def expiry(catalog: Catalog) -> datetime:
    """When a catalog stops being accepted."""
    return parse_time(catalog.expires)
