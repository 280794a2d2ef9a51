"""The search index: a labelled set of queries whose order is pinned, prefix and typo matching,
filters, paging, incremental rebuilds, and the promise that a hidden skill never moves a visible
one's score or the total."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skillport_build.models.catalog import SkillRecord
from skillport_build.proxy.postings import Postings
from skillport_build.proxy.search import MAX_EXPANSIONS, SPARE_TERMS, Filters, SearchIndex
from skillport_build.stores import LocalStore, current_catalog

# name: (plugin, category, tags, description, SKILL.md body)
LABELLED = {
    "incident-postmortem": (
        "operations",
        "operations",
        ("sre", "incident"),
        "Write a blameless postmortem after an incident.",
        "Collect the timeline, the impact and the contributing factors. Postmortem template inside.",
    ),
    "incident-triage": (
        "operations",
        "operations",
        ("sre", "on-call"),
        "Triage a live incident: severity, owner and communications.",
        "Page the owner, open a channel, post updates every thirty minutes.",
    ),
    "release-notes": (
        "writing",
        "writing",
        ("release",),
        "Draft release notes from merged pull requests.",
        "Group the pull requests by area; link each one; keep a changelog voice.",
    ),
    "pr-review": (
        "engineering",
        "engineering",
        ("review",),
        "Review a pull request for correctness, tests and style.",
        "Read the diff twice. Ask for tests. Prefer small suggestions.",
    ),
    "csv-profiler": (
        "data-tools",
        "data",
        ("csv", "data"),
        "Profile a CSV file: columns, types, nulls and outliers.",
        "Load the file with the csv module and report each column's type.",
    ),
    "decision-record": (
        "writing",
        "writing",
        ("adr",),
        "Write an architecture decision record.",
        "Context, decision, consequences. One record per decision; never edit an accepted one.",
    ),
    "kubernetes-deploy": (
        "engineering",
        "engineering",
        ("k8s", "deploy"),
        "Deploy a service to Kubernetes with a rollout plan.",
        "Write the manifests, apply them to staging, watch the rollout, then production.",
    ),
}
# query: the names it must find, best first (the whole answer, in order)
RANKED = {
    "postmortem": ["incident-postmortem"],
    "incident": ["incident-postmortem", "incident-triage"],
    "inci": ["incident-postmortem", "incident-triage"],  # as the person types
    "incident-triage": ["incident-triage"],  # a name in full comes first
    "pull request": ["release-notes", "pr-review"],
    "kubernets": ["kubernetes-deploy"],  # one letter short: a typo
    "kuberentes": ["kubernetes-deploy"],  # two letters swapped
    "csv": ["csv-profiler"],
    "decision": ["decision-record"],
    "write record": ["decision-record"],
    "owner": ["incident-triage"],
    "tests": ["pr-review"],
    "zebra": [],
}


@pytest.fixture(scope="module")
def template_record(published: tuple[Path, LocalStore, Path]) -> SkillRecord:
    catalog = current_catalog(published[1])
    assert catalog is not None
    return catalog.skills[0]


def labelled(record: SkillRecord, names: list[str] | None = None) -> tuple[list[SkillRecord], dict[str, str]]:
    skills, texts = [], {}
    for name in names or list(LABELLED):
        plugin, category, tags, description, body = LABELLED[name]
        skills.append(
            record.model_copy(
                update={
                    "name": name,
                    "plugin": plugin,
                    "category": category,
                    "tags": tags,
                    "description": description,
                    "digest": f"sha256:{name}",
                    "id": None,
                }
            )
        )
        texts[name] = f"# {name}\n\n{body}\n"
    return skills, texts


def everyone(index: SearchIndex) -> tuple[str, list[str]]:
    return "all", [s.ref for s in index.skills]


def names(hits: list[tuple[SkillRecord, float]]) -> list[str]:
    return [s.name for s, _ in hits]


@pytest.mark.parametrize("query", sorted(RANKED))
def test_the_labelled_queries_rank_as_pinned(template_record: SkillRecord, query: str) -> None:
    index = SearchIndex(*labelled(template_record))
    total, hits = index.search(*everyone(index), query)
    assert names(hits) == RANKED[query]
    assert total == len(RANKED[query])


def test_an_empty_query_lists_by_name_and_pages(template_record: SkillRecord) -> None:
    index = SearchIndex(*labelled(template_record))
    total, first = index.search(*everyone(index), "", limit=3)
    _, rest = index.search(*everyone(index), "", offset=3, limit=50)
    assert total == len(LABELLED)
    assert names(first) + names(rest) == sorted(LABELLED)


def test_pages_of_a_ranked_query_join_into_the_whole_ranking(template_record: SkillRecord) -> None:
    index = SearchIndex(*labelled(template_record))
    total, whole = index.search(*everyone(index), "the")
    pages = [index.search(*everyone(index), "the", offset=o, limit=2)[1] for o in range(0, total, 2)]
    assert total >= 4 and [hit for page in pages for hit in page] == whole


def test_filters_narrow_without_changing_scores(template_record: SkillRecord) -> None:
    index = SearchIndex(*labelled(template_record))
    _, all_hits = index.search(*everyone(index), "write")
    total, narrowed = index.search(*everyone(index), "write", Filters(category="Writing"))
    assert names(narrowed) == ["decision-record"] and total == 1
    assert {s.name: score for s, score in all_hits}["decision-record"] == narrowed[0][1]
    assert index.search(*everyone(index), "", Filters(tag="SRE"))[0] == 2


def test_a_typo_is_corrected_only_when_nothing_matches_as_typed(template_record: SkillRecord) -> None:
    index = SearchIndex(*labelled(template_record))
    assert names(index.search(*everyone(index), "datq")[1]) == ["csv-profiler"]  # one edit from "data"
    # "plan" is held as typed, so "clan" or "plans" (one edit away) are not looked for
    assert names(index.search(*everyone(index), "plan")[1]) == ["kubernetes-deploy"]
    assert index.search(*everyone(index), "pla")[0] == 1  # and as a prefix, nothing else begins so
    assert index.search(*everyone(index), "ab")[0] == 0  # too short to be corrected


def test_a_hidden_skill_never_reaches_another_audiences_answers(template_record: SkillRecord) -> None:
    index = SearchIndex(*labelled(template_record))
    seen = [n for n in LABELLED if n != "incident-postmortem"]
    total, hits = index.search("no-sre", seen, "postmortem")
    assert (total, hits) == (0, [])
    # a typo does not reach for a word only the hidden skill holds
    assert index.search("no-sre", seen, "postmortim")[0] == 0


@settings(max_examples=60, deadline=None)
@given(
    hidden=st.sets(st.sampled_from(sorted(LABELLED)), max_size=len(LABELLED) - 1),
    query=st.sampled_from([*RANKED, "the", "a", "re", "write the", "review tests", "plan", "sre"]),
)
def test_scores_and_totals_are_those_of_a_catalog_without_the_hidden_skills(
    template_record: SkillRecord, hidden: set[str], query: str
) -> None:
    seen = [n for n in LABELLED if n not in hidden]
    whole = SearchIndex(*labelled(template_record))
    alone = SearchIndex(*labelled(template_record, seen))
    assert whole.search("view", seen, query) == alone.search(*everyone(alone), query)


def test_a_rebuild_reuses_every_unchanged_skill(template_record: SkillRecord) -> None:
    skills, texts = labelled(template_record)
    before = SearchIndex(skills, texts)
    changed = [skills[0].model_copy(update={"description": "Now about zebras."}), *skills[1:]]
    after = SearchIndex(changed, texts, before)
    assert after.reused == len(skills) - 1
    assert names(after.search(*everyone(after), "zebras")[1]) == [skills[0].name]
    scored = [[(s.name, score) for s, score in i.search(*everyone(i), "triage")[1]] for i in (before, after)]
    assert scored[0] == scored[1] != []


def _lists(index: SearchIndex) -> dict[str, tuple[list[int], list[float]]]:
    """Every live term's skills and weights, by term (numbers differ between lexicons)."""
    terms = index.lexicon.terms
    spans = {terms[t]: index.postings.span(t) for t in range(index.postings.terms)}
    return {term: (ids.tolist(), weights.tolist()) for term, (ids, weights) in spans.items() if len(ids)}


