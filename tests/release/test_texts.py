"""The build's search texts shards: every skill's SKILL.md text, only changed shards rewritten."""

from __future__ import annotations

import shutil
from pathlib import Path

from factory import TEMPLATE
from releasing import LATER, build_at, change

from skillport_build.models.catalog import Catalog
from skillport_build.models.texts import check_texts, decode_texts
from skillport_build.release.bundle import search_text


def _texts(out: Path, catalog: Catalog) -> dict[str, str]:
    found: dict[str, str] = {}
    for ref in catalog.texts or ():
        found.update(decode_texts(check_texts((out / ref.path).read_bytes(), ref), ref))
    return found


def test_every_skill_has_the_text_its_bundle_holds(tmp_path: Path) -> None:
    shutil.copytree(TEMPLATE, tmp_path / "repo")
    catalog = build_at(tmp_path / "repo", tmp_path / "out").catalog
    texts = _texts(tmp_path / "out", catalog)
    assert catalog.texts and set(texts) == {s.bundle.sha256 for s in catalog.skills}
    for skill in catalog.skills:
        bundle = (tmp_path / "out" / skill.bundle.path).read_bytes()
        assert texts[skill.bundle.sha256] == search_text(bundle, skill.name) != ""
    assert sorted(p.name for p in (tmp_path / "out/texts").iterdir()) == sorted(
        t.path.removeprefix("texts/") for t in catalog.texts
    )


def test_a_rebuild_after_one_change_rewrites_only_its_shards_and_equals_a_full_build(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(TEMPLATE, repo)
    out = tmp_path / "out"
    first = build_at(repo, out).catalog
    change(repo, "plugins/writing/skills/release-notes/SKILL.md", "writing")
    kept = {t.path: (out / t.path).stat().st_mtime_ns for t in first.texts or ()}
    second = build_at(repo, out, previous=first, now=LATER).catalog
    full = build_at(repo, tmp_path / "full", previous=first, now=LATER, incremental=False).catalog
    assert second.texts == full.texts and _texts(out, second) == _texts(tmp_path / "full", full)
    changed = set(second.texts or ()) - set(first.texts or ())
    assert 0 < len(changed) <= 4  # the changed plugin's two skills: where they left and arrived
    for ref in set(second.texts or ()) & set(first.texts or ()):
        assert (out / ref.path).stat().st_mtime_ns == kept[ref.path]  # not written again
    assert sorted(p.name for p in (out / "texts").iterdir()) == sorted(
        t.path.removeprefix("texts/") for t in second.texts or ()
    )  # the replaced shards are gone from OUT
    notes = next(s for s in second.skills if s.name == "release-notes")
    assert _texts(out, second)[notes.bundle.sha256].rstrip().endswith("Another tip.")
