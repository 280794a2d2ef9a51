"""The S3 store against a real S3-compatible server (moto's standalone server), driven by boto3:
the store contract, conditional writes, a crash at every publish step, two concurrent publishes."""

from __future__ import annotations

import base64
import hashlib
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from factory import TEMPLATE
from integration.s3 import S3Server, environment, running_s3
from releasing import KEY, LATER, change, race_two_publishes, release
from stores.contract import CONTRACT, signed_catalog

from skillport_build.errors import (
    BlobConflict,
    PointerMoved,
    PublishConflict,
    SignatureError,
    StoreAuthError,
    StoreError,
)
from skillport_build.models.catalog_zst import compress_catalog
from skillport_build.release.maintain import fetch_catalog, prune, reconcile
from skillport_build.release.publish import publish, put_catalog
from skillport_build.stores import current_catalog, open_store
from skillport_build.stores.base import Pointer, Store
from skillport_build.stores.s3 import S3Store
from skillport_build.trust.verify import verify_catalog

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    with running_s3(tmp_path_factory.mktemp("s3")) as running:
        yield running


@pytest.fixture
def store(s3: S3Server, monkeypatch: pytest.MonkeyPatch) -> S3Store:
    environment(s3, monkeypatch)
    opened = open_store(f"s3://{s3.bucket()}/skillport/acme")
    assert isinstance(opened, S3Store)
    return opened


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    shutil.copytree(TEMPLATE, tmp_path / "repo")
    return tmp_path / "repo"


def _served_version(store: Store) -> int:
    """The catalog the pointer serves, its signature checked and every bundle it names intact."""
    pointer = store.pointer()
    assert pointer is not None
    catalog, _ = verify_catalog(pointer.catalog, pointer.signature.decode(), [KEY.public()], LATER, None)
    health = reconcile(store)
    assert not health.missing and not health.corrupt, health
    return catalog.catalog_version


@pytest.mark.parametrize("check", CONTRACT, ids=lambda c: c.__name__)
def test_s3_store_contract(check: Callable[[Store], None], store: S3Store) -> None:
    check(store)


def test_keys_live_under_the_prefix_and_the_pointer_is_one_object(store: S3Store, s3: S3Server) -> None:
    store.put_new("catalogs/1.json", b"{}")
    store.swap_pointer(None, Pointer(b"{}", b"sig\n"))
    listed = s3.client().list_objects_v2(Bucket=store.bucket)["Contents"]
    assert sorted(o["Key"] for o in listed) == [
        "skillport/acme/catalog.json",
        "skillport/acme/catalogs/1.json",
    ]
    assert store.keys("") == ["catalog.json", "catalogs/1.json"]


def test_listing_follows_every_page(store: S3Store) -> None:
    store.page_size = 2
    names = [f"bundles/s{n}/1.0.0/s{n}-1.0.0.zip" for n in range(5)]
    for name in names:
        store.put_new(name, name.encode())
    assert store.keys("bundles/") == sorted(names)


def test_the_server_honours_conditional_puts(store: S3Store, s3: S3Server) -> None:
    """What the CAS rests on: moto answers 412 to If-None-Match: * on a taken key and to a stale If-Match."""
    import botocore.exceptions

    client, key = s3.client(), "skillport/acme/probe"
    first = client.put_object(Bucket=store.bucket, Key=key, Body=b"1", IfNoneMatch="*")
    for condition in ({"IfNoneMatch": "*"}, {"IfMatch": '"0123456789abcdef0123456789abcdef"'}):
        with pytest.raises(botocore.exceptions.ClientError) as refused:
            client.put_object(Bucket=store.bucket, Key=key, Body=b"2", **condition)
        assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412
    client.put_object(Bucket=store.bucket, Key=key, Body=b"3", IfMatch=first["ETag"])
    assert client.get_object(Bucket=store.bucket, Key=key)["Body"].read() == b"3"


