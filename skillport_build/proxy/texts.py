"""The search texts documents a signed catalog names (models/texts.py), fetched and checked before
the catalog is taken: a document that is missing or differs from the catalog's sha256 refuses the
whole catalog, like a bad signature. A document the served catalog already had (same sha256) is
not fetched again, so a catalog that changed one skill costs one or two small reads."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from skillport_build.models.catalog import Bundle
from skillport_build.models.texts import check_texts, decode_texts
from skillport_build.stores.base import Store

READERS = 8  # documents fetched at once from a remote store

Shards = dict[str, dict[str, str]]  # document sha256 -> {bundle sha256: text}


def load_shards(store: Store, refs: tuple[Bundle, ...], before: Shards) -> Shards:
    """Every document `refs` names, by its sha256: from `before` when held, else fetched and checked
    (SignatureError when missing or altered, CatalogError when not a texts document)."""
    missing = [ref for ref in dict.fromkeys(refs) if ref.sha256 not in before]
    shards = {ref.sha256: before[ref.sha256] for ref in refs if ref.sha256 in before}
    if len(missing) > 1 and store.remote:
        with ThreadPoolExecutor(READERS) as pool:
            blobs = list(pool.map(lambda ref: store.get(ref.path), missing))
    else:
        blobs = [store.get(ref.path) for ref in missing]
    for ref, blob in zip(missing, blobs, strict=True):
        shards[ref.sha256] = decode_texts(check_texts(blob, ref), ref)
    return shards


def by_bundle(shards: Shards) -> dict[str, str]:
    """Every text of the documents, by the sha256 of the bundle it comes from."""
    texts: dict[str, str] = {}
    for shard in shards.values():
        texts.update(shard)
    return texts