@pytest.mark.parametrize(
    "change",
    [
        {"description": "Now about zebras and incidents."},  # a new term, others kept
        {"description": "Short."},  # terms dropped
        {"tags": ("sre", "writing")},  # weights moved
        {"name": "aardvark-first"},  # the name order changes too
    ],
)
def test_an_edited_index_equals_one_built_from_nothing(template_record: SkillRecord, change: dict) -> None:
    skills, texts = labelled(template_record)
    before = SearchIndex(skills, texts)
    middle = len(skills) // 2
    changed = list(skills)
    changed[middle] = skills[middle].model_copy(update=change)
    texts = {**texts, changed[middle].ref: texts.get(skills[middle].ref, "")}
    edited, fresh = SearchIndex(changed, texts, before), SearchIndex(changed, texts)
    assert edited.reused == len(skills) - 1
    assert _lists(edited) == _lists(fresh)
    assert edited.vocabulary == fresh.vocabulary and list(edited.name_order) == list(fresh.name_order)
    for query in [*RANKED, "zebras", "aard", ""]:
        assert edited.search(*everyone(edited), query) == fresh.search(*everyone(fresh), query)


@settings(max_examples=40, deadline=None)
@given(
    edits=st.dictionaries(
        st.integers(0, len(LABELLED) + 39),
        st.sampled_from(["record", "text", "both", "same-text-copy"]),
        max_size=3,
    )
)
def test_an_index_edited_in_place_equals_one_built_from_nothing(
    template_record: SkillRecord, edits: dict[int, str]
) -> None:
    """A catalog that reused its records in place: only the changed places are analysed again, and
    a text that changed under a record kept as it was is noticed too."""
    skills, texts = labelled(template_record)
    filler = [  # enough skills that a few changed are edited in place
        template_record.model_copy(update={"name": f"filler-{i:02d}", "id": None, "digest": f"sha256:f{i}"})
        for i in range(40)
    ]
    skills += filler
    texts |= {s.ref: f"# {s.name}\n\nRunbook step {i} for the on-call rota.\n" for i, s in enumerate(filler)}
    before = SearchIndex(skills, texts)
    changed, new_texts = list(skills), dict(texts)
    for n, edit in edits.items():
        ref = skills[n].ref
        if edit in ("record", "both"):
            changed[n] = skills[n].model_copy(update={"description": f"Now about zebras, number {n}."})
        if edit in ("text", "both"):
            new_texts[ref] = f"{texts[ref]}\nA quokka paragraph.\n"
        if edit == "same-text-copy":  # an equal text, another object: reused by its fingerprint
            new_texts[ref] = "".join(list(texts[ref]))
    edited, fresh = SearchIndex(changed, new_texts, before), SearchIndex(changed, new_texts)
    assert edited.in_place
    moved = sum(1 for e in edits.values() if e != "same-text-copy")
    assert edited.reused == len(skills) - moved
    assert _lists(edited) == _lists(fresh) and edited.vocabulary == fresh.vocabulary
    assert edited.refs == [s.ref for s in changed]
    assert set(edited.documents) == set(fresh.documents)
    for query in [*RANKED, "zebras", "quokka", ""]:
        assert edited.search(*everyone(edited), query) == fresh.search(*everyone(fresh), query)


