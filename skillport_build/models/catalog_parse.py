"""Parse a catalog while reusing the records of the one parsed before it.

A new catalog usually changes a few records of thousands. Its bytes are canonical JSON, so a record
that did not change is the same run of characters as before: where the previous catalog's record
is found verbatim at the place a record starts, its parsed (and already validated) object is taken
as it is, and only the other records are decoded (by json's C scanner, one value at a time) and
validated. Whatever the document is, the answer equals `Catalog.from_bytes(raw)`'s: anything this
reader does not expect (whitespace, a record that fails validation, bytes that are not UTF-8) sends
the whole document through `Catalog.from_bytes`, which accepts it or raises its usual error.

Between two parses the previous bytes may be kept packed: the zstd frame the store served them in
(a quarter of the memory), decompressed only when the next catalog is parsed.
"""

from __future__ import annotations

import json
import operator
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from itertools import compress, count
from typing import Any

from pydantic import BaseModel, ValidationError

from skillport_build.errors import SignatureError
from skillport_build.models.catalog import SCHEMA_ID, Catalog, PluginRecord, SkillRecord
from skillport_build.models.catalog_zst import decompress_catalog
from skillport_build.models.compact import Compactor

_SCAN: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
MOVED_AFTER = 16  # records not found in place before the previous ones are looked up by text
_LISTS: dict[str, type[BaseModel]] = {"skills": SkillRecord, "plugins": PluginRecord}


@dataclass(frozen=True)
class Spans:
    """Where each record of one list sits in a catalog's text, and its parsed object."""

    starts: array[int]
    ends: array[int]
    records: tuple[BaseModel, ...]


@dataclass(frozen=True)
class ParsedCatalog:
    """A catalog, its bytes, and the spans of its records (what the next parse may reuse)."""

    catalog: Catalog
    raw: bytes | None  # None when the document was read the slow way (nothing to reuse)
    spans: dict[str, Spans]
    reused: int = 0  # records taken from the previous catalog
    ascii: bool = False  # every character one byte: spans are byte offsets too
    compactor: Compactor | None = None  # what the records validated so far share
    packed: bytes | None = None  # zstd of raw, held instead of it between parses (see `packed_as`)
    size: int = 0  # len(raw), checked when `packed` is decompressed

    def packed_as(self, frame: bytes) -> ParsedCatalog:
        """This parse holding `frame`, a zstd frame of exactly its bytes (the store's compressed
        twin that was decompressed to them), instead of the bytes themselves."""
        if self.raw is None:
            return self
        return replace(self, raw=None, packed=frame, size=len(self.raw))

    @property
    def reusable(self) -> bool:
        """Whether the next parse can find this one's records in its text."""
        return self.raw is not None or self.packed is not None

    def document(self) -> bytes:
        """The catalog bytes this parse read (decompressed when packed)."""
        if self.raw is not None:
            return self.raw
        assert self.packed is not None
        raw = decompress_catalog(self.packed, "the previous catalog")
        if len(raw) != self.size:  # never compare with other bytes than the records came from
            raise _Unexpected
        return raw


def changed_places(new: Sequence[object], old: Sequence[object]) -> list[int] | None:
    """The positions where `new` holds another object than `old` (a parse that reuses a record
    keeps the very object, so the rest are the records it changed); None when the lengths differ.
    What is derived per record is then edited at these places instead of made again."""
    if len(new) != len(old):
        return None
    return list(compress(count(), map(operator.is_not, new, old)))


class _Unexpected(Exception):
    """The document is not in the shape this reader handles; read it the slow way."""


def parse_catalog(
    raw: bytes, previous: ParsedCatalog | None = None, source: str = "catalog.json"
) -> ParsedCatalog:
    """The catalog in `raw`, reusing `previous`'s records that appear in it byte for byte."""
    try:
        return _Reader(raw, previous).read()
    except (
        _Unexpected,
        SignatureError,  # a packed previous document that does not decompress: nothing to reuse
        UnicodeDecodeError,
        ValidationError,
        StopIteration,
        ValueError,
        IndexError,
    ):
        return ParsedCatalog(Catalog.from_bytes(raw, source), None, {})


