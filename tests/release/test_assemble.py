from __future__ import annotations

from pathlib import Path

from factory import TEMPLATE
from releasing import build_at

from skillport_build.models.catalog import Catalog
from skillport_build.release.assemble import Copied, Entry, assemble


def _entries(
    catalog: Catalog, raw: bytes, spans: dict[str, tuple[int, int]], made: set[str]
) -> list[list[Entry]]:
    """The catalog's records as assemble's entries: those in `made` as records, the rest as copies."""
    plugins = [
        Entry(p.name, key, p if key in made else Copied(raw, *spans[key]))
        for p in catalog.plugins
        if (key := f"plugin:{p.name}")
    ]
    skills = [
        Entry((s.name, s.plugin), key, s if key in made else Copied(raw, *spans[key]))
        for s in catalog.skills
        if (key := f"skill:{s.ref}")
    ]
    return [plugins, skills]


def test_copied_runs_and_made_records_give_the_canonical_bytes_and_true_spans(tmp_path: Path) -> None:
    catalog = build_at(TEMPLATE, tmp_path / "out").catalog
    head = catalog.model_copy(update={"plugins": (), "skills": ()})
    raw, spans, _ = assemble(
        head,
        *_entries(
            catalog,
            b"",
            {},
            {f"plugin:{p.name}" for p in catalog.plugins} | {f"skill:{s.ref}" for s in catalog.skills},
        ),
    )
    assert raw == catalog.to_bytes()
    middle = catalog.skills[len(catalog.skills) // 2]
    for made in [set(), {f"skill:{middle.ref}"}, {f"plugin:{catalog.plugins[0].name}"}]:
        data, found, layout = assemble(head, *_entries(catalog, raw, spans, made))
        assert data == raw
        assert found == spans
        assert len(layout) == 4
    # A record left out: its neighbours are copied as two runs, never with its bytes between.
    plugins, skills = _entries(catalog, raw, spans, set())
    gone = skills.pop(len(skills) // 2)
    data, found, _ = assemble(head, plugins, skills)
    without = catalog.model_copy(
        update={"skills": tuple(s for s in catalog.skills if f"skill:{s.ref}" != gone.key)}
    )
    assert data == without.to_bytes()
    assert all(
        data[at : at + length] == raw[slice(*_range(spans[key]))] for key, (at, length) in found.items()
    )


def _range(span: tuple[int, int]) -> tuple[int, int]:
    return span[0], span[0] + span[1]