def test_a_hidden_skills_words_do_not_crowd_a_prefix_out(template_record: SkillRecord) -> None:
    skills, texts = labelled(template_record)
    crowd = [
        template_record.model_copy(update={"name": f"hidden-{i:03d}", "id": None, "digest": f"sha256:h{i}"})
        for i in range(MAX_EXPANSIONS + 6)
    ]
    texts |= {s.ref: f"zebra{i:03d}" for i, s in enumerate(crowd)}
    texts["csv-profiler"] = "zebrawood"  # after every hidden zebraNNN in term order
    index = SearchIndex([*skills, *crowd], texts)
    seen = [s.ref for s in skills]
    assert names(index.search("mine", seen, "zebra")[1]) == ["csv-profiler"]
    assert index.search("all", [s.ref for s in index.skills], "zebra")[0] == MAX_EXPANSIONS


@settings(max_examples=40, deadline=None)
@given(
    documents=st.lists(
        st.dictionaries(st.integers(0, 30), st.floats(0.125, 5.0, width=32), max_size=8),
        min_size=1,
        max_size=12,
    ),
    changes=st.dictionaries(
        st.integers(0, 11), st.dictionaries(st.integers(0, 40), st.floats(0.125, 5.0, width=32), max_size=8)
    ),
)
def test_edited_posting_lists_equal_an_inversion_from_nothing(
    documents: list[dict[int, float]], changes: dict[int, dict[int, float]]
) -> None:
    def encoded(terms: dict[int, float]) -> tuple[np.ndarray, np.ndarray]:
        ids = sorted(terms)
        return np.array(ids, np.int32), np.array([terms[t] for t in ids], np.float32)

    changes = {n: terms for n, terms in changes.items() if n < len(documents)}
    after = [changes.get(n, terms) for n, terms in enumerate(documents)]
    edited = Postings([encoded(d) for d in documents], 31).edited(
        {n: encoded(d) for n, d in changes.items()}, 41
    )
    fresh = Postings([encoded(d) for d in after], 41)
    for field in ("skills", "weights", "counts", "starts"):
        assert getattr(edited, field).tolist() == getattr(fresh, field).tolist()


