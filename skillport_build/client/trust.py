"""What the CLI trusts about a proxy: the organisation's signing keys, and the newest catalog seen.

    the config folder (see `places`: $SKILLPORT_CONFIG_DIR, else ~/.config/skillport)/keys.json
        {"<proxy URL>": {"keys": ["<minisign .pub text>", ...], "marketplace": "<name>",
                         "catalog_version": <the newest catalog a verified record came from>}}

Keys are pinned at `skillport login` — from `--key FILE` (the admin's published key), or, without
it, the keys the proxy names, on first use and with a warning to compare their ids. After that a
record signed by any other key is refused, whatever the proxy says. Rotation goes through the
pinned set: the admin publishes the new key, people add it with `skillport login URL --key NEW.pub`
(it replaces the set) while the CI still signs with the old one.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from skillport_build.client.api import Client
from skillport_build.client.credentials import config_dir
from skillport_build.client.unpack import write_atomic
from skillport_build.errors import ClientError, KeyFileError, SignatureError
from skillport_build.models.api import RecordProof
from skillport_build.models.catalog import PluginRecord, SkillRecord
from skillport_build.trust.minisign import PublicKey, parse_public_key
from skillport_build.trust.records import verified_record

PINS_FILE = "keys.json"


class Pin(BaseModel):
    """What is trusted for one proxy."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    keys: list[str] = Field(description="minisign public key files")
    marketplace: str | None = Field(default=None, description="set by the first verified record")
    catalog_version: int | None = Field(default=None, description="newest seen (rollback refused)")


def _pins_path(environ: Mapping[str, str]) -> Path:
    return config_dir(environ) / PINS_FILE


def load_pins(environ: Mapping[str, str] = os.environ) -> dict[str, Pin]:
    """Every proxy's pinned keys (none when the file does not exist)."""
    path = _pins_path(environ)
    try:
        data = json.loads(path.read_bytes())
        return {url: Pin.model_validate(pin) for url, pin in data.items()}
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, AttributeError, ValidationError) as exc:
        raise ClientError(
            f"{path}: cannot read the pinned signing keys ({exc}); fix it, or delete it and run "
            "`skillport login URL --key FILE` again"
        ) from None


def save_pin(url: str, pin: Pin, environ: Mapping[str, str] = os.environ) -> None:
    """Pin `pin` for `url` (replacing what was pinned for it)."""
    pins = {**load_pins(environ), url: pin}
    path = _pins_path(environ)
    text = json.dumps({u: p.model_dump(exclude_none=True) for u, p in pins.items()}, indent=2, sort_keys=True)
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_atomic(path, text.encode() + b"\n")
    except OSError as exc:
        raise ClientError(f"{path}: cannot write the pinned signing keys ({exc.strerror})") from exc


def parse_keys(texts: list[str], what: str) -> list[PublicKey]:
    """Public keys from their files' text; a damaged one is a ClientError naming `what`."""
    try:
        return [parse_public_key(text, what) for text in texts]
    except KeyFileError as exc:
        raise ClientError(str(exc)) from None


def key_ids(keys: list[PublicKey]) -> str:
    """The ids people compare with their admin's, as minisign prints them."""
    return ", ".join(k.id_hex for k in keys)


def pin_proxy_keys(
    client: Client, warn: Callable[[str], None], environ: Mapping[str, str] = os.environ
) -> Pin:
    """Trust on first use: pin the keys the proxy names, and say so."""
    texts = client.keys().keys
    keys = parse_keys(texts, f"a signing key from {client.base_url}")
    if not keys:
        raise ClientError(f"{client.base_url} names no signing key; tell your skillport admin")
    pin = Pin(keys=texts)
    save_pin(client.base_url, pin, environ)
    warn(
        f"warning: trusting the signing key {key_ids(keys)} that {client.base_url} names (first use). "
        "Compare it with the key your admin publishes; to pin that file instead run "
        f"`skillport login {client.base_url} --key FILE`"
    )
    return pin


@dataclass
class Verifier:
    """Checks the signed record behind everything the CLI installs from one proxy."""

    url: str
    pin: Pin
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    def __post_init__(self) -> None:
        self.keys = parse_keys(self.pin.keys, f"a pinned signing key for {self.url}")

    def skill(self, proof: RecordProof | None, ref: str) -> SkillRecord:
        """The verified record of a skill the proxy answered for."""
        record = self._record(proof, "skill", ref)
        assert isinstance(record, SkillRecord)
        return record

    def plugin(self, proof: RecordProof | None, name: str) -> PluginRecord:
        """The verified record of a plugin the proxy answered for."""
        record = self._record(proof, "plugin", name)
        assert isinstance(record, PluginRecord)
        return record

    def _record(self, proof: RecordProof | None, kind: str, ref: str) -> SkillRecord | PluginRecord:
        try:
            record = verified_record(
                proof,
                self.keys,
                self.clock(),
                kind=kind,
                ref=ref,
                marketplace=self.pin.marketplace,
                newest_seen=self.pin.catalog_version,
            )
        except SignatureError as exc:
            raise ClientError(f"{self.url}: {exc}; nothing was installed") from None
        assert proof is not None
        if proof.marketplace != self.pin.marketplace or proof.catalog_version != self.pin.catalog_version:
            # the first record names the marketplace for good; the newest catalog only moves up
            self.pin = self.pin.model_copy(
                update={"marketplace": proof.marketplace, "catalog_version": proof.catalog_version}
            )
            save_pin(self.url, self.pin, self.environ)
        return record


def verifier_for(
    client: Client, warn: Callable[[str], None], environ: Mapping[str, str] = os.environ
) -> Verifier:
    """The verifier for the proxy `client` talks to, pinning its keys now if none are pinned."""
    pin = load_pins(environ).get(client.base_url) or pin_proxy_keys(client, warn, environ)
    return Verifier(client.base_url, pin, environ)
