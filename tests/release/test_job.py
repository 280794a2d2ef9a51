from __future__ import annotations

from pathlib import Path

from releasing import KEY, LATER, T0, build_at, template_checkout

from skillport_build.models.catalog import Catalog
from skillport_build.release.job import release
from skillport_build.stores import LocalStore


def test_a_release_into_a_kept_folder_copies_the_unchanged_records_from_the_store(tmp_path: Path) -> None:
    root, store, out = template_checkout(tmp_path), LocalStore(tmp_path / "store"), tmp_path / "kept"
    first = release(root, store, KEY, now=T0, out=out)
    assert first.catalog_version == 1 and first.copied == ()
    notes = root / "plugins/writing/skills/release-notes/SKILL.md"
    notes.write_text(notes.read_text() + "\nOne more tip.\n")
    previous = Catalog.from_bytes(store.pointer().catalog)  # type: ignore[union-attr]
    second = release(root, store, KEY, now=LATER, out=out)  # bumps writing, builds, signs, publishes
    assert second.catalog_version == 2
    assert [b.plugin for b in second.bumped] == ["writing"]
    assert "writing" not in second.copied and {"engineering", "operations"} <= set(second.copied)
    assert ("plugin", "writing", "1.0.1") in second.published
    fresh = build_at(root, tmp_path / "fresh", previous=previous, now=LATER, incremental=False)
    served = Catalog.from_bytes(store.pointer().catalog)  # type: ignore[union-attr]
    assert served.model_copy(update={"proofs": {}, "source": fresh.catalog.source}) == fresh.catalog
