"""How search cuts a text into terms, and many texts counted at once: one function for the build
(which publishes every SKILL.md's term counts in the search texts documents) and for the proxy
(which counts what no build counted: the records' own fields, and the texts of an older build), so
the two can never disagree about a term.

Python does only what needs it (one regular-expression scan per text, one dict lookup per term,
both in C); numbering and counting are NumPy's.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

TOKEN = re.compile(r"[^\W_]+[+#]*")
# Many texts are scanned as one, joined by a character that is no term and has no case (so each
# text lower-cases as it would alone); the scan returns the joins too, which say whose term is whose.
JOIN = "\x00"
_JOINED = re.compile(rf"{TOKEN.pattern}|{JOIN}")

Numbers = npt.NDArray[np.int64]


def words(text: str) -> list[str]:
    """The terms of a text, lower-cased, in order (`c++` and `c#` stay whole)."""
    return TOKEN.findall(text.lower())


@dataclass(frozen=True)
class Counted:
    """Texts' terms counted: text i holds `distinct[i]` different terms, listed from its place in
    `terms` (numbers into `vocabulary`, ascending) with how often each occurs (`counts`), and
    `lengths[i]` terms in all."""

    vocabulary: tuple[str, ...]
    distinct: Numbers
    lengths: Numbers
    terms: Numbers
    counts: Numbers

    def __post_init__(self) -> None:
        if not (
            len(self.distinct) == len(self.lengths)
            and len(self.terms) == len(self.counts) == int(self.distinct.sum())
            and (
                not len(self.terms)
                or 0 <= int(self.terms.min()) <= int(self.terms.max()) < len(self.vocabulary)
            )
            and (not len(self.counts) or int(self.counts.min()) >= 1)
        ):
            raise ValueError("the term counts do not fit together")


def count_terms(texts: Sequence[str]) -> Counted:
    """Every text's distinct terms and their counts, over one vocabulary in the order first seen."""
    size = len(texts)
    joined = JOIN.join(texts)
    if joined.count(JOIN) == size - 1 or not size:
        flat = _JOINED.findall(joined.lower())
        vocabulary = tuple(dict.fromkeys(flat))
        if size > 1:
            vocabulary = tuple(term for term in vocabulary if term != JOIN)
    else:  # a text holding the join itself: each text scanned alone
        flat = []
        for text in texts:
            flat += [*words(text), JOIN]
        flat.pop()
        vocabulary = tuple(term for term in dict.fromkeys(flat) if term != JOIN)
    numbers = dict(zip(vocabulary, range(len(vocabulary)), strict=True))
    numbers[JOIN] = -1
    ids = np.fromiter(map(numbers.__getitem__, flat), np.int64, len(flat))
    joins = ids < 0
    owner = np.cumsum(joins)[~joins]
    ids = ids[~joins]
    lengths = np.bincount(owner, minlength=size).astype(np.int64)
    width = max(len(vocabulary), 1)
    keys, counts = np.unique(owner * width + ids, return_counts=True)
    distinct = np.bincount(keys // width, minlength=size).astype(np.int64)
    return Counted(vocabulary, distinct, lengths, keys % width, counts.astype(np.int64))
