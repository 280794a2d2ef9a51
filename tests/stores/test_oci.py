"""The OCI store against a real registry (docker-registry with htpasswd), driven through ORAS."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from uuid import uuid4

import pytest
from factory import TEMPLATE
from integration.registry import PASSWORD, USER, Registry, running_registry
from releasing import KEY, LATER, change, release
from stores.contract import CONTRACT, signed_catalog

from skillport_build.errors import SignatureError, StoreAuthError
from skillport_build.models.catalog_zst import compress_catalog
from skillport_build.release.maintain import fetch_catalog, prune, reconcile
from skillport_build.release.publish import publish, put_catalog
from skillport_build.stores import open_store
from skillport_build.stores.base import Pointer, Store
from skillport_build.stores.oci import EMPTY_CONFIG, TITLE, OciStore

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    with running_registry(tmp_path_factory.mktemp("registry")) as running:
        yield running


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SKILLPORT_OCI_USERNAME", USER)
    monkeypatch.setenv("SKILLPORT_OCI_PASSWORD", PASSWORD)


def _store(registry: Registry) -> OciStore:
    store = open_store(registry.url(f"skills-{uuid4().hex[:8]}"))
    assert isinstance(store, OciStore)
    return store


@pytest.mark.parametrize("check", CONTRACT, ids=lambda c: c.__name__)
@pytest.mark.usefixtures("credentials")
def test_oci_store_contract(check: Callable[[Store], None], registry: Registry) -> None:
    check(_store(registry))


@pytest.mark.usefixtures("credentials")
def test_publish_to_a_registry_and_back(registry: Registry, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(TEMPLATE, repo)
    store = _store(registry)
    first = publish(release(repo, tmp_path / "o1", store), store)
    assert len([key for key in first.uploaded if not key.startswith("texts/")]) == 11
    assert any(key.startswith("texts/") for key in first.uploaded)
    change(repo, "plugins/writing/skills/release-notes/SKILL.md", "writing")
    second = publish(release(repo, tmp_path / "o2", store, now=LATER), store)
    assert sorted(key for key in second.uploaded if not key.startswith("texts/")) == [
        "bundles/decision-record/1.0.1/decision-record-1.0.1.zip",
        "bundles/release-notes/1.0.1/release-notes-1.0.1.zip",
        "plugins/writing/1.0.1/writing-1.0.1.zip",
    ]
    catalog = fetch_catalog(store, tmp_path / "fetched/catalog.json")
    assert catalog is not None and catalog.catalog_version == 2
    health = reconcile(store, keys=[KEY.public()])
    assert health.healthy and health.pointer_version == 2
    assert "catalogs/1.json" in prune(store, keep=1, dry_run=True)


def test_wrong_credentials_name_their_source(registry: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SKILLPORT_OCI_USERNAME", USER)
    monkeypatch.setenv("SKILLPORT_OCI_PASSWORD", "wrong")
    with pytest.raises(
        StoreAuthError, match="refused the credentials from SKILLPORT_OCI_USERNAME / SKILLPORT_OCI_PASSWORD"
    ):
        _store(registry).pointer()


def test_docker_config_credentials(
    registry: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import base64
    import json

    monkeypatch.delenv("SKILLPORT_OCI_USERNAME", raising=False)
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    auth = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    (tmp_path / "config.json").write_text(json.dumps({"auths": {registry.host: {"auth": auth}}}))
    assert _store(registry).pointer() is None


def test_missing_credentials_say_how_to_give_them(
    registry: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SKILLPORT_OCI_USERNAME", raising=False)
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    with pytest.raises(StoreAuthError, match="none were found; set SKILLPORT_OCI_USERNAME"):
        _store(registry).pointer()


@pytest.mark.usefixtures("credentials")
def test_a_blob_the_registry_lost_is_sent_again(registry: Registry) -> None:
    store = _store(registry)
    assert store.put_new("bundles/a/1.0.0/a-1.0.0.zip", b"first")
    repository = f"{store.namespace}/bundles"
    config = "sha256:" + hashlib.sha256(EMPTY_CONFIG).hexdigest()
    unlinked = store._request("DELETE", f"{repository}/blobs/{config}")  # as a racing upload leaves it
    assert unlinked.status_code == 202
    assert store.put_new("bundles/b/1.0.0/b-1.0.0.zip", b"second")
    assert store.get("bundles/b/1.0.0/b-1.0.0.zip") == b"second"


@pytest.mark.usefixtures("credentials")
def test_the_pointer_manifest_holds_the_twin_and_a_forged_one_is_refused(registry: Registry) -> None:
    """catalog.json, its signature and its twin are layers of one manifest, so they move together;
    a reader fetches the twin's blob, not the plain one, and checks it against the plain digest."""
    store = _store(registry)
    raw, signature = signed_catalog(1)
    written = put_catalog(store, raw, signature, 1)
    store.swap_pointer(None, written)
    manifest = store._manifest(f"{store.namespace}/catalogs", "current")
    assert manifest is not None
    titles = [layer["annotations"][TITLE] for layer in manifest["layers"]]
    assert titles == ["catalog.json", "catalog.json.minisig", "catalog.json.zst"]
    plain = next(
        layer["digest"] for layer in manifest["layers"] if layer["annotations"][TITLE] == "catalog.json"
    )
    fetched: list[str] = []
    real_blob = store._blob

    def counted(repository: str, digest: str) -> bytes:
        fetched.append(digest)
        return real_blob(repository, digest)

    store._blob = counted  # type: ignore[method-assign]
    assert store.pointer() == Pointer(raw, signature) and fetched and plain not in fetched

    forged = compress_catalog(raw.replace(b"skill-1", b"skill-X"))
    layers = [("catalog.json", raw), ("catalog.json.minisig", signature), ("catalog.json.zst", forged)]
    store._push(f"{store.namespace}/catalogs", "current", layers, "catalog.json")
    with pytest.raises(SignatureError, match="decompresses to other bytes than the catalog"):
        store.pointer()
