"""Skills analysed for search: each skill's terms, numbered by the index's lexicon, with one
document-only weight per term (proxy/search.py inverts them into posting arrays).

A skill's fields are its name, tags, description, category with plugin, and its SKILL.md text.
Terms are counted by models/terms.py, the function the build uses too: the SKILL.md texts' counts
usually come with the signed search texts documents (the build counted them), so at load the proxy
counts only the records' short fields, and the long texts only of a catalog built before the
documents carried counts. Everything after the counting is whole-array NumPy work.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from skillport_build.models.catalog import SkillRecord
from skillport_build.models.terms import Counted, count_terms
from skillport_build.proxy.postings import Ids, Lexicon, Weights

K1 = 1.2
# Each field: its weight, and the length (in terms) it is saturated against, with the length
# normalisation b of BM25. The references are fixed so that a score depends on its skill alone.
FIELDS = {"name": (12.0, 2, 0.0), "tags": (6.0, 4, 0.0), "description": (4.0, 24, 0.5), "meta": (2.0, 3, 0.0)}
BODY = (1.0, 400, 0.75)
_SETTINGS = np.array([*FIELDS.values(), BODY], np.float64)  # one row per field, the body last
RECORD_FIELDS = len(FIELDS)

Numbers = npt.NDArray[np.int64]
Counts = Mapping[str, tuple[Counted, int]]  # bundle sha256 -> the counts holding its text, and the row


@dataclass(frozen=True, eq=False)
class Document:
    """One skill analysed: its terms' numbers in the lexicon it was encoded with (ascending) and
    each one's document-only weight. Kept across catalogs by fingerprint."""

    fingerprint: tuple[str, ...]
    lexicon: Lexicon
    ids: Ids
    weights: Weights

    def encoded(self, lexicon: Lexicon) -> Document:
        """This document with term numbers of `lexicon` (itself when already so)."""
        if lexicon is self.lexicon:
            return self
        ids = lexicon.encode([self.lexicon.terms[t] for t in self.ids.tolist()])
        order = np.argsort(ids)
        return Document(self.fingerprint, lexicon, ids[order], self.weights[order])


def fingerprint(skill: SkillRecord, text: str) -> tuple[str, ...]:
    """What a skill's document is made of: the same fingerprint in the next catalog reuses it."""
    tags = "\n".join(skill.tags)
    return (skill.ref, skill.plugin, skill.digest, skill.description, tags, skill.category or "", text)


def record_fields(skill: SkillRecord) -> tuple[str, str, str, str]:
    """The record's own searched fields, in FIELDS order."""
    return (skill.name, " ".join(skill.tags), skill.description, f"{skill.category or ''} {skill.plugin}")


@dataclass
class _Entries:
    """(skill, field, term) rows being gathered: who, which field, the term number, how often,
    and how many terms the field holds in all."""

    owners: list[Numbers]
    fields: list[Numbers]
    terms: list[Numbers]
    counts: list[Numbers]
    lengths: list[Numbers]

    def add(
        self, counted: Counted, rows: Numbers, owners: Numbers, fields: Numbers, lexicon: Lexicon
    ) -> None:
        """The terms of `counted`'s rows, for those owners and fields, numbered by `lexicon`."""
        distinct = counted.distinct[rows]
        starts = np.cumsum(counted.distinct) - counted.distinct
        at = _segments(starts[rows], distinct)
        local = counted.terms[at]
        used, back = np.unique(local, return_inverse=True)
        numbers = lexicon.encode([counted.vocabulary[t] for t in used.tolist()]).astype(np.int64)
        self.owners.append(np.repeat(owners, distinct))
        self.fields.append(np.repeat(fields, distinct))
        self.terms.append(numbers[back.reshape(-1)])
        self.counts.append(counted.counts[at])
        self.lengths.append(np.repeat(counted.lengths[rows], distinct))


def _segments(starts: Numbers, lengths: Numbers) -> Numbers:
    """The positions starts[i] .. starts[i] + lengths[i] - 1 of every i, in order."""
    ends = np.cumsum(lengths)
    return np.arange(int(ends[-1]) if len(ends) else 0, dtype=np.int64) + np.repeat(
        starts - ends + lengths, lengths
    )


def analyse(
    items: Sequence[tuple[SkillRecord, str]], lexicon: Lexicon, counts: Counts | None = None
) -> list[Document]:
    """Skills' fields and SKILL.md texts reduced to weighted terms: each field's term frequency
    saturated as BM25 does against the field's fixed length, summed over the fields in field order.
    A text whose bundle `counts` holds is not counted again."""
    size = len(items)
    entries = _Entries([], [], [], [], [])
    every = np.arange(size, dtype=np.int64)
    fields = count_terms([value for skill, _ in items for value in record_fields(skill)])
    rows = np.arange(size * RECORD_FIELDS, dtype=np.int64)
    entries.add(fields, rows, rows // RECORD_FIELDS, rows % RECORD_FIELDS, lexicon)
    given: dict[int, tuple[Counted, list[int], list[int]]] = {}
    uncounted: list[int] = []
    for n, (skill, _) in enumerate(items):
        found = counts.get(skill.bundle.sha256) if counts else None
        if found is None:
            uncounted.append(n)
            continue
        group = given.setdefault(id(found[0]), (found[0], [], []))
        group[1].append(found[1])
        group[2].append(n)
    for counted, at, owners in given.values():
        body = np.full(len(at), RECORD_FIELDS, np.int64)
        entries.add(counted, np.array(at, np.int64), np.array(owners, np.int64), body, lexicon)
    if uncounted:
        counted = count_terms([items[n][1] for n in uncounted])
        body = np.full(len(uncounted), RECORD_FIELDS, np.int64)
        entries.add(counted, np.arange(len(uncounted), dtype=np.int64), every[uncounted], body, lexicon)
    return _documents(items, lexicon, entries)


def _documents(
    items: Sequence[tuple[SkillRecord, str]], lexicon: Lexicon, entries: _Entries
) -> list[Document]:
    owners = np.concatenate(entries.owners)
    fields = np.concatenate(entries.fields)
    order = np.lexsort((fields, owners))  # by skill, then field: the order the weights are summed in
    owners, fields = owners[order], fields[order]
    terms = np.concatenate(entries.terms)[order]
    count = np.concatenate(entries.counts)[order].astype(np.float64)
    length = np.concatenate(entries.lengths)[order].astype(np.float64)
    weight, reference, b = (_SETTINGS[fields, column] for column in range(3))
    norm = K1 * (1 - b + b * length / reference)
    weights = weight * (K1 + 1) * count / (count + norm)
    width = len(lexicon) + 1
    keys, where = np.unique(owners * width + terms, return_inverse=True)
    summed = np.bincount(where.reshape(-1), weights=weights).astype(np.float32)
    term_ids = (keys % width).astype(np.int32)
    bounds = np.searchsorted(keys // width, np.arange(len(items) + 1)).tolist()
    return [
        Document(fingerprint(skill, text), lexicon, term_ids[a:z], summed[a:z])
        for (skill, text), a, z in zip(items, bounds[:-1], bounds[1:], strict=True)
    ]
