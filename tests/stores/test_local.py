from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
import zstandard
from stores.contract import CONTRACT, KEY, signed_catalog

from skillport_build.errors import SignatureError, StoreError, UsageError
from skillport_build.models import catalog_zst
from skillport_build.models.catalog_zst import compress_catalog
from skillport_build.release.publish import put_catalog
from skillport_build.stores import LocalStore, open_store
from skillport_build.stores.base import Pointer, Store
from skillport_build.trust.minisign import verify


@pytest.mark.parametrize("check", CONTRACT, ids=lambda c: c.__name__)
def test_local_store_contract(check: Callable[[Store], None], tmp_path: Path) -> None:
    check(LocalStore(tmp_path / "store"))


def test_urls(tmp_path: Path) -> None:
    assert isinstance(open_store(str(tmp_path)), LocalStore)
    assert open_store(f"file://{tmp_path}").url == str(tmp_path)  # type: ignore[union-attr]
    with pytest.raises(UsageError):
        open_store("ftp://example.com/x")


@pytest.mark.parametrize("key", ["../x", "/etc/passwd", "a//b", "a/./b", ""])
def test_keys_cannot_escape(tmp_path: Path, key: str) -> None:
    with pytest.raises(StoreError, match="refusing the store key"):
        LocalStore(tmp_path).put_new(key, b"x")


def test_blobs_are_world_readable_and_no_temp_files_remain(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    store.put_new("bundles/a/1.0.0/a-1.0.0.zip", b"a")
    path = tmp_path / "bundles/a/1.0.0/a-1.0.0.zip"
    assert oct(path.stat().st_mode & 0o777) == "0o644"
    assert [p.name for p in path.parent.iterdir()] == ["a-1.0.0.zip"]
    assert not any(name.startswith(".tmp") for _, _, names in os.walk(tmp_path) for name in names)


def _twin_store(tmp_path: Path) -> tuple[LocalStore, bytes, bytes]:
    store = LocalStore(tmp_path / "store")
    raw, signature = signed_catalog(1)
    store.swap_pointer(None, put_catalog(store, raw, signature, 1))
    return store, raw, signature


def test_the_twin_is_written_last_and_read_in_place_of_the_catalog(tmp_path: Path) -> None:
    store, raw, signature = _twin_store(tmp_path)
    twin, plain = store.root / "catalog.json.zst", store.root / "catalog.json"
    assert twin.stat().st_mtime_ns >= plain.stat().st_mtime_ns
    plain.write_bytes(b"not read")
    os.utime(plain, ns=(twin.stat().st_mtime_ns, twin.stat().st_mtime_ns))
    read = store.pointer()
    assert read == Pointer(raw, signature) and read is not None and read.compressed == twin.read_bytes()


def test_a_twin_older_than_the_catalog_is_passed_over(tmp_path: Path) -> None:
    """A release without twins publishing to this store replaces catalog.json only."""
    store, _, _ = _twin_store(tmp_path)
    raw2, signature2 = signed_catalog(2)
    twin = store.root / "catalog.json.zst"
    (store.root / "catalog.json.minisig").write_bytes(signature2)
    (store.root / "catalog.json").write_bytes(raw2)
    os.utime(twin, ns=(twin.stat().st_mtime_ns - 10**9, twin.stat().st_mtime_ns - 10**9))
    read = store.pointer()
    assert read == Pointer(raw2, signature2) and read is not None and read.compressed is None


@pytest.mark.parametrize(
    ("blob", "message"),
    [
        (compress_catalog(signed_catalog(1)[0].replace(b"skill-1", b"skill-X")), None),
        (b"not zstd", "it is not zstd"),
        (
            zstandard.ZstdCompressor(write_content_size=False).compress(b"{}"),
            "its zstd frame does not say its size",
        ),
        (compress_catalog(b"{}")[:-3], "it does not decompress"),
    ],
    ids=["forged", "not-zstd", "no-size", "truncated"],
)
def test_a_twin_that_is_not_the_signed_catalog_is_refused(
    tmp_path: Path, blob: bytes, message: str | None
) -> None:
    """Never a fall back to catalog.json: a forged twin fails the signature, a broken one is refused."""
    store, _, _ = _twin_store(tmp_path)
    (store.root / "catalog.json.zst").write_bytes(blob)
    if message is not None:
        with pytest.raises(
            SignatureError, match=f"catalog.json.zst \\(the compressed catalog\\) is refused: {message}"
        ):
            store.pointer()
        return
    read = store.pointer()
    assert read is not None
    with pytest.raises(SignatureError):
        verify(read.catalog, read.signature.decode(), [KEY.public()])


def test_a_twin_over_the_size_cap_is_refused_before_it_is_decompressed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, raw, _ = _twin_store(tmp_path)
    monkeypatch.setattr(catalog_zst, "MAX_CATALOG_BYTES", len(raw) - 1)
    with pytest.raises(SignatureError, match=f"would decompress to {len(raw):,} bytes, over the"):
        store.pointer()
