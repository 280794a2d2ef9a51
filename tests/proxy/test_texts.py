"""The search texts the proxy takes from the signed catalog's texts documents, and refuses altered."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from proxy.served import config
from releasing import KEY, LATER, TEMPLATE, change, release

from skillport_build.models.catalog import Catalog
from skillport_build.proxy.bundles import BundleCache
from skillport_build.proxy.links import LinkSigner
from skillport_build.proxy.live import LiveCatalog
from skillport_build.proxy.service import Proxy
from skillport_build.proxy.state import State
from skillport_build.release.bundle import search_text
from skillport_build.release.publish import publish
from skillport_build.stores import LocalStore
from skillport_build.trust.sign import sign_dir


class Counting(LocalStore):
    """A local store that remembers which keys were read."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.read: list[str] = []

    def get(self, key: str) -> bytes | None:
        self.read.append(key)
        return super().get(key)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    shutil.copytree(TEMPLATE, tmp_path / "repo")
    return tmp_path / "repo"


@pytest.fixture
def store(repo: Path, tmp_path: Path) -> Counting:
    store = Counting(tmp_path / "store")
    publish(release(repo, tmp_path / "o1", store), store)
    store.read.clear()
    return store


def _proxy(store: LocalStore, tmp_path: Path) -> Iterator[Proxy]:
    public = tmp_path / "trusted.pub"
    public.write_text(KEY.public().to_text())
    settings = config(tmp_path, store, public)
    state = State(settings.db)
    core = Proxy(
        settings,
        LiveCatalog(store, [KEY.public()], lambda: LATER),
        state,
        BundleCache(store, 0),
        LinkSigner(b"test secret"),
        lambda key: 0.0,
    )
    yield core
    state.close()


@pytest.fixture
def proxy(store: Counting, tmp_path: Path) -> Iterator[Proxy]:
    yield from _proxy(store, tmp_path)


def _bundle_reads(store: Counting) -> list[str]:
    return [key for key in store.read if key.startswith("bundles/")]


def test_texts_come_from_the_signed_documents_not_the_bundles(proxy: Proxy, store: Counting) -> None:
    assert proxy.refresh()
    catalog = proxy.indexed().catalog
    assert catalog.texts and _bundle_reads(store) == []
    assert sorted(k for k in store.read if k.startswith("texts/")) == sorted(t.path for t in catalog.texts)
    for skill in catalog.skills:
        bundle = store.get(skill.bundle.path)
        assert bundle is not None and proxy.search_text(skill) == search_text(bundle, skill.name) != ""


def test_a_new_catalog_fetches_only_the_documents_that_changed(
    proxy: Proxy, store: Counting, repo: Path, tmp_path: Path
) -> None:
    assert proxy.refresh()
    before = set(proxy.indexed().catalog.texts or ())
    change(repo, "plugins/writing/skills/release-notes/SKILL.md", "writing")
    publish(release(repo, tmp_path / "o2", store, now=LATER), store)
    store.read.clear()
    assert proxy.refresh()
    after = proxy.indexed().catalog
    fetched = sorted(k for k in store.read if k.startswith("texts/"))
    assert fetched and fetched == sorted(t.path for t in set(after.texts or ()) - before)
    assert _bundle_reads(store) == []
    notes = next(s for s in after.skills if s.name == "release-notes")
    assert proxy.search_text(notes).rstrip().endswith("Another tip.")
    for skill in after.skills:  # the texts kept from the last catalog and the one edited in: as read afresh
        bundle = store.get(skill.bundle.path)
        assert bundle is not None and proxy.search_text(skill) == search_text(bundle, skill.name)


@pytest.mark.parametrize("harm", ["tampered", "missing", "swapped"])
def test_a_texts_document_that_differs_from_the_catalog_refuses_it(
    proxy: Proxy, store: Counting, harm: str
) -> None:
    catalog = Catalog.from_bytes(store.get("catalog.json") or b"")
    assert catalog.texts and len(catalog.texts) > 1
    target, other = (store.root / ref.path for ref in catalog.texts[:2])
    if harm == "tampered":
        target.write_bytes(target.read_bytes()[:-1] + b"\0")
    elif harm == "missing":
        target.unlink()
    else:
        target.write_bytes(other.read_bytes())
    assert proxy.refresh() is False and proxy.current is None
    problem = proxy.live.health().problem or ""
    expected = "is missing from the store" if harm == "missing" else "does not match the signed catalog"
    assert catalog.texts[0].path in problem and expected in problem


def test_an_altered_document_after_a_good_one_keeps_the_catalog_served(
    proxy: Proxy, store: Counting, repo: Path, tmp_path: Path
) -> None:
    assert proxy.refresh()
    change(repo, "plugins/writing/skills/release-notes/SKILL.md", "writing")
    out = release(repo, tmp_path / "o2", store, now=LATER)
    publish(out, store)
    fresh = set(Catalog.load(out).texts or ()) - set(proxy.indexed().catalog.texts or ())
    for ref in fresh:
        (store.root / ref.path).write_bytes(b"not what was signed")
    assert proxy.refresh() is False
    assert proxy.indexed().catalog.catalog_version == 1 and "does not match" in (
        proxy.live.health().problem or ""
    )


def test_a_catalog_from_before_texts_documents_reads_the_bundles(repo: Path, tmp_path: Path) -> None:
    store = Counting(tmp_path / "old-store")
    out = release(repo, tmp_path / "old", store)
    old = Catalog.load(out).model_copy(update={"texts": None})
    (out / "catalog.json").write_bytes(old.to_bytes())
    shutil.rmtree(out / "texts")
    sign_dir(out, KEY)
    publish(out, store)
    store.read.clear()
    core = next(_proxy(store, tmp_path))
    assert core.refresh()
    catalog = core.indexed().catalog
    assert catalog.texts is None and store.keys("texts/") == []
    assert sorted(_bundle_reads(store)) == sorted(s.bundle.path for s in catalog.skills)
    assert all(core.search_text(skill) for skill in catalog.skills)