class _Reader:
    """One pass over a canonical catalog's text."""

    def __init__(self, raw: bytes, previous: ParsedCatalog | None) -> None:
        self.raw, self.text = raw, raw.decode("utf-8")
        self.ascii = len(self.text) == len(raw)
        self.previous = previous if previous is not None and previous.reusable else None
        # Two ASCII documents are compared as bytes, in place (a str slice would copy the run).
        self._in_place = self.ascii and self.previous is not None and self.previous.ascii
        self._before: memoryview | str | None = None
        self.reused = 0
        self._by_text: dict[str, dict[str | bytes, BaseModel]] = {}
        self._misses = 0
        found = self.previous.compactor if self.previous is not None else None
        self.compactor = found or Compactor()

    @property
    def before(self) -> memoryview | str:
        """The previous document, as bytes or as text (whichever this reader compares)."""
        if self._before is None:
            assert self.previous is not None
            raw = self.previous.document()
            self._before = memoryview(raw) if self._in_place else raw.decode("utf-8")
        return self._before

    def read(self) -> ParsedCatalog:
        text, at = self.text, 1
        if not text.startswith("{"):
            raise _Unexpected
        data: dict[str, Any] = {}
        spans: dict[str, Spans] = {}
        while text[at] != "}":
            key, at = _SCAN(text, at)
            if not isinstance(key, str) or text[at] != ":":
                raise _Unexpected
            at += 1
            if key in _LISTS and text[at] == "[":
                spans[key], at = self._records(key, at + 1)
                data[key] = spans[key].records
            else:
                data[key], at = _SCAN(text, at)
            if text[at] == ",":
                at += 1
            elif text[at] != "}":
                raise _Unexpected
        if at + 1 != len(text) or data.get("$schema") != SCHEMA_ID or set(_LISTS) - set(spans):
            raise _Unexpected
        catalog = Catalog.model_validate(data)
        return ParsedCatalog(catalog, self.raw, spans, self.reused, self.ascii, self.compactor)

    def _records(self, key: str, at: int) -> tuple[Spans, int]:
        """The records of one list from just after its `[`; the index just after its `]`."""
        text, model = self.text, _LISTS[key]
        old = self.previous.spans.get(key) if self.previous is not None else None
        starts, ends = array("q"), array("q")
        records: list[BaseModel] = []
        validated: list[BaseModel] = []
        j = 0  # the previous catalog's record expected next
        while text[at] != "]":
            k, count = self._run(old, j, at)
            if old is not None and count:
                delta = at - old.starts[k]
                starts.extend(map(delta.__add__, old.starts[k : k + count]))
                ends.extend(map(delta.__add__, old.ends[k : k + count]))
                records.extend(old.records[k : k + count])
                self.reused += count
                j, at = k + count, old.ends[k + count - 1] + delta
            else:
                value, end = _SCAN(text, at)
                record = self._moved(key, old, at, end)
                if record is None:
                    record = model.model_validate(value)
                    validated.append(record)
                else:
                    self.reused += 1
                starts.append(at)
                ends.append(end)
                records.append(record)
                at = end
            if text[at] == ",":
                at += 1
            elif text[at] != "]":
                raise _Unexpected
        self.compactor.records(validated)
        return Spans(starts, ends, tuple(records)), at + 1

    def _run(self, old: Spans | None, j: int, at: int) -> tuple[int, int]:
        """(k, count): the previous records k .. k+count-1 stand verbatim at `at`, k being the record
        expected next or the one after it (a record removed); count 0 when neither does. A run is
        extended by doubling steps, then the step that failed is halved; each comparison covers only
        the records it adds (with the comma before them), so a run costs about its own length."""
        if old is None or self.previous is None:
            return 0, 0
        total = len(old.records)
        for k in (j, j + 1):
            if k < total and self._matches(old, old.starts[k], k + 1, at):
                low, step = 1, 1  # records k .. k+low-1 match
                while k + low < total:
                    high = min(low + step, total - k)
                    if not self._extends(old, k, low, high, at):
                        break
                    low, step = high, step * 2
                else:
                    return k, low
                while high - low > 1:
                    middle = (low + high) // 2
                    if self._extends(old, k, low, middle, at):
                        low = middle
                    else:
                        high = middle
                return k, low
        return 0, 0

    def _extends(self, old: Spans, k: int, low: int, high: int, at: int) -> bool:
        """Whether records k+low .. k+high-1 follow the matching k .. k+low-1 verbatim."""
        start = old.ends[k + low - 1]
        return self._matches(old, start, k + high, at + start - old.starts[k])

    def _matches(self, old: Spans, start: int, stop: int, at: int) -> bool:
        """Whether the previous text from `start` to the end of record stop-1 stands at `at`."""
        run = self.before[start : old.ends[stop - 1]]
        if isinstance(run, memoryview):
            return self.raw.startswith(run, at)
        return self.text.startswith(run, at)

    def _moved(self, key: str, old: Spans | None, at: int, end: int) -> BaseModel | None:
        """A previous record with exactly this text, wherever it was (records added or moved)."""
        if old is None or self.previous is None:
            return None
        self._misses += 1
        if self._misses <= MOVED_AFTER:  # a few changed records: validating them is cheaper
            return None
        before = self.before
        if key not in self._by_text:
            self._by_text[key] = _by_text(old, before)
        piece = self.raw[at:end] if isinstance(before, memoryview) else self.text[at:end]
        return self._by_text[key].get(piece)


def _by_text(old: Spans, before: memoryview | str) -> dict[str | bytes, BaseModel]:
    """The previous records by their text (when records moved, were added or removed in a run)."""
    pieces = (
        (before[s:e].tobytes() if isinstance(before, memoryview) else before[s:e])
        for s, e in zip(old.starts, old.ends, strict=True)
    )
    return dict(zip(pieces, old.records, strict=True))
