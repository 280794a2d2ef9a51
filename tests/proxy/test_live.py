from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from releasing import KEY, LATER, T0, change, published_store, release

from skillport_build.errors import TransientStoreError
from skillport_build.models.catalog_zst import compress_catalog
from skillport_build.proxy.live import LiveCatalog
from skillport_build.release.publish import publish
from skillport_build.stores import LocalStore
from skillport_build.stores.base import Pointer
from skillport_build.trust.minisign import generate


class Clock:
    def __init__(self) -> None:
        self.now = LATER

    def __call__(self):  # type: ignore[no-untyped-def]
        return self.now


@pytest.fixture
def published(tmp_path: Path) -> tuple[LocalStore, Path]:
    return published_store(tmp_path)


def test_serves_the_verified_catalog_and_follows_new_ones(
    published: tuple[LocalStore, Path], tmp_path: Path
) -> None:
    store, repo = published
    live = LiveCatalog(store, [KEY.public()], Clock())
    assert live.refresh() is True and live.catalog.catalog_version == 1  # type: ignore[union-attr]
    assert live.skill("csv-profiler") is not None and live.health().ok
    assert live.refresh() is False  # unchanged pointer: nothing re-read or re-verified
    change(repo, "plugins/writing/skills/release-notes/SKILL.md", "writing")
    publish(release(repo, tmp_path / "o2", store, now=LATER), store)
    assert live.refresh() is True and live.catalog.catalog_version == 2  # type: ignore[union-attr]


def test_keeps_the_last_verified_catalog_when_the_store_misbehaves(
    published: tuple[LocalStore, Path],
) -> None:
    store, _ = published
    live = LiveCatalog(store, [KEY.public()], Clock())
    live.refresh()
    good = store.pointer()
    assert good is not None
    store.swap_pointer(
        good.sha256,
        Pointer(good.catalog.replace(b'"catalog_version":1', b'"catalog_version":9'), good.signature),
    )
    assert live.refresh() is False
    health = live.health()
    assert health.catalog_version == 1 and health.ok and "bad signature" in (health.problem or "")

    class Down(LocalStore):
        def pointer(self):  # type: ignore[no-untyped-def]
            raise TransientStoreError("connection refused")

    down = LiveCatalog(Down(store.root), [KEY.public()], Clock())
    down._catalog = live.catalog  # served before the outage
    assert down.refresh() is False and down.catalog is live.catalog
    assert "connection refused" in (down.health().problem or "")


def test_unknown_keys_expiry_and_rollback(published: tuple[LocalStore, Path], tmp_path: Path) -> None:
    store, repo = published
    stranger = LiveCatalog(store, [generate().public()], Clock())
    assert stranger.refresh() is False and stranger.catalog is None and not stranger.health().ok
    clock = Clock()
    live = LiveCatalog(store, [KEY.public()], clock)
    live.refresh()
    clock.now = T0 + timedelta(days=40)
    health = live.health()
    assert not health.ok and "expired" in (health.problem or "")
    # An older, validly signed catalog put back in the store is not served.
    clock.now = LATER
    old = store.pointer()
    change(repo, "plugins/writing/skills/release-notes/SKILL.md", "writing")
    publish(release(repo, tmp_path / "o2", store, now=LATER), store)
    assert live.refresh() is True
    newest = store.pointer()
    assert old is not None and newest is not None
    store.swap_pointer(newest.sha256, old)
    assert live.refresh() is False and live.catalog.catalog_version == 2  # type: ignore[union-attr]
    assert "rollback refused" in (live.health().problem or "")


def test_an_unchanged_pointer_is_not_downloaded_again(tmp_path: Path) -> None:
    store, _ = published_store(tmp_path)
    fetched: list[int] = []
    real = store.pointer

    def counting() -> Pointer | None:
        fetched.append(1)
        return real()

    store.pointer = counting  # type: ignore[method-assign]
    live = LiveCatalog(store, [KEY.public()], clock=lambda: T0)
    assert live.refresh() is True
    assert live.refresh() is False and live.refresh() is False
    assert len(fetched) == 1 and live.health().problem is None


def test_a_new_catalog_keeps_the_records_that_did_not_change(
    published: tuple[LocalStore, Path], tmp_path: Path
) -> None:
    from skillport_build.models.catalog import Catalog
    from skillport_build.proxy.access import bundle_refs

    store, repo = published
    live = LiveCatalog(store, [KEY.public()], Clock())
    live.refresh()
    before = live.catalog
    assert before is not None
    kept_as = live._parsed  # between refreshes the catalog's bytes are held as the store's twin
    assert kept_as is not None and kept_as.raw is None and kept_as.packed == store.pointer().compressed
    change(repo, "plugins/writing/skills/release-notes/SKILL.md", "writing")
    publish(release(repo, tmp_path / "o2", store, now=LATER), store)
    assert live.refresh() is True
    after = live.catalog
    assert after is not None and after.catalog_version == 2
    pointer = store.pointer()
    assert pointer is not None and after == Catalog.from_bytes(pointer.catalog)
    old = {s.ref: s for s in before.skills}
    kept = {s.ref for s in after.skills if old.get(s.ref) is s}
    assert (
        "release-notes" not in kept
        and kept == {s.ref for s in after.skills if s.plugin != "writing"} != set()
    )
    assert bundle_refs(after, (before, bundle_refs(before))) == bundle_refs(after)


def test_a_forged_compressed_twin_is_refused_and_the_last_catalog_kept(
    published: tuple[LocalStore, Path], tmp_path: Path
) -> None:
    """The proxy reads the twin and checks the signature over what it decompresses to; a twin of
    other bytes is refused, not passed over for catalog.json."""
    store, repo = published
    live = LiveCatalog(store, [KEY.public()], Clock())
    assert live.refresh() is True
    change(repo, "plugins/writing/skills/release-notes/SKILL.md", "writing")
    publish(release(repo, tmp_path / "o2", store, now=LATER), store)
    plain = (store.root / "catalog.json").read_bytes()
    forged = plain.replace(b'"catalog_version":2', b'"catalog_version":8')
    (store.root / "catalog.json.zst").write_bytes(compress_catalog(forged))
    assert live.refresh() is False
    health = live.health()
    assert health.catalog_version == 1 and "bad signature" in (health.problem or "")
    (store.root / "catalog.json.zst").unlink()  # no twin: the plain catalog, verified as ever
    assert live.refresh() is True and live.catalog.catalog_version == 2  # type: ignore[union-attr]
