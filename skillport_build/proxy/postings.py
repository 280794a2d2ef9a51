"""The search index's storage: terms numbered by a lexicon, and every term's skills with their
weights in one compressed sparse row layout of NumPy arrays (a term's skills are the slice
`skills[starts[t]:starts[t + 1]]`, ascending), so a query scores whole posting lists in C.

A lexicon only ever grows, so the term numbers a skill's document was encoded with stay valid in
the next catalog's index (its reused documents are not encoded again), and an index built before a
term was added treats that term's number as absent. Arrays are never changed once built: queries of
the catalog served now may be reading them while the next catalog is indexed.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import numpy.typing as npt

Ids = npt.NDArray[np.int32]
Weights = npt.NDArray[np.float32]
EMPTY_IDS: Ids = np.zeros(0, np.int32)
EMPTY_WEIGHTS: Weights = np.zeros(0, np.float32)


class Lexicon:
    """Terms numbered in the order first seen; append-only and safe to read while it grows."""

    def __init__(self) -> None:
        self.numbers: dict[str, int] = {}
        self.terms: list[str] = []
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.terms)

    def encode(self, terms: Sequence[str]) -> Ids:
        """The numbers of `terms`, numbering those it has not seen yet (in C loops: dict lookups
        by map, the new terms found through one dict of the distinct ones)."""
        numbers = self.numbers
        new = [term for term in dict.fromkeys(terms) if term not in numbers]
        if new:
            with self._lock:
                for term in new:
                    if term not in numbers:
                        numbers[term] = len(self.terms)
                        self.terms.append(term)
        return np.fromiter(map(numbers.__getitem__, terms), np.int32, len(terms))


class Postings:
    """Every term's skills (ascending) and weights, for the terms a lexicon numbered at build time."""

    __slots__ = ("counts", "size", "skills", "starts", "weights")

    def __init__(self, encoded: Sequence[tuple[Ids, Weights]], terms: int) -> None:
        """Invert documents given as (term numbers, weights), skill n being the n-th; `terms`
        is the lexicon's size, every number below it."""
        lengths = np.fromiter((len(ids) for ids, _ in encoded), np.int64, len(encoded))
        ids = np.concatenate([ids for ids, _ in encoded]) if encoded else EMPTY_IDS
        weights = np.concatenate([w for _, w in encoded]) if encoded else EMPTY_WEIGHTS
        owners = np.repeat(np.arange(len(encoded), dtype=np.int32), lengths)
        order = np.argsort(ids, kind="stable")  # by term, and by skill within a term
        self._fill(len(encoded), owners[order], weights[order], np.bincount(ids, minlength=terms))

    def _fill(self, size: int, skills: Ids, weights: Weights, counts: npt.NDArray[np.integer]) -> None:
        self.size, self.skills, self.weights = size, skills, weights
        self.counts = counts.astype(np.int32)
        self.starts = np.zeros(len(counts) + 1, np.int64)
        np.cumsum(self.counts, out=self.starts[1:])

    def edited(self, changed: Mapping[int, tuple[Ids, Weights]], terms: int) -> Postings:
        """A copy where each skill in `changed` holds the (term numbers, weights) given instead:
        the lists a fresh inversion makes, in a few passes of copying and no sort of the whole."""
        size = self.size
        numbers = np.fromiter(changed, np.int64, len(changed))
        term_of = np.repeat(np.arange(len(self.counts), dtype=np.int64), self.counts)
        gone = np.isin(self.skills, numbers)
        keys = term_of[~gone] * size + self.skills[~gone]
        ids = np.concatenate([EMPTY_IDS, *(ids for ids, _ in changed.values())]).astype(np.int64)
        weights = np.concatenate([EMPTY_WEIGHTS, *(w for _, w in changed.values())])
        lengths = np.fromiter((len(ids) for ids, _ in changed.values()), np.int64, len(changed))
        added = ids * size + np.repeat(numbers, lengths)
        order = np.argsort(added)
        at = np.searchsorted(keys, added[order])
        counts = np.zeros(terms, np.int64)
        counts[: len(self.counts)] = self.counts
        counts -= np.bincount(term_of[gone], minlength=terms)
        counts += np.bincount(ids, minlength=terms)
        made = object.__new__(Postings)
        skills = np.insert(self.skills[~gone], at, (added[order] % size).astype(np.int32))
        made._fill(size, skills, np.insert(self.weights[~gone], at, weights[order]), counts)
        return made

    @property
    def terms(self) -> int:
        """How many term numbers this index knows (later ones are absent from it)."""
        return len(self.counts)

    def holds(self, term: int) -> bool:
        """Whether any skill holds the term."""
        return term < len(self.counts) and bool(self.counts[term])

    def span(self, term: int) -> tuple[Ids, Weights]:
        """The skills holding the term, ascending, and the term's weight in each."""
        if term >= len(self.counts):
            return EMPTY_IDS, EMPTY_WEIGHTS
        start, end = self.starts[term], self.starts[term + 1]
        return self.skills[start:end], self.weights[start:end]

    def live(self) -> npt.NDArray[np.bool_]:
        """Which term numbers some skill holds."""
        return self.counts > 0


def bitmask(ids: Iterable[int], size: int) -> npt.NDArray[np.bool_]:
    """A set of skill numbers as a boolean array of `size`."""
    mask = np.zeros(size, np.bool_)
    mask[np.fromiter(ids, np.int64)] = True
    return mask
