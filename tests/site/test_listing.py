from __future__ import annotations

from typing import Any

from skillport_build.models.catalog import SkillRecord
from skillport_build.site.listing import PAGE_SIZE, Query, pages_of, snippet, why


def test_a_query_comes_from_the_url_and_goes_back_into_it() -> None:
    query = Query.from_params({"q": "  csv  ", "surface": "desktop", "page": "3", "junk": "x"})
    assert query == Query(q="csv", surface="desktop", page=3)
    assert query.href() == "?q=csv&surface=desktop" and query.href(2) == "?q=csv&surface=desktop&page=2"
    assert Query.from_params({"page": "-1"}).page == Query.from_params({"page": "x9"}).page == 1
    assert Query.from_params({"q": "x" * 500}).q == "x" * 200
    assert not Query().narrowed and Query(tag="sre").narrowed and Query().href() == "?"


def test_pages_round_up() -> None:
    assert [pages_of(n) for n in (0, 1, PAGE_SIZE, PAGE_SIZE + 1)] == [1, 1, 1, 2]


def skill(**fields: Any) -> SkillRecord:
    base: dict[str, Any] = {
        "name": "csv-profiler",
        "plugin": "data-tools",
        "version": "1.0.0",
        "description": "Profiles a CSV file.",
        "surfaces": ("claude-ai",),
        "tags": ("data",),
        "digest": "sha256:" + "0" * 64,
        "bundle": {"path": "b.zip", "sha256": "0" * 64, "size": 1},
        "files": (),
        "history": (),
    }
    return SkillRecord.model_validate(base | fields)


def test_why_names_the_first_field_that_matches_in_search_order() -> None:
    record = skill()
    assert why(record, "", ["csv"]).field == "name"  # type: ignore[union-attr]
    assert why(record, "", ["dat"]).field == "tags"  # type: ignore[union-attr]
    assert why(record, "", ["profiles"]).field == "description"  # type: ignore[union-attr]
    text = "Read the file.\n\nGuess the delimiter from the first lines."
    found = why(record, text, ["delim"])
    assert found is not None and found.field == "SKILL.md"
    assert [p for p in found.pieces if p[1]] == [("delimiter", True)]
    assert "".join(p for p, _ in found.pieces) == "Read the file. Guess the delimiter from the first lines."
    assert why(record, text, []) is None and why(record, text, ["zanzibar"]) is None


def test_a_snippet_is_cut_at_words_and_marks_every_match_in_it() -> None:
    text = " ".join(f"word{n}" for n in range(200)) + " target here and target there " + "tail " * 100
    pieces = snippet(text, ["target"])
    joined = "".join(p for p, _ in pieces)
    assert joined.startswith("…word") and joined.endswith("…") and len(joined) < 220
    assert [p for p, marked in pieces if marked] == ["target", "target"]
    assert snippet(text, ["absent"]) == ()
