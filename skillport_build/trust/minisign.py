"""Ed25519 keys and signatures in minisign's formats, so `minisign -V` verifies our catalogs.

Public key file:   untrusted comment line, then base64("Ed" | key id (8) | public key (32)).
Secret key file:   untrusted comment line, then base64("Ed" | kdf "Sc" or 0,0 | "B2" | salt (32) |
                   opslimit (8, LE) | memlimit (8, LE) | key id (8) ^ … | secret key (64) ^ … |
                   checksum (32) ^ …), the last 104 bytes XORed with scrypt(passphrase) when
                   encrypted; checksum = BLAKE2b-256("Ed" | key id | secret key).
Signature file:    untrusted comment, base64("ED" | key id | Ed25519(BLAKE2b-512(file))),
                   trusted comment, base64(Ed25519(signature | trusted comment)).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import struct
from dataclasses import dataclass, field
from functools import cached_property

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from skillport_build.errors import KeyFileError, SignatureError

SIG_ED = b"Ed"  # legacy: signs the message itself
SIG_ED_HASHED = b"ED"  # signs BLAKE2b-512 of the message (minisign's default)
KDF_SCRYPT = b"Sc"
KDF_NONE = b"\0\0"
CHECKSUM_BLAKE2B = b"B2"
# minisign's defaults (libsodium's scryptsalsa208sha256 "sensitive" limits): scrypt N=2^20, r=8, p=1.
OPSLIMIT = 33554432
MEMLIMIT = 1073741824
_KEYNUM_LEN = 8 + 64 + 32


@dataclass(frozen=True)
class PublicKey:
    """A trusted key: its id (8 bytes) and Ed25519 public key."""

    key_id: bytes
    key: bytes

    @property
    def id_hex(self) -> str:
        """The key id as minisign prints it (little-endian, upper-case hex)."""
        return self.key_id[::-1].hex().upper()

    def to_text(self) -> str:
        """The .pub file's content."""
        encoded = base64.b64encode(SIG_ED + self.key_id + self.key).decode()
        return f"untrusted comment: minisign public key {self.id_hex}\n{encoded}\n"


@dataclass(frozen=True)
class SecretKey:
    """A decrypted signing key."""

    key_id: bytes
    seed: bytes = field(repr=False)  # the 32-byte Ed25519 seed, never in a traceback or log

    @cached_property
    def _private(self) -> Ed25519PrivateKey:
        """Made once: signing every record of a large catalog would otherwise spend half its time here."""
        return Ed25519PrivateKey.from_private_bytes(self.seed)

    def public(self) -> PublicKey:
        """The matching public key."""
        raw = self._private.public_key()
        return PublicKey(self.key_id, raw.public_bytes(Encoding.Raw, PublicFormat.Raw))

    def sign(self, data: bytes) -> bytes:
        """Ed25519-sign `data`."""
        return self._private.sign(data)


@dataclass(frozen=True)
class Signature:
    """A parsed .minisig file."""

    algorithm: bytes
    key_id: bytes
    signature: bytes
    trusted_comment: str
    global_signature: bytes


def generate() -> SecretKey:
    """A fresh key pair with a random id."""
    return SecretKey(os.urandom(8), os.urandom(32))


def _scrypt_stream(passphrase: str, salt: bytes, opslimit: int, memlimit: int) -> bytes:
    n_log2, r, p = _scrypt_params(opslimit, memlimit)
    n = 1 << n_log2
    return hashlib.scrypt(
        passphrase.encode(),
        salt=salt,
        n=n,
        r=r,
        p=p,
        maxmem=128 * r * (n + p + 2) + 1024 * 1024,
        dklen=_KEYNUM_LEN,
    )


