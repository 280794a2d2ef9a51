"""The index built from the build's published term counts is the index built by counting the texts
again: the build and the proxy never disagree about a skill's terms or weights."""

from __future__ import annotations

from pathlib import Path

from factory import TEMPLATE
from releasing import build_at

from skillport_build.models.catalog import Catalog
from skillport_build.proxy.documents import Document, analyse
from skillport_build.proxy.postings import Lexicon
from skillport_build.proxy.texts import by_bundle, load_shards
from skillport_build.stores import LocalStore


def _weights(document: Document) -> dict[str, float]:
    terms = document.lexicon.terms
    return {terms[t]: float(w) for t, w in zip(document.ids.tolist(), document.weights.tolist(), strict=True)}


def test_published_counts_index_as_counting_the_texts_again(tmp_path: Path) -> None:
    out = tmp_path / "dist"
    build_at(TEMPLATE, out)
    catalog = Catalog.load(out)
    assert catalog.texts, "the build publishes search texts documents"
    shards, counts = load_shards(LocalStore(out), catalog.texts, {})
    texts = by_bundle(shards)
    items = [(skill, texts[skill.bundle.sha256]) for skill in catalog.skills]
    assert counts and all(skill.bundle.sha256 in counts for skill, _ in items)
    published = analyse(items, Lexicon(), counts)
    counted = analyse(items, Lexicon())
    assert len(published) == len(counted) == len(items)
    for (skill, _), mine, theirs in zip(items, published, counted, strict=True):
        assert _weights(mine) == _weights(theirs), skill.name
        assert mine.weights.dtype == theirs.weights.dtype
