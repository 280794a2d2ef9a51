"""Each tamper case is refused with a message naming what failed."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from factory import TEMPLATE
from releasing import LATER, T0, build_at, signed_build

from skillport_build.errors import SignatureError
from skillport_build.models.catalog import Catalog
from skillport_build.models.catalog_zst import compress_catalog
from skillport_build.trust.minisign import SecretKey, generate, sign
from skillport_build.trust.sign import sign_dir
from skillport_build.trust.verify import TrustState, trusted_comment, verify_dir, verify_zip


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SecretKey]:
    out = tmp_path_factory.mktemp("store")
    _, key = signed_build(TEMPLATE, out)
    return out, key


def _copy(store: tuple[Path, SecretKey], tmp_path: Path) -> Path:
    shutil.copytree(store[0], tmp_path / "s")
    return tmp_path / "s"


def test_a_good_store_verifies_and_is_remembered(store: tuple[Path, SecretKey], tmp_path: Path) -> None:
    state = TrustState(tmp_path / "trust.json")
    result = verify_dir(store[0], [store[1].public()], LATER, state)
    texts = len(result.catalog.texts or ())
    assert (result.catalog.catalog_version, result.bundles, result.texts) == (1, 11, texts)
    assert texts > 0
    assert state.last("acme-skills") == 1


def test_one_changed_catalog_byte(store: tuple[Path, SecretKey], tmp_path: Path) -> None:
    root = _copy(store, tmp_path)
    raw = (root / "catalog.json").read_bytes()
    (root / "catalog.json").write_bytes(raw.replace(b'"catalog_version":1', b'"catalog_version":7'))
    with pytest.raises(SignatureError, match="bad signature: the signed file was changed after signing"):
        verify_dir(root, [store[1].public()], LATER, None)


def test_one_changed_bundle_byte(store: tuple[Path, SecretKey], tmp_path: Path) -> None:
    root = _copy(store, tmp_path)
    bundle = root / "bundles/csv-profiler/1.0.0/csv-profiler-1.0.0.zip"
    data = bytearray(bundle.read_bytes())
    data[100] ^= 1
    bundle.write_bytes(bytes(data))
    with pytest.raises(
        SignatureError,
        match=r"csv-profiler-1.0.0.zip \(csv-profiler 1.0.0\) does not match the signed catalog",
    ):
        verify_dir(root, [store[1].public()], LATER, None)
    with pytest.raises(SignatureError, match="is not a bundle of the signed catalog"):
        verify_zip(bundle, [store[1].public()], LATER, None)


def test_a_missing_current_bundle_is_refused_a_missing_old_one_is_not(
    store: tuple[Path, SecretKey], tmp_path: Path
) -> None:
    root = _copy(store, tmp_path)
    bundle = Catalog.load(root).skills[0].bundle
    (root / bundle.path).unlink()
    with pytest.raises(SignatureError, match=f"^{bundle.path} .* is named by the catalog but missing$"):
        verify_dir(root, [store[1].public()], LATER, None)


def test_wrong_key(store: tuple[Path, SecretKey]) -> None:
    with pytest.raises(SignatureError, match="signed by unknown key"):
        verify_dir(store[0], [generate().public()], LATER, None)


def test_expired(store: tuple[Path, SecretKey]) -> None:
    with pytest.raises(SignatureError, match=r"catalog 1 expired at 2026-12-01T12:00:00Z .*re-sign"):
        verify_dir(store[0], [store[1].public()], T0 + timedelta(days=31), None)


def test_rollback(tmp_path: Path) -> None:
    key = generate()
    _, _ = signed_build(TEMPLATE, tmp_path / "v1", key)
    first = build_at(TEMPLATE, tmp_path / "v2")
    build_at(TEMPLATE, tmp_path / "v2", previous=first.catalog, now=LATER)
    sign_dir(tmp_path / "v2", key)
    state = TrustState(tmp_path / "trust.json")
    verify_dir(tmp_path / "v2", [key.public()], LATER, state)
    with pytest.raises(SignatureError, match="rollback refused: catalog_version 1 is older than 2"):
        verify_dir(tmp_path / "v1", [key.public()], LATER, state)


def test_swapped_bundles_between_skills(store: tuple[Path, SecretKey], tmp_path: Path) -> None:
    root = _copy(store, tmp_path)
    a = root / "bundles/csv-profiler/1.0.0/csv-profiler-1.0.0.zip"
    b = root / "bundles/pr-review/1.0.0/pr-review-1.0.0.zip"
    a_bytes, b_bytes = a.read_bytes(), b.read_bytes()
    a.write_bytes(b_bytes)
    b.write_bytes(a_bytes)
    with pytest.raises(SignatureError, match="does not match the signed catalog"):
        verify_dir(root, [store[1].public()], LATER, None)
    with pytest.raises(SignatureError, match="bundles were swapped"):
        verify_zip(a, [store[1].public()], LATER, None)


def test_one_zip_verifies_against_its_store(store: tuple[Path, SecretKey]) -> None:
    zip_path = store[0] / "plugins/writing/1.0.0/writing-1.0.0.zip"
    assert verify_zip(zip_path, [store[1].public()], LATER, None).bundles == 1


def test_missing_signature_says_to_sign(tmp_path: Path) -> None:
    build_at(TEMPLATE, tmp_path / "out")
    with pytest.raises(
        SignatureError, match=r"catalog.json.minisig is missing \(run `skillport sign` first\)"
    ):
        verify_dir(tmp_path / "out", [generate().public()], LATER, None)


def _resign(root: Path, key: SecretKey, catalog: Catalog, comment: str | None = None) -> None:
    """Sign `catalog` as it stands (no new record proofs), with its own trusted comment or `comment`."""
    raw = catalog.to_bytes()
    (root / "catalog.json").write_bytes(raw)
    (root / "catalog.json.minisig").write_text(sign(key, raw, comment or trusted_comment(catalog), "test"))


def test_a_trusted_comment_naming_another_expiry_is_refused(
    store: tuple[Path, SecretKey], tmp_path: Path
) -> None:
    root = _copy(store, tmp_path)
    catalog = Catalog.from_bytes((root / "catalog.json").read_bytes())
    later = trusted_comment(catalog).replace(f"expires:{catalog.expires}", "expires:2999-01-01T00:00:00Z")
    _resign(root, store[1], catalog, later)
    with pytest.raises(SignatureError, match="does not match this catalog"):
        verify_dir(root, [store[1].public()], LATER, None)


def test_a_signed_catalog_without_its_record_proofs_is_refused(
    store: tuple[Path, SecretKey], tmp_path: Path
) -> None:
    root = _copy(store, tmp_path)
    catalog = Catalog.from_bytes((root / "catalog.json").read_bytes())
    _resign(root, store[1], catalog.model_copy(update={"proofs": {}}))
    with pytest.raises(SignatureError, match="has no signed record for skill"):
        verify_dir(root, [store[1].public()], LATER, None)


def test_the_trust_state_never_goes_down(tmp_path: Path) -> None:
    state = TrustState(tmp_path / "trust.json")
    state.accept("acme-skills", 5)
    state.accept("acme-skills", 3)
    assert state.last("acme-skills") == 5


def test_a_store_folder_is_read_from_its_compressed_twin(
    store: tuple[Path, SecretKey], tmp_path: Path
) -> None:
    """The twin is what verify checks the signature over; catalog.json alone still verifies (the
    `minisign -V` path), and a twin of other bytes is refused, whichever of the two is right."""
    root = _copy(store, tmp_path)
    raw = (root / "catalog.json").read_bytes()
    (root / "catalog.json.zst").write_bytes(compress_catalog(raw))
    assert verify_dir(root, [store[1].public()], LATER, None).catalog.catalog_version == 1
    (root / "catalog.json").unlink()
    assert verify_dir(root, [store[1].public()], LATER, None).catalog.catalog_version == 1
    (root / "catalog.json").write_bytes(raw)
    (root / "catalog.json.zst").write_bytes(
        compress_catalog(raw.replace(b'"catalog_version":1', b'"catalog_version":7'))
    )
    with pytest.raises(SignatureError, match=r"catalog.json.zst and .*catalog.json hold different catalogs"):
        verify_dir(root, [store[1].public()], LATER, None)
    (root / "catalog.json").unlink()
    with pytest.raises(SignatureError, match="bad signature: the signed file was changed after signing"):
        verify_dir(root, [store[1].public()], LATER, None)
    (root / "catalog.json.zst").write_bytes(b"\x28\xb5\x2f\xfd junk")
    with pytest.raises(SignatureError, match=r"catalog.json.zst \(the compressed catalog\) is refused"):
        verify_dir(root, [store[1].public()], LATER, None)


def test_the_stores_copies_of_the_current_catalog_must_be_the_signed_bytes(
    store: tuple[Path, SecretKey], tmp_path: Path
) -> None:
    """`catalogs/<n>.json` and its twin are what prune and the history read as catalog n: a copy
    of other bytes is refused, naming the file and what to copy over it; a missing one is not."""
    root = _copy(store, tmp_path)
    raw = (root / "catalog.json").read_bytes()
    (root / "catalogs").mkdir(exist_ok=True)
    plain, twin = root / "catalogs/1.json", root / "catalogs/1.json.zst"
    plain.write_bytes(raw)
    twin.write_bytes(compress_catalog(raw))
    assert verify_dir(root, [store[1].public()], LATER, None).catalog.catalog_version == 1
    other = raw.replace(b'"catalog_version":1', b'"catalog_version":7')
    twin.write_bytes(compress_catalog(other))
    with pytest.raises(
        SignatureError, match=r"1\.json\.zst is not catalog 1 as .* signs it.*copy of .*catalog\.json\.zst"
    ):
        verify_dir(root, [store[1].public()], LATER, None)
    twin.unlink()
    plain.write_bytes(other)
    with pytest.raises(SignatureError, match=r"catalogs/1\.json is not catalog 1 .*copy of .*catalog\.json,"):
        verify_dir(root, [store[1].public()], LATER, None)
    plain.unlink()
    assert verify_dir(root, [store[1].public()], LATER, None).catalog.catalog_version == 1
