"""The search texts document format: content-addressed zstd shards, checked before they are read."""

from __future__ import annotations

import pytest
import zstandard

from skillport_build.errors import CatalogError, SignatureError
from skillport_build.models.catalog import Bundle
from skillport_build.models.texts import (
    SHARDS,
    check_texts,
    decode_texts,
    encode_texts,
    shard_index,
    shard_of,
)

TEXTS = {"0" * 64: "# Zero\n\nÜber alles.\n", "03" + "f" * 62: ""}


def test_a_shard_round_trips_and_is_named_by_its_bytes() -> None:
    blob, ref = encode_texts(3, TEXTS)
    assert ref.path == f"texts/03.{ref.sha256}.json.zst" and ref.size == len(blob)
    assert encode_texts(3, dict(reversed(TEXTS.items()))) == (blob, ref)  # canonical: same texts, same key
    assert decode_texts(check_texts(blob, ref), ref) == TEXTS
    assert shard_index(ref) == 3 and shard_index(Bundle(path="bundles/x.zip", sha256="a", size=1)) is None


def test_shards_split_bundles_by_their_first_hex_digits() -> None:
    assert shard_of("00" + "a" * 62) == 0 and shard_of("ff" + "a" * 62) == SHARDS - 1
    assert {shard_of(f"{n:02x}" + "0" * 62) for n in range(256)} == set(range(SHARDS))


@pytest.mark.parametrize(
    ("blob", "message"),
    [
        (None, "is missing from the store; publish the build again"),
        (b"short", "does not match the signed catalog"),
        (b"same size but other bytes!", "does not match the signed catalog"),
    ],
)
def test_bytes_other_than_the_catalog_names_are_refused(blob: bytes | None, message: str) -> None:
    good, ref = encode_texts(0, TEXTS)
    if blob is not None and len(blob) != len(good):
        blob = blob if blob == b"short" else blob[: len(good)].ljust(len(good), b"!")
    with pytest.raises(SignatureError, match=message) as refused:
        check_texts(blob, ref)
    assert ref.path in str(refused.value)


@pytest.mark.parametrize(
    "blob",
    [
        b"not zstd at all",
        zstandard.ZstdCompressor().compress(b"[1,2]"),
        zstandard.ZstdCompressor().compress(b'{"a":1}'),
    ],
)
def test_a_blob_that_is_not_a_texts_document_is_a_catalog_error(blob: bytes) -> None:
    ref = Bundle(path="texts/00.x.json.zst", sha256="x", size=len(blob))
    with pytest.raises(CatalogError, match="is not a search texts document"):
        decode_texts(blob, ref)
