"""The search texts: every skill's SKILL.md text, and the terms search counts in it, in a few
zstd-compressed documents beside the catalog, so the proxy indexes 10,000 skills without opening
10,000 bundles or cutting 10,000 texts into words.

    texts/<shard>.<sha256>.json.zst   zstd of canonical JSON
        {"format": 2,
         "texts": {"<bundle sha256>": "<SKILL.md body>", ...},
         "terms": {"vocabulary": [term, ...], "distinct": A, "lengths": A, "terms": A, "counts": A}}

`terms` is models/terms.py's `count_terms` of the texts in key order (A: "<u1|u2|u4>:<base64 of
the little-endian array>"), so the proxy builds its posting arrays from them without looking at a
word. A document of an older build is the bare `texts` object; its texts are counted by the proxy.

A text lives in the shard its bundle's sha256 falls in (SHARDS of them, by the first two hex digits),
so a catalog that changed one skill changes one or two shards: the build rewrites, the store receives
and the proxy reads only those. The signed catalog names every shard (`texts`: path, sha256 and size
of the stored, compressed bytes), so the signature covers texts and terms alike: a reader checks
size and sha256 of exactly the bytes it fetched before it decompresses or parses anything. Texts are
keyed by the sha256 of the bundle they come from, so an unchanged bundle keeps its text across catalogs.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import zstandard

from skillport_build.errors import CatalogError, SignatureError
from skillport_build.models.catalog import Bundle, canonical_json
from skillport_build.models.terms import Counted, count_terms

PREFIX = "texts/"
ZSTD_LEVEL = 9  # written once per build, read by every proxy: smaller beats faster here
MAX_TEXTS_BYTES = 1 << 30  # decompressed; a signed document is never near this
SHARDS = 64
FORMAT = 2
ARRAYS = ("distinct", "lengths", "terms", "counts")
_WIDTHS = {"u1": "<u1", "u2": "<u2", "u4": "<u4"}
_HEAD = b'{"format":%d,' % FORMAT  # canonical JSON: the keys sorted, "format" first


@dataclass(frozen=True)
class Shard:
    """One decoded texts document: texts by bundle sha256, and their term counts (rows in the
    sorted order of those keys) when the build counted them."""

    texts: dict[str, str]
    terms: Counted | None


def shard_of(bundle_sha256: str) -> int:
    """The shard a bundle's text lives in."""
    return int(bundle_sha256[:2], 16) * SHARDS // 256


def shard_index(ref: Bundle) -> int | None:
    """The shard a texts document's key says it holds (None for a key not of that form)."""
    head = ref.path.removeprefix(PREFIX).split(".", 1)[0]
    return int(head) if ref.path.startswith(PREFIX) and head.isdigit() else None


def encode_texts(shard: int, texts: dict[str, str]) -> tuple[bytes, Bundle]:
    """The stored bytes of one shard's texts document, with the texts' term counts, and the
    catalog's reference to them (content-addressed: the same texts, the same key)."""
    ordered = dict(sorted(texts.items()))
    counted = count_terms(list(ordered.values()))
    terms: dict[str, Any] = {"vocabulary": list(counted.vocabulary)}
    terms.update({name: _pack(getattr(counted, name)) for name in ARRAYS})
    document = {"format": FORMAT, "texts": ordered, "terms": terms}
    blob = zstandard.ZstdCompressor(level=ZSTD_LEVEL, write_content_size=True).compress(
        canonical_json(document)
    )
    sha256 = hashlib.sha256(blob).hexdigest()
    return blob, Bundle(path=f"{PREFIX}{shard:02d}.{sha256}.json.zst", sha256=sha256, size=len(blob))


def _pack(values: np.ndarray[Any, Any]) -> str:
    top = int(values.max()) if len(values) else 0
    width = "u1" if top < 1 << 8 else "u2" if top < 1 << 16 else "u4"
    return f"{width}:{base64.b64encode(values.astype(_WIDTHS[width]).tobytes()).decode()}"


def is_current(blob: bytes) -> bool:
    """Whether stored texts document bytes carry term counts (read from their first block only):
    a build keeps an older document only when it is of this format."""
    try:
        head = zstandard.ZstdDecompressor().stream_reader(blob).read(len(_HEAD))
    except zstandard.ZstdError:
        return False
    return head == _HEAD


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
    return decode_shard(blob, ref).texts


def decode_shard(blob: bytes, ref: Bundle) -> Shard:
    """The texts and term counts in a blob `check_texts` accepted (CatalogError when it is not a
    texts document, or its counts do not fit its texts)."""
    try:
        data = json.loads(zstandard.ZstdDecompressor().decompress(blob, max_output_size=MAX_TEXTS_BYTES))
    except (zstandard.ZstdError, ValueError, UnicodeDecodeError) as exc:
        raise CatalogError(f"{ref.path} is not a search texts document: {exc}") from None
    if isinstance(data, dict) and "format" in data:
        return _current(data, ref)
    return Shard(_texts(data, ref), None)  # an older build's: the bare texts


def _texts(data: object, ref: Bundle) -> dict[str, str]:
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise CatalogError(f"{ref.path} is not a search texts document: expected an object of strings")
    return data


def _current(data: dict[str, Any], ref: Bundle) -> Shard:
    if data.get("format") != FORMAT or set(data) != {"format", "texts", "terms"}:
        raise CatalogError(
            f"{ref.path} is a search texts document of format {data.get('format')!r}, which this "
            f"version does not read (it reads {FORMAT}); upgrade skillport"
        )
    texts, terms = _texts(data["texts"], ref), data["terms"]
    try:
        if not isinstance(terms, dict) or set(terms) != {"vocabulary", *ARRAYS}:
            raise ValueError("expected vocabulary, distinct, lengths, terms and counts")
        vocabulary = terms["vocabulary"]
        if not isinstance(vocabulary, list) or not all(isinstance(t, str) for t in vocabulary):
            raise ValueError("the vocabulary is not a list of strings")
        arrays = {name: _unpack(terms[name]) for name in ARRAYS}
        counted = Counted(tuple(vocabulary), **arrays)
        if len(counted.distinct) != len(texts):
            raise ValueError(f"counts for {len(counted.distinct)} texts, not {len(texts)}")
    except ValueError as exc:
        raise CatalogError(f"{ref.path} has unreadable term counts: {exc}") from None
    return Shard(texts, counted)


def _unpack(text: object) -> np.ndarray[Any, np.dtype[np.int64]]:
    width, _, encoded = text.partition(":") if isinstance(text, str) else ("", "", "")
    if width not in _WIDTHS:
        raise ValueError("an array is not <u1|u2|u4>:<base64>")
    try:
        raw = base64.b64decode(encoded, validate=True)
    except binascii.Error as exc:
        raise ValueError(f"an array is not base64: {exc}") from None
    dtype = np.dtype(_WIDTHS[width])
    if len(raw) % dtype.itemsize:
        raise ValueError("an array's length is not a whole number of items")
    return np.frombuffer(raw, dtype).astype(np.int64)
