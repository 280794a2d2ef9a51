"""The weights the static site's search scores with: the proxy's own (proxy/search.py), so a static
site and the proxy rank a query alike. A test pins both to the same weights and the same order.

A skill's weight for a term is document-only: each field's term frequency saturated as BM25 does
against the field's fixed length, summed over the fields (name, tags, description, category and
plugin, SKILL.md). The browser multiplies it by the word's expansion factor and an inverse document
frequency counted over the site's skills, which are one audience's: nothing hidden enters either.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from skillport_build.models.catalog import SkillRecord
from skillport_build.models.terms import TOKEN

K1 = 1.2
# Each field: its weight, the length (in terms) it is saturated against, and BM25's b.
FIELDS = {"name": (12.0, 2, 0.0), "tags": (6.0, 4, 0.0), "description": (4.0, 24, 0.5), "meta": (2.0, 3, 0.0)}
BODY = (1.0, 400, 0.75)
# What the browser applies at query time (written into the index, so search.js holds no copy).
RULES = {
    "exact_name": 50.0,  # a skill's name (or plugin/name) typed in full
    "typo": 0.5,  # what a term one edit away counts, of an exact one
    "min_prefix": 2,  # the shortest query word completed as a prefix
    "min_typo": 4,  # the shortest query word corrected as a typo
    "max_expansions": 64,  # terms one query word may stand for, in term order
    "alphabet": "abcdefghijklmnopqrstuvwxyz0123456789",
}


@dataclass(frozen=True)
class Inverted:
    """Every term of the site's skills, in JavaScript's order (js_order), with its skills (ascending)
    and their weights."""

    terms: list[str]
    starts: npt.NDArray[np.int64]  # term i's postings are [starts[i], starts[i + 1])
    skills: npt.NDArray[np.uint32]
    weights: npt.NDArray[np.float32]


def js_order(term: str) -> bytes:
    """The key that sorts strings as JavaScript's `<` compares them, by UTF-16 code units: search.js
    bisects the vocabulary with `<`, and code-point order (Python's) differs from it where a
    character above U+FFFF meets one in U+E000 to U+FFFF (CJK Extension B against halfwidth kana)."""
    return term.encode("utf-16-be", "surrogatepass")


def words(text: str) -> list[str]:
    """The terms of a text, lower-cased, in order (`c++` and `c#` stay whole)."""
    return TOKEN.findall(text.lower())


def _fields(skill: SkillRecord, text: str) -> tuple[tuple[str, tuple[float, int, float]], ...]:
    return (
        (skill.name, FIELDS["name"]),
        (" ".join(skill.tags), FIELDS["tags"]),
        (skill.description, FIELDS["description"]),
        (f"{skill.category or ''} {skill.plugin}", FIELDS["meta"]),
        (text, BODY),
    )


def invert(items: Sequence[tuple[SkillRecord, str]]) -> Inverted:
    """The posting lists of skills numbered in the order given, with the proxy's weights: float64
    saturation per field, summed over fields in field order, stored as float32."""
    numbers: dict[str, int] = {}
    ids: list[int] = []
    counts: list[int] = []
    runs: list[int] = []
    scale: list[float] = []
    norm: list[float] = []
    for skill, text in items:
        for value, (weight, reference, b) in _fields(skill, text):
            found = words(value)
            held = Counter(found)
            ids += (numbers.setdefault(term, len(numbers)) for term in held)
            counts += held.values()
            runs.append(len(held))
            scale.append(weight * (K1 + 1))
            norm.append(K1 * (1 - b + b * len(found) / reference))
    lengths = np.array(runs, np.int64)
    count = np.array(counts, np.float64)
    weights = np.repeat(scale, lengths) * count / (count + np.repeat(norm, lengths))
    owner = np.repeat(np.arange(len(items), dtype=np.int64), lengths.reshape(-1, 5).sum(axis=1))
    terms = sorted(numbers, key=js_order)
    rank = np.zeros(len(numbers) + 1, np.int64)
    rank[[numbers[t] for t in terms]] = np.arange(len(terms))
    keys, where = np.unique(rank[np.array(ids, np.int64)] * (len(items) + 1) + owner, return_inverse=True)
    summed = np.bincount(where, weights=weights).astype(np.float32)  # a term's fields, in field order
    term_of = keys // (len(items) + 1)
    return Inverted(
        terms=terms,
        starts=np.searchsorted(term_of, np.arange(len(terms) + 1)).astype(np.int64),
        skills=(keys % (len(items) + 1)).astype(np.uint32),
        weights=summed,
    )
