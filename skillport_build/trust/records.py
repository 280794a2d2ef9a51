"""Record proofs: every skill and plugin of a catalog signed on its own by the CI's key.

The catalog's signature covers the whole catalog, which only the proxy holds: a person is never
sent records they may not read. So each record is also signed alone, bound to its marketplace,
catalog version and expiry, and the proxy passes that proof along with what it says about the
record. The CLI checks the proof against the organisation's public keys before it trusts a sha256,
so a compromised proxy cannot swap a bundle, serve another organisation's record, or roll a
person back to an older catalog than one they already saw.

    statement  = canonical JSON {type, marketplace, catalog_version, expires, kind, record}
    signature  = base64(key id (8) | Ed25519(statement))       in Catalog.proofs["skill:<ref>"]
"""

from __future__ import annotations

import base64
import binascii
import hmac
from datetime import datetime
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import ValidationError

from skillport_build.errors import SignatureError
from skillport_build.models.api import RecordProof
from skillport_build.models.catalog import (
    Catalog,
    PluginRecord,
    SkillRecord,
    canonical_json,
    format_time,
    parse_time,
)
from skillport_build.trust.minisign import PublicKey, SecretKey

STATEMENT_TYPE = "skillport-record/v1"


def proof_key(kind: str, ref: str) -> str:
    """Where a record's signature is kept in `Catalog.proofs`: skill:<ref> or plugin:<name>."""
    return f"{kind}:{ref}"


def _records(catalog: Catalog) -> list[tuple[str, str, SkillRecord | PluginRecord]]:
    skills = [("skill", s.ref, s) for s in catalog.skills]
    plugins = [("plugin", p.name, p) for p in catalog.plugins]
    return [*skills, *plugins]


def _dump(record: SkillRecord | PluginRecord) -> dict[str, Any]:
    return record.model_dump(mode="json", by_alias=True, exclude_none=True)


def statement(
    marketplace: str, catalog_version: int, expires: str, kind: str, record: dict[str, Any]
) -> bytes:
    """The bytes a record's signature covers."""
    return canonical_json(
        {
            "type": STATEMENT_TYPE,
            "marketplace": marketplace,
            "catalog_version": catalog_version,
            "expires": expires,
            "kind": kind,
            "record": record,
        }
    )


def sign_statement(key: SecretKey, signed: bytes) -> str:
    """A proof's signature: base64 of the key id and the Ed25519 signature of the statement."""
    return base64.b64encode(key.key_id + key.sign(signed)).decode()


def prove(catalog: Catalog, key: SecretKey) -> Catalog:
    """The catalog with a fresh proof for every record (signing time: after build, after resign)."""
    proofs = {}
    for kind, ref, record in _records(catalog):
        signed = statement(
            catalog.marketplace.name, catalog.catalog_version, catalog.expires, kind, _dump(record)
        )
        proofs[proof_key(kind, ref)] = sign_statement(key, signed)
    return catalog.model_copy(update={"proofs": proofs})


def proof_of(catalog: Catalog, kind: str, ref: str) -> RecordProof | None:
    """What the proxy passes along for one record it may show (None for a catalog without proofs)."""
    signature = catalog.proofs.get(proof_key(kind, ref))
    record = catalog.skill(ref) if kind == "skill" else catalog.plugin(ref)
    if signature is None or record is None:
        return None
    return RecordProof(
        marketplace=catalog.marketplace.name,
        catalog_version=catalog.catalog_version,
        expires=catalog.expires,
        kind=kind,
        record=_dump(record),
        signature=signature,
    )


@lru_cache(maxsize=64)
def _ed25519(key: bytes) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(key)


