"""Publishing is a transaction: a failure at any step leaves the previous catalog served, a re-run
finishes, and of two concurrent publishes exactly one wins."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from factory import TEMPLATE
from releasing import KEY, LATER, build_at, change, race_two_publishes, release

from skillport_build.errors import PublishConflict, SkillportError, StoreError
from skillport_build.models.catalog import Catalog
from skillport_build.models.catalog_zst import decompress_catalog
from skillport_build.release.publish import publish
from skillport_build.stores import LocalStore, current_catalog
from skillport_build.trust.minisign import verify
from skillport_build.trust.verify import verify_dir


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    shutil.copytree(TEMPLATE, tmp_path / "repo")
    return tmp_path / "repo"


def _served_version(store: LocalStore) -> int:
    """The catalog the store serves, after full verification of it and its bundles."""
    return verify_dir(store.root, [KEY.public()], LATER, None).catalog.catalog_version


def test_first_publish_and_idempotent_rerun(repo: Path, tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    out = release(repo, tmp_path / "out", store)
    result = publish(out, store)
    bundles = [key for key in result.uploaded if not key.startswith("texts/")]
    assert (result.catalog_version, len(bundles), result.present) == (1, 11, [])
    texts = Catalog.load(out).texts
    assert texts and sorted(set(result.uploaded) - set(bundles)) == sorted(t.path for t in texts)
    assert store.keys("catalogs/") == ["catalogs/1.json", "catalogs/1.json.minisig", "catalogs/1.json.zst"]
    assert _served_version(store) == 1
    assert publish(out, store).already_published


def test_the_catalog_is_stored_compressed_beside_the_signed_plain_file(repo: Path, tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    out = release(repo, tmp_path / "out", store)
    publish(out, store)
    raw = (out / "catalog.json").read_bytes()
    for name in ("catalog.json.zst", "catalogs/1.json.zst"):
        blob = (store.root / name).read_bytes()
        assert decompress_catalog(blob, name) == raw, name
        assert len(blob) * 2 < len(raw)
    assert (store.root / "catalog.json").read_bytes() == raw  # what `minisign -V` checks
    pointer = store.pointer()
    assert pointer is not None and pointer.compressed == (store.root / "catalog.json.zst").read_bytes()
    verify(pointer.catalog, pointer.signature.decode(), [KEY.public()])


def test_a_store_without_twins_keeps_working_and_gains_them_on_a_rerun(repo: Path, tmp_path: Path) -> None:
    """A store an older release published to: read from catalog.json; publishing the same build
    again adds the twins; the next publish reads the current catalog from its twin."""
    store = LocalStore(tmp_path / "store")
    out = release(repo, tmp_path / "out", store)
    publish(out, store)
    for name in ("catalog.json.zst", "catalogs/1.json.zst"):
        (store.root / name).unlink()
    old = store.pointer()
    assert old is not None and old.compressed is None and _served_version(store) == 1
    assert publish(out, store).already_published
    assert (store.root / "catalog.json.zst").is_file() and (store.root / "catalogs/1.json.zst").is_file()
    change(repo, "plugins/writing/skills/release-notes/SKILL.md", "writing")
    publish(release(repo, tmp_path / "out2", store, now=LATER), store)
    assert _served_version(store) == 2


def test_second_publish_uploads_only_what_changed(repo: Path, tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    publish(release(repo, tmp_path / "out1", store), store)
    change(repo, "plugins/writing/skills/release-notes/SKILL.md", "writing")
    result = publish(release(repo, tmp_path / "out2", store, now=LATER), store)
    assert sorted(key for key in result.uploaded if not key.startswith("texts/")) == [
        "bundles/decision-record/1.0.1/decision-record-1.0.1.zip",
        "bundles/release-notes/1.0.1/release-notes-1.0.1.zip",
        "plugins/writing/1.0.1/writing-1.0.1.zip",
    ]
    before, after = (Catalog.load(tmp_path / name).texts or () for name in ("out1", "out2"))
    sent = sorted(key for key in result.uploaded if key.startswith("texts/"))
    assert sent == sorted(t.path for t in set(after) - set(before))  # only the shards that changed
    assert 0 < len(sent) <= 4
    assert _served_version(store) == 2


def test_dry_run_changes_nothing(repo: Path, tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    result = publish(release(repo, tmp_path / "out", store), store, dry_run=True)
    texts = Catalog.load(tmp_path / "out").texts or ()
    assert len(result.uploaded) == 11 + len(texts) and store.pointer() is None and store.keys("") == []


def _steps(repo: Path, tmp_path: Path) -> list[str]:
    store = LocalStore(tmp_path / "probe-store")
    publish(release(repo, tmp_path / "probe1", store), store)
    change(repo, "plugins/writing/skills/release-notes/SKILL.md", "writing")
    seen: list[str] = []
    publish(release(repo, tmp_path / "probe2", store, now=LATER), store, hook=seen.append)
    return seen


def test_failure_after_each_step_leaves_the_previous_catalog_and_a_rerun_finishes(
    repo: Path, tmp_path: Path
) -> None:
    pristine = tmp_path / "pristine"
    shutil.copytree(repo, pristine)
    steps = _steps(repo, tmp_path)
    blobs = sum(step.startswith("blob:") for step in steps)
    assert blobs >= 12 and steps == [f"blob:{k}" for k in range(1, blobs + 1)] + [
        "verify",
        "catalog:before",
        "catalog:after",
        "swap:before",
    ]
    for step in steps:
        work = tmp_path / step.replace(":", "-")
        shutil.copytree(pristine, work / "repo")
        store = LocalStore(work / "store")
        publish(release(work / "repo", work / "out1", store), store)
        change(work / "repo", "plugins/writing/skills/release-notes/SKILL.md", "writing")
        out = release(work / "repo", work / "out2", store, now=LATER)

        def crash(at: str, step: str = step) -> None:
            if at == step:
                raise RuntimeError(f"crash at {step}")

        with pytest.raises(RuntimeError, match="crash at"):
            publish(out, store, hook=crash)
        assert _served_version(store) == 1, step
        result = publish(out, store)
        assert _served_version(store) == 2, step
        assert len(store.keys("bundles/")) + len(store.keys("plugins/")) == 14  # nothing twice
        assert not result.already_published


def test_two_concurrent_publishes_exactly_one_wins_and_the_loser_reruns(repo: Path, tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    outcomes = race_two_publishes(repo, tmp_path, store)
    lost = [name for name, outcome in outcomes.items() if isinstance(outcome, PublishConflict)]
    assert len(lost) == 1, outcomes
    assert "another publish won" in str(outcomes[lost[0]])
    assert _served_version(store) == 2
    # The loser's re-run: rebuild the repository (which has every change) against the store.
    rerun = release(repo, tmp_path / "rerun", store, now=LATER)
    publish(rerun, store)
    catalog = current_catalog(store)
    assert catalog is not None
    versions = {s.name: s.version for s in catalog.skills}
    assert versions["release-notes"] == "1.0.1" and versions["incident-postmortem"] == "1.0.1"


def test_unsigned_or_unbuilt_folders_say_what_to_do(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    with pytest.raises(SkillportError, match="run `skillport build"):
        publish(tmp_path, store)
    build_at(TEMPLATE, tmp_path / "out")
    with pytest.raises(SkillportError, match="run `skillport sign"):
        publish(tmp_path / "out", store)


def test_a_build_planned_against_a_newer_catalog_than_the_store_serves_is_refused(
    repo: Path, tmp_path: Path
) -> None:
    """A build made against catalog 2 is catalog 3: a store still at 1 must not jump to 3."""
    ahead = LocalStore(tmp_path / "ahead")
    publish(release(repo, tmp_path / "a1", ahead), ahead)
    change(repo, "plugins/writing/skills/release-notes/SKILL.md", "writing")
    publish(release(repo, tmp_path / "a2", ahead, now=LATER), ahead)
    change(repo, "plugins/writing/skills/release-notes/SKILL.md", "writing")
    third = release(repo, tmp_path / "a3", ahead, now=LATER)  # catalog 3, planned against 2
    behind = LocalStore(tmp_path / "behind")
    publish(release(repo, tmp_path / "b1", behind), behind)
    with pytest.raises(PublishConflict, match=r"is at catalog 1 while this build is catalog 3"):
        publish(third, behind)
    assert _served_version(behind) == 1


def test_a_later_catalog_is_not_published_onto_an_empty_store(repo: Path, tmp_path: Path) -> None:
    first = LocalStore(tmp_path / "first")
    publish(release(repo, tmp_path / "o1", first), first)
    change(repo, "plugins/writing/skills/release-notes/SKILL.md", "writing")
    second = release(repo, tmp_path / "o2", first, now=LATER)  # catalog 2
    empty = LocalStore(tmp_path / "empty")
    with pytest.raises(PublishConflict, match=r"is empty while this build is catalog 2"):
        publish(second, empty)
    assert empty.pointer() is None


class Garbling(LocalStore):
    """A store that keeps other bytes than it was given (a faulty disk, a broken proxy)."""

    def _write_new(self, key: str, data: bytes, sha256: str) -> None:
        super()._write_new(
            key, data[:-1] + bytes([data[-1] ^ 1]) if key.startswith("bundles/") else data, sha256
        )


def test_a_bundle_that_reads_back_other_bytes_stops_the_publish(repo: Path, tmp_path: Path) -> None:
    store = Garbling(tmp_path / "store")
    with pytest.raises(StoreError, match=r"reads back as sha256 \w+, expected"):
        publish(release(repo, tmp_path / "out", store), store)
    assert store.pointer() is None and store.keys("catalogs/") == []


def test_a_bundle_left_in_the_store_must_still_have_the_catalogs_bytes(repo: Path, tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    publish(release(repo, tmp_path / "out1", store), store)
    change(repo, "plugins/writing/skills/release-notes/SKILL.md", "writing")
    out = release(repo, tmp_path / "out2", store, now=LATER)
    kept = "bundles/csv-profiler/1.0.0/csv-profiler-1.0.0.zip"
    (out / kept).unlink()  # unchanged, so a build folder may leave it to the store's copy
    (store.root / kept).write_bytes(b"other bytes")
    with pytest.raises(StoreError, match=rf"{kept} \(csv-profiler 1.0.0\) is neither in"):
        publish(out, store)
    assert _served_version_unchecked(store) == 1


def _served_version_unchecked(store: LocalStore) -> int:
    catalog = current_catalog(store)
    assert catalog is not None
    return catalog.catalog_version


def test_another_catalog_of_the_same_number_is_a_conflict_not_already_published(
    repo: Path, tmp_path: Path
) -> None:
    store = LocalStore(tmp_path / "store")
    publish(release(repo, tmp_path / "o1", store), store)
    other = tmp_path / "other"
    shutil.copytree(repo, other)
    change(repo, "plugins/writing/skills/release-notes/SKILL.md", "writing")
    change(other, "plugins/data-tools/skills/csv-profiler/SKILL.md", "data-tools")
    mine, theirs = (release(r, tmp_path / f"o2-{r.name}", store, now=LATER) for r in (repo, other))
    publish(theirs, store)
    with pytest.raises(PublishConflict, match=r"is at catalog 2 while this build is catalog 2"):
        publish(mine, store)
