"""The search texts: every skill's SKILL.md text in a few zstd-compressed documents beside the
catalog, so the proxy indexes 10,000 skills without opening 10,000 bundles.

    texts/<shard>.<sha256>.json.zst   zstd of canonical JSON {"<bundle sha256>": "<SKILL.md body>", ...}

A text lives in the shard its bundle's sha256 falls in (SHARDS of them, by the first two hex digits),
so a catalog that changed one skill changes one or two shards: the build rewrites, the store receives
and the proxy reads only those. The signed catalog names every shard (`texts`: path, sha256 and size
of the stored, compressed bytes), so the signature covers them: a reader checks size and sha256 of
exactly the bytes it fetched before it decompresses or parses anything. Texts are keyed by the
sha256 of the bundle they come from, so an unchanged bundle keeps its text across catalogs.
"""

from __future__ import annotations

import hashlib
import json

import zstandard

from skillport_build.errors import CatalogError, SignatureError
from skillport_build.models.catalog import Bundle, canonical_json

PREFIX = "texts/"
ZSTD_LEVEL = 9  # written once per build, read by every proxy: smaller beats faster here
MAX_TEXTS_BYTES = 1 << 30  # decompressed; a signed document is never near this
SHARDS = 64


def shard_of(bundle_sha256: str) -> int:
    """The shard a bundle's text lives in."""
    return int(bundle_sha256[:2], 16) * SHARDS // 256


def shard_index(ref: Bundle) -> int | None:
    """The shard a texts document's key says it holds (None for a key not of that form)."""
    head = ref.path.removeprefix(PREFIX).split(".", 1)[0]
    return int(head) if ref.path.startswith(PREFIX) and head.isdigit() else None


def encode_texts(shard: int, texts: dict[str, str]) -> tuple[bytes, Bundle]:
    """The stored bytes of one shard's texts document and the catalog's reference to them
    (content-addressed: the same texts, the same key)."""
    blob = zstandard.ZstdCompressor(level=ZSTD_LEVEL, write_content_size=True).compress(canonical_json(texts))
    sha256 = hashlib.sha256(blob).hexdigest()
    return blob, Bundle(path=f"{PREFIX}{shard:02d}.{sha256}.json.zst", sha256=sha256, size=len(blob))


def check_texts(blob: bytes | None, ref: Bundle) -> bytes:
    """The blob, if it is exactly the one the signed catalog names; SignatureError otherwise."""
    if blob is None:
        raise SignatureError(
            f"{ref.path} (the search texts the signed catalog names) is missing from the store; "
            "publish the build again"
        )
    actual = hashlib.sha256(blob).hexdigest()
    if len(blob) != ref.size or actual != ref.sha256:
        raise SignatureError(
            f"{ref.path} does not match the signed catalog: sha256 {actual}, expected {ref.sha256}; "
            "it was changed or swapped: the catalog is refused"
        )
    return blob


def decode_texts(blob: bytes, ref: Bundle) -> dict[str, str]:
    """The texts in a blob `check_texts` accepted (CatalogError when it is not a texts document)."""
    try:
        data = json.loads(zstandard.ZstdDecompressor().decompress(blob, max_output_size=MAX_TEXTS_BYTES))
    except (zstandard.ZstdError, ValueError, UnicodeDecodeError) as exc:
        raise CatalogError(f"{ref.path} is not a search texts document: {exc}") from None
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise CatalogError(f"{ref.path} is not a search texts document: expected an object of strings")
    return data
