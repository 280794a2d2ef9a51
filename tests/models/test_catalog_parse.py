"""Reading a catalog while reusing the previous one's records: always the catalog Catalog.from_bytes
reads, with records found verbatim taken as the same objects."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from factory import write
from hypothesis import given, settings
from hypothesis import strategies as st
from layouts import REPEATED_NAMES
from releasing import build_at

from skillport_build.errors import CatalogError
from skillport_build.models.catalog import Catalog, canonical_json
from skillport_build.models.catalog_parse import parse_catalog
from skillport_build.models.catalog_zst import compress_catalog


@pytest.fixture(scope="module")
def raw(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    tmp = tmp_path_factory.mktemp("parse")
    repo = REPEATED_NAMES.write(tmp / "repo")
    write(repo, {".skillport/access.yaml": 'defaults: {read: ["*"]}\n'})
    return build_at(repo, tmp / "out").catalog.to_bytes()


def edited(raw: bytes, edit) -> bytes:  # type: ignore[no-untyped-def]
    data = json.loads(raw)
    edit(data)
    return canonical_json(data)


def test_a_first_read_is_the_catalog_from_bytes_reads(raw: bytes) -> None:
    parsed = parse_catalog(raw)
    assert parsed.catalog == Catalog.from_bytes(raw) and parsed.raw is not None and parsed.reused == 0


def test_a_catalog_changing_one_skill_reuses_every_other_record(raw: bytes) -> None:
    before = parse_catalog(raw)

    def one(data: dict) -> None:  # type: ignore[type-arg]
        data["catalog_version"] += 1
        data["skills"][1]["description"] = "Changed in the next catalog."

    after = parse_catalog(edited(raw, one), before)
    assert after.catalog == Catalog.from_bytes(edited(raw, one))
    records = len(before.catalog.skills) + len(before.catalog.plugins)
    assert after.reused == records - 1
    assert after.catalog.skills[1] is not before.catalog.skills[1]
    kept = [a is b for a, b in zip(after.catalog.skills, before.catalog.skills, strict=True)]
    assert kept == [n != 1 for n in range(len(kept))]
    assert all(a is b for a, b in zip(after.catalog.plugins, before.catalog.plugins, strict=True))


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_records_removed_added_and_moved_read_as_from_bytes_reads(raw: bytes, data: st.DataObject) -> None:
    before = parse_catalog(raw)
    skills = json.loads(raw)["skills"]
    order = data.draw(st.lists(st.sampled_from(range(len(skills))), max_size=len(skills) + 2))
    touched = data.draw(st.sets(st.sampled_from(range(len(skills)))))

    def shuffle(doc: dict) -> None:  # type: ignore[type-arg]
        doc["skills"] = [
            {**skills[n], "description": f"edited {n}"} if n in touched else skills[n] for n in order
        ]

    new = edited(raw, shuffle)
    after = parse_catalog(new, before)
    assert after.catalog == Catalog.from_bytes(new)
    assert parse_catalog(new, after).catalog == after.catalog  # and again from that one


@pytest.mark.parametrize(
    "edit",
    [
        lambda d: d["skills"][0].update(extra="a key the format does not have"),
        lambda d: d["skills"][0].update(bundle={"path": "x"}),
        lambda d: d["plugins"][0].pop("version"),
        lambda d: d.update({"$schema": "https://example.com/other.json"}),
    ],
)
def test_a_bad_record_is_refused_as_from_bytes_refuses_it(raw: bytes, edit) -> None:  # type: ignore[no-untyped-def]
    bad = edited(raw, edit)
    with pytest.raises(CatalogError) as expected:
        Catalog.from_bytes(bad)
    for previous in (None, parse_catalog(raw)):
        with pytest.raises(CatalogError) as refused:
            parse_catalog(bad, previous)
        assert str(refused.value) == str(expected.value)


def test_a_record_grown_after_a_verbatim_prefix_is_not_taken_for_the_old_one(raw: bytes) -> None:
    before = parse_catalog(raw)
    text = raw.decode()
    end = before.spans["skills"].ends[0] - 1  # the first skill's closing brace
    grown = text[:end] + ',"zz":1' + text[end:]  # one key more after the same bytes
    with pytest.raises(CatalogError, match="zz"):
        parse_catalog(grown.encode(), before)


def test_a_document_in_another_layout_is_read_the_slow_way(raw: bytes, tmp_path: Path) -> None:
    pretty = json.dumps(json.loads(raw), indent=2).encode()
    parsed = parse_catalog(pretty, parse_catalog(raw))
    assert parsed.catalog == Catalog.from_bytes(raw) and parsed.raw is None
    assert parse_catalog(raw, parsed).catalog == parsed.catalog  # nothing to reuse: read in full
    with pytest.raises(CatalogError, match="not valid JSON"):
        parse_catalog(raw[:-1], parsed)
    with pytest.raises(CatalogError, match="not valid JSON"):
        parse_catalog(b"\xff" + raw)


@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_any_damaged_document_reads_or_fails_exactly_as_from_bytes(raw: bytes, data: st.DataObject) -> None:
    at = data.draw(st.integers(0, len(raw) - 1))
    damaged = data.draw(
        st.sampled_from(
            [raw[:at], raw[:at] + raw[at + 1 :], raw[:at] + b"}" + raw[at:], raw[:at] + b'"' + raw[at + 1 :]]
        )
    )
    previous = parse_catalog(raw)
    try:
        expected: Catalog | str = Catalog.from_bytes(damaged)
    except CatalogError as exc:
        expected = str(exc)
    try:
        got: Catalog | str = parse_catalog(damaged, previous).catalog
    except CatalogError as exc:
        got = str(exc)
    assert got == expected


@pytest.mark.parametrize(("first", "then"), [("Grüße", "plain"), ("plain", "Grüße"), ("Grüße", "ünï")])
def test_documents_with_characters_beyond_ascii_compare_as_text(raw: bytes, first: str, then: str) -> None:
    def words(text: str, changed: int):  # type: ignore[no-untyped-def]
        def edit(data: dict) -> None:  # type: ignore[type-arg]
            data["skills"][0]["description"] = f"{text} from the first skill."
            data["skills"][changed]["description"] = f"{text} changed."

        return edit

    before = parse_catalog(edited(raw, words(first, 1)))
    assert before.ascii is first.isascii()
    new = edited(raw, words(then, 2))
    after = parse_catalog(new, before)
    assert after.catalog == Catalog.from_bytes(new)
    records = len(before.catalog.skills) + len(before.catalog.plugins)
    assert after.reused == records - 3  # the first, the second back as it was, the third


def test_lighter_records_keep_every_value_and_what_was_given(raw: bytes) -> None:
    parsed, plain = parse_catalog(raw).catalog, Catalog.from_bytes(raw)
    assert parsed.model_dump_json(exclude_unset=True) == plain.model_dump_json(exclude_unset=True)
    assert parsed.model_dump(mode="json") == plain.model_dump(mode="json")
    skills = list(parsed.skills)
    shared = {
        id(s.__pydantic_fields_set__)
        for s in skills
        if s.__pydantic_fields_set__ == skills[0].__pydantic_fields_set__
    }
    assert len(skills) > 1 and len(shared) == 1  # one set for every skill given the same fields


def test_a_packed_previous_catalog_is_reused_as_its_bytes_are(raw: bytes) -> None:
    """The proxy keeps the previous catalog as the store's zstd twin between parses: the next parse
    reuses exactly what it would from the plain bytes; a frame of another length, or one that does
    not decompress, leaves nothing to reuse and the catalog is read in full."""

    def one(data: dict) -> None:  # type: ignore[type-arg]
        data["catalog_version"] += 1
        data["skills"][1]["description"] = "Changed ünïcode in the next catalog."

    new = edited(raw, one)
    plain = parse_catalog(raw)
    packed = plain.packed_as(compress_catalog(raw))
    assert packed.raw is None and packed.reusable and packed.document() == raw
    from_plain, from_packed = parse_catalog(new, plain), parse_catalog(new, packed)
    assert from_packed.catalog == from_plain.catalog == Catalog.from_bytes(new)
    assert (
        from_packed.reused == from_plain.reused == len(plain.catalog.skills) + len(plain.catalog.plugins) - 1
    )
    assert from_packed.catalog.skills[0] is plain.catalog.skills[0]
    assert parse_catalog(raw, from_packed.packed_as(compress_catalog(new))).reused == from_plain.reused
    for frame in (compress_catalog(raw + b" "), b"\x28\xb5\x2f\xfd junk"):  # other bytes; no zstd
        damaged = parse_catalog(new, plain.packed_as(frame))
        assert damaged.catalog == Catalog.from_bytes(new) and damaged.reused == 0
