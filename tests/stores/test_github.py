"""The GitHub Releases store through the real PyGithub client, against a local REST API server."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from factory import TEMPLATE
from fakes.github_api import TOKEN, FakeGitHub
from releasing import KEY, LATER, change, release
from stores.contract import CONTRACT, signed_catalog

from skillport_build.errors import BlobConflict, SignatureError, StoreAuthError, StoreError
from skillport_build.models.catalog import Catalog
from skillport_build.models.catalog_zst import compress_catalog
from skillport_build.release.maintain import prune, reconcile
from skillport_build.release.publish import publish, put_catalog
from skillport_build.stores import open_store
from skillport_build.stores.base import Pointer, Store
from skillport_build.stores.github import GithubStore


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    with FakeGitHub() as api:
        monkeypatch.setenv("SKILLPORT_GITHUB_API_URL", api.api_url)
        monkeypatch.setenv("SKILLPORT_GITHUB_TOKEN", TOKEN)
        monkeypatch.setenv("SKILLPORT_GITHUB_WRITE_INTERVAL", "0")
        monkeypatch.delenv("GITHUB_TOKEN", raising=False)
        yield api


def _store() -> GithubStore:
    store = open_store("github://acme/skill-store")
    assert isinstance(store, GithubStore)
    return store


@pytest.mark.parametrize("check", CONTRACT, ids=lambda c: c.__name__)
def test_github_store_contract(check: Callable[[Store], None], github: FakeGitHub) -> None:
    check(_store())


def test_layout_is_one_release_per_version_and_downloads_are_octet_streams(
    github: FakeGitHub, tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(TEMPLATE, repo)
    store = _store()
    publish(release(repo, tmp_path / "o1", store), store)
    every = sorted(r.tag for r in github.releases.values())
    tags = [tag for tag in every if not tag.startswith("skillport/texts/")]
    assert "skillport/bundles/csv-profiler/1.0.0" in tags and "skillport/catalogs/1" in tags
    assert "skillport/plugins/engineering/1.0.0" in tags and len(tags) == 12
    texts = Catalog.load(tmp_path / "o1").texts or ()
    assert sorted(set(every) - set(tags)) == sorted(
        f"skillport/{t.path.removesuffix('.json.zst')}" for t in texts
    )
    latest = github.releases[github.latest or 0]
    assert latest.tag == "skillport/catalogs/1"
    assert sorted(a.name for a in latest.assets) == [
        "catalog.json",
        "catalog.json.minisig",
        "catalog.json.zst",
    ]
    assert any(path.startswith("/storage/") for _, path in github.requests)  # followed the 302

    change(repo, "plugins/writing/skills/release-notes/SKILL.md", "writing")
    second = publish(release(repo, tmp_path / "o2", store, now=LATER), store)
    assert len([key for key in second.uploaded if not key.startswith("texts/")]) == 3
    assert github.releases[github.latest or 0].tag == "skillport/catalogs/2"
    assert reconcile(store, keys=[KEY.public()]).healthy
    kept = {t.path for t in Catalog.load(tmp_path / "o2").texts or ()}
    dropped = sorted(t.path for t in texts if t.path not in kept)
    old = ["catalogs/1.json", "catalogs/1.json.minisig", "catalogs/1.json.zst"]
    assert dropped and prune(store, keep=1) == [*old, *dropped]
    assert store.keys("texts/") == sorted(kept)
    assert "skillport/catalogs/1" not in {r.tag for r in github.releases.values()}


def test_the_pointer_is_read_from_its_twin_and_a_forged_twin_is_refused(github: FakeGitHub) -> None:
    store = _store()
    raw, signature = signed_catalog(1)
    written = put_catalog(store, raw, signature, 1)
    store.swap_pointer(None, written)
    plain = next(a for a in github.releases[github.latest or 0].assets if a.name == "catalog.json")
    github.requests.clear()
    assert store.pointer() == Pointer(raw, signature)
    downloads = [path for _, path in github.requests if "/assets/" in path or path.startswith("/storage/")]
    assert downloads and not any(path.endswith(f"/{plain.id}") for path in downloads)  # the twin, not it

    store.delete("catalogs/1.json.zst")
    assert store.put_new("catalogs/1.json.zst", compress_catalog(raw.replace(b"skill-1", b"skill-X")))
    with pytest.raises(
        SignatureError,
        match=r"catalog\.json\.zst \(the compressed catalog\) is refused: "
        r"it decompresses to other bytes than the catalog",
    ):
        store.pointer()


def test_transient_errors_are_retried(github: FakeGitHub) -> None:
    store = _store()
    github.fail_next(2)
    assert store.put_new("bundles/a/1.0.0/a-1.0.0.zip", b"a") is True


def test_bad_or_missing_tokens_name_their_source(github: FakeGitHub, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SKILLPORT_GITHUB_TOKEN", "wrong")
    with pytest.raises(StoreAuthError, match="refused the token from SKILLPORT_GITHUB_TOKEN"):
        _store().pointer()
    monkeypatch.delenv("SKILLPORT_GITHUB_TOKEN")
    with pytest.raises(StoreAuthError, match="no token; set SKILLPORT_GITHUB_TOKEN"):
        _store().pointer()


def test_unknown_repository(github: FakeGitHub) -> None:
    with pytest.raises(StoreError, match="no repository acme/other visible to the token"):
        open_store("github://acme/other").pointer()


def test_races_are_settled_by_githubs_own_refusals(github: FakeGitHub) -> None:
    store = _store()
    key = "bundles/a/1.0.0/a-1.0.0.zip"
    store.put_new(key, b"a")
    store._write_new(
        key, b"a", hashlib.sha256(b"a").hexdigest()
    )  # a simultaneous equal upload: 422, same digest
    with pytest.raises(BlobConflict):
        store._write_new(key, b"b", hashlib.sha256(b"b").hexdigest())  # a simultaneous different upload: 422
    assert store._create_release("skillport/bundles/a/1.0.0").tag_name == "skillport/bundles/a/1.0.0"
    assert [r.tag for r in github.releases.values()] == ["skillport/bundles/a/1.0.0"]
