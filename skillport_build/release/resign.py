"""`skillport resign`: give the store's current catalog a new expiry, before the old one lapses.

Consumers refuse an expired catalog (freeze attacks) and refuse to go back a version (rollback), so
a re-signed catalog is a new catalog: the same plugins and skills, `catalog_version` + 1, a new
`generated_at` and `expires`, signed and published like any other (immutable copy, then the pointer).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from skillport_build.errors import BlobConflict, PointerMoved, PublishConflict, StoreError
from skillport_build.models.catalog import Catalog, format_time
from skillport_build.release.publish import put_catalog
from skillport_build.stores.base import Store
from skillport_build.trust.minisign import SecretKey, sign
from skillport_build.trust.records import prove
from skillport_build.trust.verify import trusted_comment


def resign(store: Store, key: SecretKey, now: datetime, validity: timedelta) -> Catalog:
    """Publish the current catalog again as catalog n + 1 with a fresh expiry; return it."""
    pointer = store.pointer()
    if pointer is None:
        raise StoreError(f"{store.url} has no catalog to re-sign")
    current = Catalog.from_bytes(pointer.catalog, f"{store.url}/catalog.json")
    renewed = prove(
        current.model_copy(
            update={
                "catalog_version": current.catalog_version + 1,
                "generated_at": format_time(now),
                "expires": format_time(now + validity),
            }
        ),
        key,
    )
    raw = renewed.to_bytes()
    signature = sign(
        key, raw, trusted_comment(renewed), f"skillport catalog {renewed.catalog_version} signature"
    )
    try:
        store.swap_pointer(
            pointer.sha256, put_catalog(store, raw, signature.encode(), renewed.catalog_version)
        )
    except (BlobConflict, PointerMoved):
        raise PublishConflict(f"{store.url} moved on while re-signing; run it again") from None
    return renewed
