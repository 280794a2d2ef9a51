"""Counting many texts at once gives each text exactly the terms it has alone."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from skillport_build.models.terms import JOIN, Counted, count_terms, words

# Letters where lower-casing depends on context (final sigma), joins inside a text, C++ and C#.
PIECES = st.sampled_from(
    ["Σ", "ΟΔΟΣ", "İ", "ß", "C++", "c#", "Zürich_2026", "naïve-ly", JOIN, " ", "\n", "x"]
)
TEXTS = st.lists(st.lists(PIECES | st.text(max_size=6), max_size=8).map("".join), max_size=6)


def _alone(counted: Counted, i: int) -> Counter[str]:
    start = int(counted.distinct[:i].sum())
    stop = start + int(counted.distinct[i])
    return Counter(
        {
            counted.vocabulary[t]: int(c)
            for t, c in zip(
                counted.terms[start:stop].tolist(), counted.counts[start:stop].tolist(), strict=True
            )
        }
    )


@settings(max_examples=300, deadline=None)
@given(TEXTS)
def test_each_text_counts_as_it_would_alone(texts: list[str]) -> None:
    counted = count_terms(texts)
    assert len(counted.distinct) == len(texts)
    for i, text in enumerate(texts):
        alone = Counter(words(text))
        assert _alone(counted, i) == alone, text
        assert int(counted.lengths[i]) == sum(alone.values())
    assert JOIN not in counted.vocabulary


def test_terms_keep_their_marks_and_lower_case() -> None:
    counted = count_terms(["C++ and C# in Zürich_2026", "ΟΔΟΣ and c++"])
    assert _alone(counted, 0) == Counter({"c++": 1, "and": 1, "c#": 1, "in": 1, "zürich": 1, "2026": 1})
    assert _alone(counted, 1) == Counter({"οδος": 1, "and": 1, "c++": 1})


def test_no_texts() -> None:
    counted = count_terms([])
    assert counted.vocabulary == () and len(counted.distinct) == 0 and len(counted.terms) == 0