def _scrypt_params(opslimit: int, memlimit: int) -> tuple[int, int, int]:
    """libsodium's pickparams(): turn minisign's ops/mem limits into scrypt's log2(N), r, p."""
    opslimit = max(opslimit, 32768)
    r = 8
    if opslimit < memlimit // 32:
        return _log2_below(opslimit // (r * 4)), r, 1
    n_log2 = _log2_below(memlimit // (r * 128))
    max_rp = min((opslimit // 4) // (1 << n_log2), 0x3FFFFFFF)
    return n_log2, r, max(max_rp // r, 1)


def _log2_below(max_n: int) -> int:
    n_log2 = 1
    while n_log2 < 63 and (1 << n_log2) <= max_n // 2:
        n_log2 += 1
    return n_log2


def _checksum(key_id: bytes, secret64: bytes) -> bytes:
    return hashlib.blake2b(SIG_ED + key_id + secret64, digest_size=32).digest()


def secret_key_text(key: SecretKey, passphrase: str | None) -> str:
    """The secret key file's content, encrypted with scrypt when a passphrase is given."""
    public = key.public().key
    secret64 = key.seed + public
    keynum = key.key_id + secret64 + _checksum(key.key_id, secret64)
    salt = os.urandom(32)
    if passphrase:
        stream = _scrypt_stream(passphrase, salt, OPSLIMIT, MEMLIMIT)
        keynum = bytes(a ^ b for a, b in zip(keynum, stream, strict=True))
        kdf = KDF_SCRYPT
    else:
        kdf = KDF_NONE
    blob = SIG_ED + kdf + CHECKSUM_BLAKE2B + salt + struct.pack("<QQ", OPSLIMIT, MEMLIMIT) + keynum
    comment = "minisign encrypted secret key" if passphrase else "minisign secret key (unencrypted)"
    return f"untrusted comment: {comment}\n{base64.b64encode(blob).decode()}\n"


def _payload(text: str, what: str) -> bytes:
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) < 2 or not lines[0].startswith("untrusted comment:"):
        raise KeyFileError(f"{what} is not a minisign key (expected an 'untrusted comment:' line and base64)")
    try:
        return base64.b64decode(lines[1], validate=True)
    except ValueError:
        raise KeyFileError(f"{what} has a damaged base64 line") from None


def parse_secret_key(text: str, passphrase: str | None, what: str = "the secret key") -> SecretKey:
    """Read (and decrypt) a minisign secret key file."""
    blob = _payload(text, what)
    if len(blob) != 2 + 2 + 2 + 32 + 16 + _KEYNUM_LEN or blob[:2] != SIG_ED or blob[4:6] != CHECKSUM_BLAKE2B:
        raise KeyFileError(f"{what} is not a minisign Ed25519 secret key")
    kdf, salt = blob[2:4], blob[6:38]
    opslimit, memlimit = struct.unpack("<QQ", blob[38:54])
    keynum = blob[54:]
    if kdf == KDF_SCRYPT:
        if not passphrase:
            raise KeyFileError(f"{what} is encrypted: give its passphrase (SKILLPORT_KEY_PASSPHRASE)")
        stream = _scrypt_stream(passphrase, salt, opslimit, memlimit)
        keynum = bytes(a ^ b for a, b in zip(keynum, stream, strict=True))
    elif kdf != KDF_NONE:
        raise KeyFileError(f"{what} uses an unknown key derivation")
    key_id, secret64, checksum = keynum[:8], keynum[8:72], keynum[72:]
    unchecked = kdf == KDF_NONE and checksum == bytes(32)  # `minisign -G -W` leaves it zero
    if not unchecked and not hmac.compare_digest(checksum, _checksum(key_id, secret64)):
        raise KeyFileError(f"{what}: wrong passphrase, or the key file is damaged")
    key = SecretKey(key_id, secret64[:32])
    if key.public().key != secret64[32:]:
        raise KeyFileError(f"{what} is damaged (its public half does not match)")
    return key


def parse_public_key(text: str, what: str = "the public key") -> PublicKey:
    """Read a minisign public key file (or its bare base64 line)."""
    lines = [line for line in text.splitlines() if line.strip()]
    payload = lines[-1] if lines else ""
    try:
        blob = base64.b64decode(payload, validate=True)
    except ValueError:
        raise KeyFileError(f"{what} is not a minisign public key") from None
    if len(blob) != 42 or blob[:2] != SIG_ED:
        raise KeyFileError(f"{what} is not a minisign Ed25519 public key")
    return PublicKey(blob[2:10], blob[10:])


def sign(key: SecretKey, data: bytes, trusted_comment: str, untrusted_comment: str) -> str:
    """A .minisig file's content: pre-hashed Ed25519 signature plus the signed trusted comment."""
    if "\n" in trusted_comment or "\r" in trusted_comment:
        raise ValueError("a trusted comment is one line")
    digest = hashlib.blake2b(data, digest_size=64).digest()
    signature = key.sign(digest)
    global_signature = key.sign(signature + trusted_comment.encode())
    first = base64.b64encode(SIG_ED_HASHED + key.key_id + signature).decode()
    second = base64.b64encode(global_signature).decode()
    return f"untrusted comment: {untrusted_comment}\n{first}\ntrusted comment: {trusted_comment}\n{second}\n"


def parse_signature(text: str) -> Signature:
    """Read a .minisig file."""
    lines = text.splitlines()
    if (
        len(lines) < 4
        or not lines[0].startswith("untrusted comment:")
        or not lines[2].startswith("trusted comment: ")
    ):
        raise SignatureError("the signature file is not in minisign format")
    try:
        blob = base64.b64decode(lines[1], validate=True)
        global_signature = base64.b64decode(lines[3], validate=True)
    except ValueError:
        raise SignatureError("the signature file has damaged base64") from None
    if len(blob) != 74 or blob[:2] not in (SIG_ED, SIG_ED_HASHED) or len(global_signature) != 64:
        raise SignatureError("the signature file is not an Ed25519 minisign signature")
    return Signature(blob[:2], blob[2:10], blob[10:], lines[2][len("trusted comment: ") :], global_signature)


def verify(data: bytes, signature_text: str, keys: list[PublicKey]) -> Signature:
    """Check a signature against trusted keys; return it (with its trusted comment) or raise."""
    signature = parse_signature(signature_text)
    key = next((k for k in keys if hmac.compare_digest(k.key_id, signature.key_id)), None)
    if key is None:
        known = ", ".join(k.id_hex for k in keys) or "none"
        raise SignatureError(
            f"signed by unknown key {signature.key_id[::-1].hex().upper()} (trusted: {known})"
        )
    message = hashlib.blake2b(data, digest_size=64).digest() if signature.algorithm == SIG_ED_HASHED else data
    public = Ed25519PublicKey.from_public_bytes(key.key)
    try:
        public.verify(signature.signature, message)
    except InvalidSignature:
        raise SignatureError("bad signature: the signed file was changed after signing") from None
    try:
        public.verify(signature.global_signature, signature.signature + signature.trusted_comment.encode())
    except InvalidSignature:
        raise SignatureError("bad signature on the trusted comment: it was changed after signing") from None
    return signature
