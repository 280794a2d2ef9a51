"""The search texts documents a signed catalog names (models/texts.py), fetched and checked before
the catalog is taken: a document that is missing or differs from the catalog's sha256 refuses the
whole catalog, like a bad signature. A document the served catalog already had (same sha256) is
not fetched again, so a catalog that changed one skill costs one or two small reads."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from skillport_build.models.catalog import Bundle
from skillport_build.models.terms import Counted
from skillport_build.models.texts import Shard, check_texts, decode_shard
from skillport_build.stores.base import Store

READERS = 8  # documents fetched at once from a remote store

Shards = dict[str, Shard]  # document sha256 -> its texts by bundle sha256 (and their term counts)
Counts = dict[str, tuple[Counted, int]]  # bundle sha256 -> the term counts of its text, and the row


def load_shards(store: Store, refs: tuple[Bundle, ...], before: Shards) -> tuple[Shards, Counts]:
    """Every document `refs` names, by its sha256: from `before` when held, else fetched and checked
    (SignatureError when missing or altered, CatalogError when not a texts document); and the term
    counts of the documents fetched now (those held were indexed already)."""
    missing = [ref for ref in dict.fromkeys(refs) if ref.sha256 not in before]
    shards = {ref.sha256: before[ref.sha256] for ref in refs if ref.sha256 in before}
    if len(missing) > 1 and store.remote:
        with ThreadPoolExecutor(READERS) as pool:
            blobs = list(pool.map(lambda ref: store.get(ref.path), missing))
    else:
        blobs = [store.get(ref.path) for ref in missing]
    counts: Counts = {}
    for ref, blob in zip(missing, blobs, strict=True):
        shard = decode_shard(check_texts(blob, ref), ref)
        if shard.terms is not None:
            counts.update((sha256, (shard.terms, row)) for row, sha256 in enumerate(shard.texts))
        shards[ref.sha256] = Shard(shard.texts, None)  # the counts are kept only until indexed
    return shards, counts


def by_bundle(shards: Shards) -> dict[str, str]:
    """Every text of the documents, by the sha256 of the bundle it comes from."""
    texts: dict[str, str] = {}
    for shard in shards.values():
        texts.update(shard.texts)
    return texts
