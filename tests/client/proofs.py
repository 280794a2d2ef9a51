"""Signed records for canned proxies: what a proxy passes along, signed with a test key."""

from __future__ import annotations

from pathlib import Path

from skillport_build.client.trust import Pin, Verifier
from skillport_build.models.api import RecordProof
from skillport_build.models.catalog import PluginRecord, SkillRecord
from skillport_build.trust.minisign import SecretKey, generate
from skillport_build.trust.records import sign_statement, statement

CANNED_KEY = generate()
EXPIRES = "2999-01-01T00:00:00Z"


def signed_proof(record: SkillRecord | PluginRecord, key: SecretKey = CANNED_KEY) -> RecordProof:
    """The proof a canned proxy sends for `record` (marketplace "m", catalog 1)."""
    kind = "skill" if isinstance(record, SkillRecord) else "plugin"
    dumped = record.model_dump(mode="json", exclude_none=True)
    signature = sign_statement(key, statement("m", 1, EXPIRES, kind, dumped))
    return RecordProof(
        marketplace="m", catalog_version=1, expires=EXPIRES, kind=kind, record=dumped, signature=signature
    )


def trusting(url: str, config: Path, key: SecretKey = CANNED_KEY) -> Verifier:
    """A verifier that trusts `key` for the proxy at `url`, pins kept in the folder `config`."""
    return Verifier(url, Pin(keys=[key.public().to_text()]), {"SKILLPORT_CONFIG_DIR": str(config)})
