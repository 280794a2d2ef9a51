from __future__ import annotations

from pathlib import Path

import pytest
from releasing import KEY, LATER, change, published_store, release

from skillport_build.errors import StoreError
from skillport_build.models.catalog import Catalog
from skillport_build.release.maintain import catalog_versions, fetch_catalog, prune, reconcile
from skillport_build.release.publish import publish
from skillport_build.stores import LocalStore


@pytest.fixture
def store_with_two(tmp_path: Path) -> tuple[LocalStore, Path]:
    return published_store(tmp_path, releases=2)


def test_fetch_catalog_writes_catalog_and_signature(
    store_with_two: tuple[LocalStore, Path], tmp_path: Path
) -> None:
    store, _ = store_with_two
    catalog = fetch_catalog(store, tmp_path / "prev/catalog.json")
    assert catalog is not None and catalog.catalog_version == 2
    assert Catalog.load(tmp_path / "prev/catalog.json") == catalog
    assert (tmp_path / "prev/catalog.json.minisig").read_bytes() == (
        store.root / "catalog.json.minisig"
    ).read_bytes()
    assert fetch_catalog(LocalStore(tmp_path / "empty"), tmp_path / "x.json") is None


def test_reconcile_finds_missing_and_corrupt_blobs(store_with_two: tuple[LocalStore, Path]) -> None:
    store, _ = store_with_two
    assert reconcile(store).healthy
    (store.root / "bundles/pr-review/1.0.0/pr-review-1.0.0.zip").unlink()
    (store.root / "plugins/writing/1.0.1/writing-1.0.1.zip").write_bytes(b"tampered")
    result = reconcile(store)
    assert result.missing == ["bundles/pr-review/1.0.0/pr-review-1.0.0.zip"]
    assert result.corrupt == ["plugins/writing/1.0.1/writing-1.0.1.zip"]
    assert not result.healthy


def test_reconcile_repairs_a_pointer_left_behind(
    store_with_two: tuple[LocalStore, Path], tmp_path: Path
) -> None:
    store, repo = store_with_two
    change(repo, "plugins/operations/skills/incident-postmortem/SKILL.md", "operations")
    out = release(repo, tmp_path / "o3", store, now=LATER)

    def die_before_swap(step: str) -> None:
        if step == "swap:before":
            raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        publish(out, store, hook=die_before_swap)
    result = reconcile(store)
    assert (result.pointer_version, result.ahead, result.healthy) == (2, [3], False)
    repaired = reconcile(store, repair=True, keys=[KEY.public()])
    assert repaired.repaired_to == 3 and repaired.healthy
    assert reconcile(store).pointer_version == 3


def test_prune_keeps_everything_the_current_catalog_names(store_with_two: tuple[LocalStore, Path]) -> None:
    store, _ = store_with_two
    store.put_new("bundles/orphan/9.9.9/orphan-9.9.9.zip", b"left over from a failed publish")
    assert catalog_versions(store) == [1, 2]
    doomed = prune(store, keep=1, dry_run=True)
    current = Catalog.from_bytes(store.get("catalog.json") or b"")
    dropped = sorted(set(store.keys("texts/")) - {t.path for t in current.texts or ()})
    assert dropped  # the first catalog's texts documents that changed
    assert doomed == [
        "catalogs/1.json",
        "catalogs/1.json.minisig",
        "catalogs/1.json.zst",
        "bundles/orphan/9.9.9/orphan-9.9.9.zip",
        *dropped,
    ]
    assert prune(store, keep=1) == doomed
    assert reconcile(store).healthy
    assert store.get("bundles/release-notes/1.0.0/release-notes-1.0.0.zip") is not None  # in history
    with pytest.raises(StoreError, match="at least 1"):
        prune(store, keep=0)