def test_a_racing_writer_between_read_and_swap_loses(store: S3Store, s3: S3Server) -> None:
    """The pointer is read, someone else swaps it, our conditional put is then refused (412)."""
    first = Pointer(b'{"catalog_version":1}', b"sig 1")
    store.swap_pointer(None, first)
    other = S3Store(store.url)
    real_head = store._current

    def read_then_lose_the_race() -> tuple[str | None, str | None]:
        seen = real_head()
        other.swap_pointer(first.sha256, Pointer(b'{"catalog_version":2}', b"sig 2"))
        return seen

    store._current = read_then_lose_the_race  # type: ignore[method-assign]
    with pytest.raises(PointerMoved, match="at the same moment"):
        store.swap_pointer(first.sha256, Pointer(b'{"catalog_version":3}', b"sig 3"))
    assert other.pointer() == Pointer(b'{"catalog_version":2}', b"sig 2")


def test_a_racing_blob_writer_with_other_bytes_is_a_conflict(store: S3Store, s3: S3Server) -> None:
    key = "bundles/a/1.0.0/a-1.0.0.zip"
    store.digest = lambda k: None  # type: ignore[method-assign]  # as if the key was empty when looked at
    s3.client().put_object(Bucket=store.bucket, Key=f"skillport/acme/{key}", Body=b"theirs")
    with pytest.raises(BlobConflict, match="already holds other bytes"):
        store.put_new(key, b"ours")


def test_publish_to_s3_and_back(store: S3Store, repo: Path, tmp_path: Path) -> None:
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
    assert _served_version(store) == 2
    assert "catalogs/1.json" in prune(store, keep=1, dry_run=True)


def test_failure_after_each_step_leaves_the_previous_catalog_and_a_rerun_finishes(
    s3: S3Server, monkeypatch: pytest.MonkeyPatch, repo: Path, tmp_path: Path
) -> None:
    environment(s3, monkeypatch)
    pristine = tmp_path / "pristine"
    shutil.copytree(repo, pristine)
    steps = [f"blob:{k}" for k in range(1, 12)] + ["verify", "catalog:before", "catalog:after", "swap:before"]
    seen: list[str] = []
    for step in steps:
        work = tmp_path / step.replace(":", "-")
        shutil.copytree(pristine, work / "repo")
        store = open_store(f"s3://{s3.bucket()}")
        publish(release(work / "repo", work / "out1", store), store)
        change(work / "repo", "plugins/writing/skills/release-notes/SKILL.md", "writing")
        out = release(work / "repo", work / "out2", store, now=LATER)

        def crash(at: str, step: str = step) -> None:
            seen.append(at)
            if at == step:
                raise RuntimeError(f"crash at {step}")

        with pytest.raises(RuntimeError, match="crash at"):
            publish(out, store, hook=crash)
        assert _served_version(store) == 1, step
        result = publish(out, store)
        assert _served_version(store) == 2, step
        assert len(store.keys("bundles/")) + len(store.keys("plugins/")) == 14  # nothing twice
        assert not result.already_published
    assert set(steps) <= set(seen)  # every step the publish has was crashed at


def test_two_concurrent_publishes_exactly_one_wins(store: S3Store, repo: Path, tmp_path: Path) -> None:
    outcomes = race_two_publishes(repo, tmp_path, store, lambda: S3Store(store.url))
    lost = [name for name, outcome in outcomes.items() if isinstance(outcome, PublishConflict)]
    assert len(lost) == 1, outcomes
    assert "another publish" in str(outcomes[lost[0]])
    assert _served_version(store) == 2
    publish(release(repo, tmp_path / "rerun", store, now=LATER), store)
    catalog = current_catalog(store)
    assert catalog is not None
    versions = {s.name: s.version for s in catalog.skills}
    assert versions["release-notes"] == "1.0.1" and versions["incident-postmortem"] == "1.0.1"


