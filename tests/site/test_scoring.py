"""The static site's weights are the proxy's, to the bit, so both rank a query alike."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from factory import TEMPLATE
from releasing import build_at

from skillport_build.models.catalog import Catalog, SkillRecord
from skillport_build.proxy import documents as proxy_documents
from skillport_build.proxy import search as proxy_search
from skillport_build.proxy.postings import Lexicon
from skillport_build.release.bundle import search_text
from skillport_build.site import scoring
from skillport_build.site.render import folder_reader


@pytest.fixture(scope="module")
def items(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[SkillRecord, str]]:
    out = tmp_path_factory.mktemp("dist")
    build_at(TEMPLATE, out)
    catalog, read = Catalog.load(out), folder_reader(out)
    skills = sorted(catalog.skills, key=lambda s: (s.name, s.plugin))
    return [(s, search_text(read(s.bundle), s.name)) for s in skills]


def _by_skill(inverted: scoring.Inverted) -> list[dict[str, float]]:
    found: list[dict[str, float]] = [{} for _ in range(int(inverted.skills.max()) + 1)]
    starts = inverted.starts.tolist()
    for t, term in enumerate(inverted.terms):
        for p in range(starts[t], starts[t + 1]):
            found[int(inverted.skills[p])][term] = float(inverted.weights[p])
    return found


def test_every_weight_is_the_proxys(items: list[tuple[SkillRecord, str]]) -> None:
    lexicon = Lexicon()
    documents = proxy_documents.analyse(items, lexicon)
    ours = _by_skill(scoring.invert(items))
    for document, mine in zip(documents, ours, strict=True):
        theirs = {
            lexicon.terms[t]: float(w) for t, w in zip(document.ids.tolist(), document.weights, strict=True)
        }
        assert mine == theirs


def test_the_rules_and_fields_are_the_proxys() -> None:
    assert (scoring.FIELDS, scoring.BODY, scoring.K1) == (
        proxy_documents.FIELDS,
        proxy_documents.BODY,
        proxy_documents.K1,
    )
    assert scoring.RULES == {
        "exact_name": proxy_search.EXACT_NAME,
        "typo": proxy_search.TYPO,
        "min_prefix": proxy_search.MIN_PREFIX,
        "min_typo": proxy_search.MIN_TYPO,
        "max_expansions": proxy_search.MAX_EXPANSIONS,
        "alphabet": proxy_search.ALPHABET,
    }


def test_postings_are_sorted_by_term_then_skill(items: list[tuple[SkillRecord, str]]) -> None:
    inverted = scoring.invert(items)
    assert inverted.terms == sorted(inverted.terms, key=scoring.js_order)
    assert inverted.starts[-1] == len(inverted.skills)
    for t in range(len(inverted.terms)):
        run = inverted.skills[inverted.starts[t] : inverted.starts[t + 1]]
        assert len(run) and np.all(np.diff(run.astype(np.int64)) > 0)


def test_terms_sort_as_javascript_compares_them() -> None:
    """search.js bisects with `<`, which compares UTF-16 code units: a character above U+FFFF (two
    units from U+D800) comes before halfwidth kana (U+FF61 on), though Python orders them the other
    way. The browser test searches such words; this pins the key."""
    terms = ["ｶﾀｶﾅ", "𠀋𡈽", "zebra", "ﾃｽﾄ", "日本"]
    assert sorted(terms) == ["zebra", "日本", "ｶﾀｶﾅ", "ﾃｽﾄ", "𠀋𡈽"]
    assert sorted(terms, key=scoring.js_order) == ["zebra", "日本", "𠀋𡈽", "ｶﾀｶﾅ", "ﾃｽﾄ"]


def test_no_skills_no_terms() -> None:
    inverted = scoring.invert([])
    assert inverted.terms == [] and inverted.starts.tolist() == [0] and len(inverted.skills) == 0


def test_words_split_as_the_proxy_splits(tmp_path: Path) -> None:
    text = "C++ and C# in Zürich_2026, naïve-ly."
    assert (
        scoring.words(text)
        == proxy_search.words(text)
        == ["c++", "and", "c#", "in", "zürich", "2026", "naïve", "ly"]
    )
