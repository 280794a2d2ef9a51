"""Each record of a signed catalog carries its own proof, and a proof binds exactly one record."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from factory import TEMPLATE
from releasing import LATER, signed_build

from skillport_build.errors import SignatureError
from skillport_build.models.api import RecordProof
from skillport_build.models.catalog import Catalog, SkillRecord, parse_time
from skillport_build.trust.minisign import SecretKey, generate
from skillport_build.trust.records import check_proofs, proof_of, verified_record
from skillport_build.trust.verify import verify_dir


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Catalog, SecretKey]:
    out = tmp_path_factory.mktemp("signed")
    _, key = signed_build(TEMPLATE, out)
    return out, Catalog.load(out), key


def _verify(proof: RecordProof | None, key: SecretKey, ref: str, **checks: object) -> SkillRecord:
    record = verified_record(proof, [key.public()], LATER, kind="skill", ref=ref, **checks)  # type: ignore[arg-type]
    assert isinstance(record, SkillRecord)
    return record


def test_signing_gives_every_record_a_proof(signed: tuple[Path, Catalog, SecretKey]) -> None:
    _, catalog, key = signed
    assert sorted(catalog.proofs) == sorted(
        [f"skill:{s.ref}" for s in catalog.skills] + [f"plugin:{p.name}" for p in catalog.plugins]
    )
    check_proofs(catalog, [key.public()])
    proof = proof_of(catalog, "skill", "release-notes")
    assert _verify(proof, key, "release-notes") == catalog.skill("release-notes")
    assert _verify(proof, key, "writing/release-notes").name == "release-notes"


def test_a_changed_record_is_refused(signed: tuple[Path, Catalog, SecretKey]) -> None:
    _, catalog, key = signed
    proof = proof_of(catalog, "skill", "release-notes")
    assert proof is not None
    bundle = {**proof.record["bundle"], "sha256": "0" * 64}
    swapped = proof.model_copy(update={"record": {**proof.record, "bundle": bundle}})
    with pytest.raises(SignatureError, match=r"^the signed record of skill release-notes .* was changed"):
        _verify(swapped, key, "release-notes")
    later = proof.model_copy(update={"catalog_version": proof.catalog_version + 1})
    with pytest.raises(SignatureError, match="was changed after signing"):
        _verify(later, key, "release-notes")


def test_another_records_proof_another_key_or_marketplace(signed: tuple[Path, Catalog, SecretKey]) -> None:
    _, catalog, key = signed
    other = proof_of(catalog, "skill", "csv-profiler")
    with pytest.raises(
        SignatureError, match="answered for skill release-notes with the signed record of skill csv"
    ):
        _verify(other, key, "release-notes")
    stranger = generate()
    with pytest.raises(
        SignatureError, match=f"which you do not trust \\(trusted: {stranger.public().id_hex}\\)"
    ):
        _verify(other, stranger, "csv-profiler")
    with pytest.raises(SignatureError, match="belongs to the marketplace 'acme-skills', not 'other'"):
        _verify(other, key, "csv-profiler", marketplace="other")
    with pytest.raises(SignatureError, match=r"^the proxy sent no signed record for skill csv-profiler"):
        _verify(None, key, "csv-profiler")
    plugin = proof_of(catalog, "plugin", "writing")
    with pytest.raises(SignatureError, match="answered for skill writing with the signed record of plugin"):
        _verify(plugin, key, "writing")


def test_expired_and_older_proofs_are_refused(signed: tuple[Path, Catalog, SecretKey]) -> None:
    _, catalog, key = signed
    proof = proof_of(catalog, "skill", "release-notes")
    assert proof is not None
    after = parse_time(catalog.expires) + timedelta(seconds=1)
    with pytest.raises(SignatureError, match="expired at"):
        verified_record(proof, [key.public()], after, kind="skill", ref="release-notes")
    with pytest.raises(
        SignatureError,
        match=r"^rollback refused: skill release-notes .* from catalog 1, older than catalog 2",
    ):
        _verify(proof, key, "release-notes", newest_seen=2)
    assert _verify(proof, key, "release-notes", newest_seen=1).name == "release-notes"


def test_verify_refuses_a_catalog_without_record_proofs(
    signed: tuple[Path, Catalog, SecretKey], tmp_path: Path
) -> None:
    root, catalog, key = signed
    data = json.loads((root / "catalog.json").read_bytes())
    data["proofs"] = {}
    stripped = Catalog.model_validate(data)
    with pytest.raises(SignatureError, match=r"has no signed record for skill .*sign it again"):
        check_proofs(stripped, [key.public()])
    bad = dict(catalog.proofs)
    first = next(iter(bad))
    bad[first] = bad[next(k for k in bad if k != first)]
    with pytest.raises(SignatureError, match="was changed after signing"):
        check_proofs(catalog.model_copy(update={"proofs": bad}), [key.public()])
    assert verify_dir(root, [key.public()], LATER, None).catalog.catalog_version == 1