def test_a_missing_bucket_says_so(store: S3Store) -> None:
    missing = S3Store("s3://no-such-bucket-here/x")
    with pytest.raises(StoreError, match="the bucket no-such-bucket-here does not exist; create it"):
        missing.pointer()


def test_missing_credentials_say_how_to_give_them(store: S3Store, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(StoreAuthError, match="no AWS credentials were found; set AWS_ACCESS_KEY_ID"):
        S3Store(store.url).pointer()


def test_the_standard_endpoint_variable_is_honoured(
    store: S3Store, s3: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SKILLPORT_S3_ENDPOINT_URL")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3.endpoint)
    assert S3Store(store.url).pointer() is None


def test_presigned_urls_name_one_key_and_a_lifetime(store: S3Store) -> None:
    store.put_new("bundles/a/1.0.0/a-1.0.0.zip", b"zip")
    url = store.presigned_url("bundles/a/1.0.0/a-1.0.0.zip", 60, "a-1.0.0.zip")
    assert "/skillport/acme/bundles/a/1.0.0/a-1.0.0.zip?" in url and "X-Amz-Expires=60" in url
    assert "AKIASKILLPORTTEST" in url and "s3cret" not in url  # the key id, never the secret
    with pytest.raises(StoreError, match="lives 1 to 604800 seconds"):
        store.presigned_url("bundles/a/1.0.0/a-1.0.0.zip", 0)


def test_urls() -> None:
    with pytest.raises(StoreError, match=r"s3://BUCKET\[/PREFIX\]"):
        S3Store("s3:///nobucket")


def test_the_twin_is_taken_only_when_it_names_the_pointers_catalog(store: S3Store, s3: S3Server) -> None:
    """Two objects cannot change at once: a twin of another catalog (a publisher that wrote only
    catalog.json, or a slow one behind a newer swap) is passed over for catalog.json itself, and a
    twin that names the catalog but holds other bytes is refused."""
    raw, signature = signed_catalog(1)
    written = put_catalog(store, raw, signature, 1)
    store.swap_pointer(None, written)
    read = store.pointer()
    assert read == written and read is not None and read.compressed == written.compressed

    raw2, signature2 = signed_catalog(2)
    client, plain = store.client, f"{store.prefix}catalog.json"
    head = client.head_object(Bucket=store.bucket, Key=plain)
    metadata = {"sha256": hashlib.sha256(raw2).hexdigest(), "minisig": base64.b64encode(signature2).decode()}
    client.put_object(Bucket=store.bucket, Key=plain, Body=raw2, Metadata=metadata, IfMatch=head["ETag"])
    stale = store.pointer()
    assert stale == Pointer(raw2, signature2) and stale is not None and stale.compressed is None

    forged = compress_catalog(raw2.replace(b"skill-1", b"skill-X"))
    twin = {"catalog-sha256": metadata["sha256"], "minisig": metadata["minisig"]}
    client.put_object(Bucket=store.bucket, Key=f"{plain}.zst", Body=forged, Metadata=twin)
    with pytest.raises(SignatureError, match="decompresses to other bytes than the catalog"):
        store.pointer()


def test_a_publish_stopped_before_the_twin_is_completed_by_its_rerun(
    store: S3Store, repo: Path, tmp_path: Path
) -> None:
    out = release(repo, tmp_path / "out", store)
    real_put = store._put

    def crash_at_the_twin(key: str, data: bytes, metadata: dict[str, str], **condition: str) -> bool:
        if key == "catalog.json.zst":
            raise StoreError("the machine stopped")
        return real_put(key, data, metadata, **condition)

    store._put = crash_at_the_twin  # type: ignore[method-assign]
    with pytest.raises(StoreError, match="the machine stopped"):
        publish(out, store)
    store._put = real_put  # type: ignore[method-assign]
    served = store.pointer()
    assert served is not None and served.compressed is None and _served_version(store) == 1
    assert publish(out, store).already_published
    completed = store.pointer()
    assert completed == served and completed is not None and completed.compressed is not None
