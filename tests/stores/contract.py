"""What every store backend must do; each backend's test module runs these against a real store."""

from __future__ import annotations

import hashlib

import pytest

from skillport_build.errors import BlobConflict, PointerMoved
from skillport_build.models.catalog_zst import compress_catalog
from skillport_build.models.texts import check_texts, decode_texts, encode_texts
from skillport_build.release.publish import put_catalog
from skillport_build.stores.base import Pointer, Store
from skillport_build.trust.minisign import SecretKey, generate, sign, verify

KEY = generate()


def check_put_get_and_immutability(store: Store) -> None:
    key = "bundles/demo/1.0.0/demo-1.0.0.zip"
    assert store.get(key) is None and store.digest(key) is None
    assert store.put_new(key, b"zip bytes") is True
    assert store.put_new(key, b"zip bytes") is False  # idempotent
    assert store.get(key) == b"zip bytes"
    assert store.digest(key) == hashlib.sha256(b"zip bytes").hexdigest()
    with pytest.raises(
        BlobConflict, match=r"already holds other bytes \(sha256 [0-9a-f]{64}; ours [0-9a-f]{64}\)"
    ):
        store.put_new(key, b"other bytes")
    assert store.read_verified(key, hashlib.sha256(b"zip bytes").hexdigest()) == b"zip bytes"


def check_keys_and_delete(store: Store) -> None:
    store.put_new("plugins/p/1.0.0/p-1.0.0.zip", b"p")
    store.put_new("plugins/q/2.0.0/q-2.0.0.zip", b"q")
    assert store.keys("plugins/") == ["plugins/p/1.0.0/p-1.0.0.zip", "plugins/q/2.0.0/q-2.0.0.zip"]
    store.delete("plugins/p/1.0.0/p-1.0.0.zip")
    store.delete("plugins/p/1.0.0/p-1.0.0.zip")  # missing is fine
    assert store.keys("plugins/") == ["plugins/q/2.0.0/q-2.0.0.zip"]


def check_search_texts_documents(store: Store) -> None:
    """The search texts shards are blobs like the bundles: put once, read, listed, deleted."""
    blob, ref = encode_texts(7, {"a" * 64: "# A skill\n\nIts text.\n"})
    other, second = encode_texts(7, {"b" * 64: "Another text."})
    assert ref.path.startswith("texts/07.") and store.get(ref.path) is None
    assert store.put_new(ref.path, blob) is True and store.put_new(ref.path, blob) is False
    store.put_new(second.path, other)
    assert store.read_verified(ref.path, ref.sha256) == blob and store.digest(ref.path) == ref.sha256
    assert decode_texts(check_texts(store.get(ref.path), ref), ref) == {"a" * 64: "# A skill\n\nIts text.\n"}
    assert store.keys("texts/") == sorted([ref.path, second.path])
    store.delete(ref.path)
    assert store.keys("texts/") == [second.path] and store.get(ref.path) is None


def _catalog(store: Store, version: int) -> Pointer:
    """A pointer value, written first as the immutable catalog, as publish does."""
    pointer = Pointer(b'{"catalog_version":%d}' % version, b"signature %d" % version)
    store.put_new(f"catalogs/{version}.json", pointer.catalog)
    store.put_new(f"catalogs/{version}.json.minisig", pointer.signature)
    return pointer


def check_pointer_compare_and_swap(store: Store) -> None:
    assert store.pointer() is None and store.pointer_tag() is None
    first = _catalog(store, 1)
    store.swap_pointer(None, first)
    assert store.pointer() == first
    tag = store.pointer_tag()
    assert tag is not None and store.pointer_tag() == tag  # stable while nothing moves
    second = _catalog(store, 2)
    with pytest.raises(PointerMoved):
        store.swap_pointer(None, second)
    assert store.pointer_tag() == tag
    store.swap_pointer(first.sha256, second)
    assert store.pointer() == second
    assert store.pointer_tag() not in (None, tag)  # a moved pointer has a new fingerprint
    with pytest.raises(PointerMoved):
        store.swap_pointer(first.sha256, _catalog(store, 3))
    assert store.keys("catalogs/") == [f"catalogs/{n}.json{s}" for n in (1, 2, 3) for s in ("", ".minisig")]


def signed_catalog(version: int, key: SecretKey = KEY) -> tuple[bytes, bytes]:
    """A catalog-like document big enough to be worth compressing, and its minisign signature."""
    raw = b'{"catalog_version":%d,"skills":[%s]}' % (
        version,
        b",".join(b'"skill-%d"' % n for n in range(2000)),
    )
    return raw, sign(key, raw, f"catalog_version:{version}", "test").encode()


def check_compressed_pointer(store: Store) -> None:
    """The pointer's twin is read in place of catalog.json: the signed bytes, from fewer bytes
    moved. A swap without a twin leaves none behind that readers would take."""
    raw, signature = signed_catalog(1)
    first = put_catalog(store, raw, signature, 1)
    assert first.compressed is not None and len(first.compressed) * 5 < len(raw)
    assert store.get("catalogs/1.json.zst") == first.compressed
    store.swap_pointer(None, first)
    read = store.pointer()
    assert read == Pointer(raw, signature) and read is not None and read.compressed == first.compressed
    verify(read.catalog, read.signature.decode(), [KEY.public()])  # over exactly the signed bytes
    raw2, signature2 = signed_catalog(2)
    store.put_new("catalogs/2.json", raw2)
    store.put_new("catalogs/2.json.minisig", signature2)
    store.swap_pointer(first.sha256, Pointer(raw2, signature2))  # a publisher without twins
    plain = store.pointer()
    assert plain == Pointer(raw2, signature2) and plain is not None and plain.compressed is None
    third = put_catalog(store, *signed_catalog(3), 3)
    store.swap_pointer(plain.sha256, third)
    assert store.pointer() == third and compress_catalog(third.catalog) == third.compressed
    twins = [key for key in store.keys("catalogs/") if key.endswith(".zst")]
    assert twins == ["catalogs/1.json.zst", "catalogs/3.json.zst"]


CONTRACT = [
    check_put_get_and_immutability,
    check_keys_and_delete,
    check_search_texts_documents,
    check_pointer_compare_and_swap,
    check_compressed_pointer,
]
