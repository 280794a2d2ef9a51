"""The catalog's compressed twin: `catalog.json.zst` beside `catalog.json` in a store.

The signature stays over the plain catalog bytes (so `minisign -V` on catalog.json still works);
the twin is only a smaller way to move those bytes. A reader that takes the twin decompresses it
with a size cap and checks the signature over what came out, exactly as over the plain file. A
twin that does not decompress, or decompresses to other bytes than the pointer's plain catalog
where the store can tell, is refused: readers never fall back from a bad twin to anything else.
"""

from __future__ import annotations

import hashlib

import zstandard

from skillport_build.errors import SignatureError

SUFFIX = ".zst"
ZSTD_LEVEL = 3  # measured at 10,000 skills: level 3 is as small as 9 or 12 and 8x faster
MAX_CATALOG_BYTES = 1 << 31  # decompressed; 100,000 skills are about 240 MB


def compress_catalog(raw: bytes) -> bytes:
    """The twin's bytes: zstd of exactly the signed catalog bytes, its size in the frame header."""
    return zstandard.ZstdCompressor(level=ZSTD_LEVEL, write_content_size=True).compress(raw)


def decompress_catalog(blob: bytes, source: str, expected_sha256: str | None = None) -> bytes:
    """The catalog bytes a twin holds; SignatureError when it is not a twin of a catalog under the
    cap, or (given `expected_sha256`, the plain catalog's) decompresses to other bytes."""
    try:
        size = zstandard.frame_content_size(blob)
    except zstandard.ZstdError as exc:
        raise _refused(source, f"it is not zstd ({exc})") from None
    if size < 0:
        raise _refused(source, "its zstd frame does not say its size")
    if size > MAX_CATALOG_BYTES:
        raise _refused(source, f"it would decompress to {size:,} bytes, over the {MAX_CATALOG_BYTES:,} cap")
    try:
        raw = zstandard.ZstdDecompressor().decompress(blob, max_output_size=MAX_CATALOG_BYTES)
    except zstandard.ZstdError as exc:
        raise _refused(source, f"it does not decompress ({exc})") from None
    if len(raw) != size:
        raise _refused(source, f"it decompresses to {len(raw):,} bytes, not the {size:,} its header says")
    if expected_sha256 is not None and hashlib.sha256(raw).hexdigest() != expected_sha256:
        raise _refused(source, f"it decompresses to other bytes than the catalog (sha256 {expected_sha256})")
    return raw


def _refused(source: str, why: str) -> SignatureError:
    return SignatureError(
        f"{source} (the compressed catalog) is refused: {why}; the store must be published again "
        "(`skillport publish`), or the file deleted so readers take the plain catalog.json"
    )
