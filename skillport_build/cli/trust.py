"""Commands for keys and signatures: keygen, sign, verify."""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from skillport_build.cli.common import EXIT_OK, existing_file, folder, migrate_places
from skillport_build.errors import UsageError
from skillport_build.trust import keys, minisign
from skillport_build.trust.sign import sign_dir
from skillport_build.trust.verify import TrustState, verify_dir, verify_zip


def _new_passphrase(no_passphrase: bool) -> str | None:
    if no_passphrase:
        return None
    if env := os.environ.get(keys.PASSPHRASE_ENV):
        return env
    if not sys.stdin.isatty():
        raise UsageError(f"set {keys.PASSPHRASE_ENV}, or pass --no-passphrase for an unencrypted key")
    return str(click.prompt("Passphrase for the new key", hide_input=True, confirmation_prompt=True))


@click.command()
@click.option(
    "--out",
    "prefix",
    type=click.Path(path_type=Path),
    required=True,
    help="Writes PREFIX.key and PREFIX.pub.",
)
@click.option(
    "--no-passphrase", is_flag=True, help="Leave the secret key unencrypted (e.g. for a CI secret store)."
)
@click.option("--force", is_flag=True, help="Replace existing key files.")
def keygen(prefix: Path, no_passphrase: bool, force: bool) -> int:
    """Make an Ed25519 signing key pair in minisign format."""
    key = minisign.generate()
    secret, public = keys.write_key_pair(prefix, key, _new_passphrase(no_passphrase), force=force)
    click.echo(f"secret key: {secret} (keep it secret; store it as a CI secret)")
    click.echo(f"public key: {public} (key id {key.public().id_hex}; commit it under .skillport/keys/)")
    return EXIT_OK


@click.command()
@click.argument("directory", type=folder)
@click.option("--key", "key_path", type=existing_file, help=f"Secret key file (default: ${keys.KEY_ENV}).")
def sign(directory: Path, key_path: Path | None) -> int:
    """Sign DIR/catalog.json, writing DIR/catalog.json.minisig."""
    text, what = keys.secret_key_text_from(key_path)
    passphrase = None
    if keys.is_encrypted(text) and not os.environ.get(keys.PASSPHRASE_ENV):
        if not sys.stdin.isatty():
            raise UsageError(f"{what} is encrypted: set {keys.PASSPHRASE_ENV}")
        passphrase = str(click.prompt("Passphrase", hide_input=True))
    key = keys.load_secret_key(text, what, passphrase)
    target = sign_dir(directory, key)
    click.echo(f"signed {directory / 'catalog.json'} with key {key.public().id_hex} → {target}")
    return EXIT_OK


def _state_file() -> Path:
    from skillport_build.client.places import places

    migrate_places()
    return places().state / "trust.json"


@click.command()
@click.argument("target", type=click.Path(exists=True, path_type=Path), metavar="DIR|ZIP")
@click.option(
    "--key",
    "key_paths",
    type=existing_file,
    multiple=True,
    required=True,
    help="Trusted public key (repeatable).",
)
@click.option("--catalog", "catalog_dir", type=folder, help="For a ZIP: the folder of its signed catalog.")
@click.option(
    "--state",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Rollback state file (default: trust.json in skillport's state folder).",
)
@click.option("--no-state", is_flag=True, help="Do not read or record the last accepted catalog version.")
def verify(
    target: Path, key_paths: tuple[Path, ...], catalog_dir: Path | None, state: Path | None, no_state: bool
) -> int:
    """Verify a signed catalog folder and its bundles, or one bundle zip."""
    trusted = keys.load_public_keys(key_paths)
    trust = None if no_state else TrustState(state or _state_file())
    now = datetime.now(UTC)
    if target.is_dir():
        result = verify_dir(target, trusted, now, trust)
    else:
        result = verify_zip(target, trusted, now, trust, catalog_dir)
    catalog = result.catalog
    click.echo(
        f"✓ catalog {catalog.catalog_version} of {catalog.marketplace.name} signed by {result.key_id}, "
        f"expires {catalog.expires}; {result.bundles} bundle(s)"
        + (f" and {result.texts} search texts document(s)" if result.texts else "")
        + " match"
    )
    return EXIT_OK
