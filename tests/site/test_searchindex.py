"""The static site's search index files: the term shards' layout, names in the shard covering
them, the filters' bitsets, one folder per generation, and nothing of a hidden skill anywhere."""

from __future__ import annotations

import json
import struct
from bisect import bisect_right
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from factory import TEMPLATE
from releasing import build_at

from skillport_build.models.catalog import Catalog, SkillRecord
from skillport_build.models.marketplace import SURFACE_LABELS
from skillport_build.release.bundle import search_text
from skillport_build.site import searchindex
from skillport_build.site.render import folder_reader
from skillport_build.site.scoring import invert, js_order


@pytest.fixture(scope="module")
def catalog_and_texts(tmp_path_factory: pytest.TempPathFactory) -> tuple[Catalog, dict[str, str]]:
    out = tmp_path_factory.mktemp("dist")
    build_at(TEMPLATE, out)
    catalog, read = Catalog.load(out), folder_reader(out)
    return catalog, {s.ref: search_text(read(s.bundle), s.name) for s in catalog.skills}


def _write(out: Path, catalog: Catalog, texts: dict[str, str], only: set[str] | None = None) -> Path:
    skills = sorted(
        (s for s in catalog.skills if only is None or s.name in only), key=lambda s: (s.name, s.plugin)
    )
    plugins = [p for p in catalog.plugins if any(s.plugin == p.name for s in skills)]
    head, _ = searchindex.write_search_index(out, skills, plugins, texts, SURFACE_LABELS)
    return out / head


def _shard(path: Path) -> tuple[dict[str, Any], np.ndarray, np.ndarray]:
    data = path.read_bytes()
    assert data[:4] == b"SPX1"
    (size,) = struct.unpack("<I", data[4:8])
    header = json.loads(data[8 : 8 + size])
    total = sum(header["counts"])
    ids = np.frombuffer(data, "<u4", total, 8 + size)
    weights = np.frombuffer(data, "<f4", total, 8 + size + 4 * total)
    assert (8 + size) % 4 == 0 and len(data) == 8 + size + 8 * total
    return header, ids, weights


def _skills(catalog: Catalog) -> list[SkillRecord]:
    return sorted(catalog.skills, key=lambda s: (s.name, s.plugin))


def test_shards_hold_the_postings_in_term_order(
    catalog_and_texts: tuple[Catalog, dict[str, str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalog, texts = catalog_and_texts
    monkeypatch.setattr(searchindex, "SHARD_BYTES", 256)  # several shards from a small catalog
    head = _write(tmp_path, catalog, texts)
    index = json.loads(head.read_text())
    skills = _skills(catalog)
    inverted = invert([(s, texts[s.ref]) for s in skills])
    assert len(index["shards"]) > 3 and index["skills"] == len(skills) == 6
    terms, ids, weights, names = [], [], [], {}
    for i, first in enumerate(index["shards"]):
        header, shard_ids, shard_weights = _shard(head.parent / f"terms/{i}.bin")
        assert header["terms"][0] == first
        terms += header["terms"]
        ids.append(shard_ids)
        weights.append(shard_weights)
        for key in header["names"]:  # a name lives in the shard whose range covers it
            at = bisect_right(index["shards"], js_order(key), key=js_order) - 1
            assert at == max(0, i) or i == 0
        names.update(header["names"])
    assert terms == inverted.terms
    assert np.array_equal(np.concatenate(ids), inverted.skills)
    assert np.array_equal(np.concatenate(weights), inverted.weights)
    assert names == {s.name: [n] for n, s in enumerate(skills)}
    assert index["rules"]["max_expansions"] == 64 and index["surfaces"] == dict(SURFACE_LABELS)


def test_filters_and_plugins(catalog_and_texts: tuple[Catalog, dict[str, str]], tmp_path: Path) -> None:
    catalog, texts = catalog_and_texts
    head = _write(tmp_path, catalog, texts)
    index = json.loads(head.read_text())
    skills = _skills(catalog)
    for kind in ("category", "tag", "surface"):
        for i, value in enumerate(index["filters"][kind]):
            bits = np.unpackbits(
                np.frombuffer((head.parent / f"filters/{kind}-{i}.bin").read_bytes(), np.uint8),
                bitorder="little",
            )
            held = {s.name for n, s in enumerate(skills) if bits[n]}
            field = {
                "category": lambda s: {s.category},
                "tag": lambda s: set(s.tags),
                "surface": lambda s: set(s.surfaces),
            }[kind]
            assert held == {s.name for s in skills if value in field(s)}, (kind, value)
    plugin_of = np.frombuffer((head.parent / "plugin-of.bin").read_bytes(), "<u4")
    rows = json.loads((head.parent / "plugins/0.json").read_text())
    assert [rows[p][0] for p in plugin_of.tolist()] == [s.plugin for s in skills]
    assert [r[0] for r in rows] == [
        p.name for p in catalog.plugins if any(s.plugin == p.name for s in skills)
    ]


def test_an_audience_index_holds_nothing_hidden(
    catalog_and_texts: tuple[Catalog, dict[str, str]], tmp_path: Path
) -> None:
    catalog, texts = catalog_and_texts
    head = _write(tmp_path, catalog, texts, only={"csv-profiler"})
    index = json.loads(head.read_text())
    assert index["skills"] == 1 and index["plugins"] == 1
    everything = "\n".join(
        p.read_bytes().decode("utf-8", "replace") for p in sorted(head.parent.rglob("*")) if p.is_file()
    )
    assert "delimiter" in everything
    hidden = [s for s in catalog.skills if s.name != "csv-profiler"]
    for skill in hidden:
        assert skill.name not in everything and skill.description not in everything
    words = set(json.loads((head.parent / "words.json").read_text()))
    assert words == set(invert([(s, texts[s.ref]) for s in catalog.skills if s.name == "csv-profiler"]).terms)
    assert "postmortem" not in words and "triage" not in words  # words of the hidden skills only


def test_the_same_skills_give_the_same_folder(
    catalog_and_texts: tuple[Catalog, dict[str, str]], tmp_path: Path
) -> None:
    catalog, texts = catalog_and_texts
    first = _write(tmp_path / "a", catalog, texts)
    second = _write(tmp_path / "b", catalog, texts)
    assert first.relative_to(tmp_path / "a") == second.relative_to(tmp_path / "b")
    files = lambda root: {p.relative_to(root): p.read_bytes() for p in root.rglob("*") if p.is_file()}  # noqa: E731
    assert files(first.parent) == files(second.parent)
    assert not list((tmp_path / "a/search").glob(".partial*"))