def test_a_worn_lexicon_is_renewed_and_answers_stay_the_same(template_record: SkillRecord) -> None:
    skills, texts = labelled(template_record)
    index = first = SearchIndex(skills, texts)
    for round_ in range(5):  # each catalog brings new words and drops the last ones
        texts = {**texts, skills[0].ref: " ".join(f"w{round_}x{i}" for i in range(SPARE_TERMS))}
        index = SearchIndex(skills, texts, index)
    fresh = SearchIndex(skills, texts)
    assert index.lexicon is not first.lexicon and len(index.lexicon) < 3 * SPARE_TERMS
    assert _lists(index) == _lists(fresh)
    for query in [*RANKED, "w4x1", "w1x1", "w4x"]:
        assert index.search(*everyone(index), query) == fresh.search(*everyone(fresh), query)


def test_a_page_cut_among_equal_scores_keeps_the_first_by_name(template_record: SkillRecord) -> None:
    same = LABELLED["csv-profiler"]
    skills = [
        template_record.model_copy(
            update={"name": f"twin-{n:02d}", "plugin": same[0], "category": same[1], "tags": same[2],
                    "description": same[3], "digest": f"sha256:{n}", "id": None}
        )
        for n in (5, 3, 9, 1, 7, 2, 8, 0, 6, 4)
    ]  # fmt: skip
    index = SearchIndex(skills, {s.ref: same[4] for s in skills})
    refs = [s.ref for s in skills]
    for query in ("csv", "profile csv", "colu"):
        for view, seen in (("all", refs), ("half", refs[::2])):
            total, whole = index.search(view, seen, query)
            assert total == len(seen) and len({score for _, score in whole}) == 1
            assert names(whole) == sorted(names(whole))
            for k in range(1, total + 1):
                assert index.search(view, seen, query, limit=k)[1] == whole[:k]