def check_signature(proof: RecordProof, keys: list[PublicKey]) -> str:
    """Check a proof's signature against trusted keys; return the signing key's id (hex)."""
    try:
        blob = base64.b64decode(proof.signature, validate=True)
    except (binascii.Error, ValueError):
        blob = b""
    if len(blob) != 72:
        raise SignatureError(f"the signed record of {_what(proof)} is damaged")
    key_id, signature = blob[:8], blob[8:]
    key = next((k for k in keys if hmac.compare_digest(k.key_id, key_id)), None)
    if key is None:
        trusted = ", ".join(k.id_hex for k in keys) or "none"
        raise SignatureError(
            f"{_what(proof)} is signed by key {key_id[::-1].hex().upper()}, which you do not trust "
            f"(trusted: {trusted})"
        )
    signed = statement(proof.marketplace, proof.catalog_version, proof.expires, proof.kind, proof.record)
    try:
        _ed25519(key.key).verify(signature, signed)
    except InvalidSignature:
        raise SignatureError(f"the signed record of {_what(proof)} was changed after signing") from None
    return key.id_hex


def verified_record(
    proof: RecordProof | None,
    keys: list[PublicKey],
    now: datetime,
    *,
    kind: str,
    ref: str,
    marketplace: str | None = None,
    newest_seen: int | None = None,
) -> SkillRecord | PluginRecord:
    """The record a proof signs, once signature, identity, expiry and catalog version are checked.

    `ref` is what was asked for (a skill's name or plugin/skill, a plugin's name), `marketplace` the
    one this person trusts the keys for, `newest_seen` the newest catalog version already accepted.
    """
    if proof is None:
        raise SignatureError(
            f"the proxy sent no signed record for {kind} {ref} (a catalog signed before record proofs "
            "existed: the admin re-signs it with `skillport ci resign`)"
        )
    check_signature(proof, keys)
    record = _parse(proof)
    names = {record.name, proof_ref(record)} | ({skill_address(record)} if kind == "skill" else set())
    if proof.kind != kind or ref.replace(":", "/", 1) not in names:
        raise SignatureError(f"the proxy answered for {kind} {ref} with the signed record of {_what(proof)}")
    if marketplace is not None and proof.marketplace != marketplace:
        raise SignatureError(
            f"{_what(proof)} belongs to the marketplace {proof.marketplace!r}, not {marketplace!r}"
        )
    if now >= parse_time(proof.expires):
        raise SignatureError(
            f"the signed record of {_what(proof)} expired at {proof.expires} (now {format_time(now)}); "
            "the proxy is serving a catalog that was not re-signed"
        )
    if newest_seen is not None and proof.catalog_version < newest_seen:
        raise SignatureError(
            f"rollback refused: {_what(proof)} comes from catalog {proof.catalog_version}, older than "
            f"catalog {newest_seen} seen before; try again in a minute, then tell your skillport admin"
        )
    return record


def proof_ref(record: SkillRecord | PluginRecord) -> str:
    """How a record is addressed in `Catalog.proofs`."""
    return record.ref if isinstance(record, SkillRecord) else record.name


def skill_address(record: SkillRecord | PluginRecord) -> str:
    """plugin/skill for a skill record."""
    return f"{record.plugin}/{record.name}" if isinstance(record, SkillRecord) else record.name


def _parse(proof: RecordProof) -> SkillRecord | PluginRecord:
    model: type[SkillRecord] | type[PluginRecord] = SkillRecord if proof.kind == "skill" else PluginRecord
    try:
        return model.model_validate(proof.record)
    except ValidationError as exc:
        raise SignatureError(f"the signed record of {_what(proof)} is not a catalog record: {exc}") from None


def _what(proof: RecordProof) -> str:
    name = proof.record.get("id") or proof.record.get("name") or "?"
    return f"{proof.kind} {name} {proof.record.get('version', '')}".rstrip()


def check_proofs(catalog: Catalog, keys: list[PublicKey]) -> None:
    """Refuse a catalog whose records are not each signed by a trusted key (`skillport verify`)."""
    for kind, ref, _ in _records(catalog):
        proof = proof_of(catalog, kind, ref)
        if proof is None:
            raise SignatureError(
                f"catalog {catalog.catalog_version} has no signed record for {kind} {ref}: it was signed "
                "before record proofs existed or edited since; sign it again (`skillport sign`, or "
                "`skillport ci resign` for a published store)"
            )
        check_signature(proof, keys)
