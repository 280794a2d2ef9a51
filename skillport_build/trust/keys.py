"""Key files: where signing keys come from (a file, or an environment variable in CI)."""

from __future__ import annotations

import os
from pathlib import Path

from skillport_build.errors import KeyFileError, UsageError
from skillport_build.trust.minisign import (
    PublicKey,
    SecretKey,
    parse_public_key,
    parse_secret_key,
    secret_key_text,
)

KEY_ENV = "SKILLPORT_SIGNING_KEY"  # the secret key file's content, e.g. from a CI secret
PASSPHRASE_ENV = "SKILLPORT_KEY_PASSPHRASE"


def secret_key_text_from(path: Path | None) -> tuple[str, str]:
    """The secret key's text and where it came from: `path`, else $SKILLPORT_SIGNING_KEY."""
    if path is not None:
        try:
            return path.read_text(), str(path)
        except OSError as exc:
            raise KeyFileError(f"cannot read secret key {path}: {exc.strerror}") from None
    text = os.environ.get(KEY_ENV)
    if not text:
        raise UsageError(f"no signing key: pass --key FILE or set {KEY_ENV} to the key file's content")
    return text, f"${KEY_ENV}"


def is_encrypted(text: str) -> bool:
    """Whether a secret key needs a passphrase (without decrypting it)."""
    try:
        parse_secret_key(text, None)
    except KeyFileError as exc:
        return "encrypted" in str(exc)
    return False


def load_secret_key(text: str, what: str, passphrase: str | None) -> SecretKey:
    """Decrypt a secret key with `passphrase` (default: $SKILLPORT_KEY_PASSPHRASE)."""
    return parse_secret_key(text, passphrase or os.environ.get(PASSPHRASE_ENV), what)


def load_public_keys(paths: tuple[Path, ...]) -> list[PublicKey]:
    """Read every trusted public key."""
    keys = []
    for path in paths:
        try:
            keys.append(parse_public_key(path.read_text(), str(path)))
        except OSError as exc:
            raise KeyFileError(f"cannot read public key {path}: {exc.strerror}") from None
    return keys


def write_key_pair(
    prefix: Path, key: SecretKey, passphrase: str | None, *, force: bool = False
) -> tuple[Path, Path]:
    """Write PREFIX.key (mode 600) and PREFIX.pub; refuse to overwrite unless forced."""
    secret, public = prefix.with_name(prefix.name + ".key"), prefix.with_name(prefix.name + ".pub")
    for path in (secret, public):
        if path.exists() and not force:
            raise KeyFileError(f"{path} exists; choose another --out or pass --force to replace it")
    prefix.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(secret, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secret_key_text(key, passphrase))
    public.write_text(key.public().to_text())
    return secret, public
