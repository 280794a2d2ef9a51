from __future__ import annotations

import base64

import pytest

from skillport_build.errors import KeyFileError, SignatureError
from skillport_build.trust.minisign import (
    _scrypt_params,
    generate,
    parse_public_key,
    parse_secret_key,
    secret_key_text,
    sign,
    verify,
)


def test_sign_and_verify_round_trip() -> None:
    key = generate()
    text = sign(key, b"data", "catalog_version:3 expires:x", "note")
    assert text.splitlines()[2] == "trusted comment: catalog_version:3 expires:x"
    assert verify(b"data", text, [key.public()]).trusted_comment == "catalog_version:3 expires:x"


def test_changed_data_comment_or_key_are_refused() -> None:
    key, other = generate(), generate()
    text = sign(key, b"data", "tc", "note")
    with pytest.raises(SignatureError, match="bad signature: the signed file was changed"):
        verify(b"datA", text, [key.public()])
    forged = text.replace("trusted comment: tc", "trusted comment: tc2")
    with pytest.raises(SignatureError, match="trusted comment: it was changed"):
        verify(b"data", forged, [key.public()])
    with pytest.raises(
        SignatureError, match=f"unknown key {key.public().id_hex} \\(trusted: {other.public().id_hex}\\)"
    ):
        verify(b"data", text, [other.public()])


def test_several_trusted_keys_allow_rotation() -> None:
    old, new = generate(), generate()
    assert verify(b"d", sign(new, b"d", "t", "n"), [old.public(), new.public()])


def test_unencrypted_key_files_round_trip() -> None:
    key = generate()
    assert parse_secret_key(secret_key_text(key, None), None) == key
    assert parse_public_key(key.public().to_text()) == key.public()


def test_an_unencrypted_key_file_with_a_changed_key_id_is_refused_by_its_checksum() -> None:
    blob = bytearray(base64.b64decode(secret_key_text(generate(), None).splitlines()[1]))
    blob[54] ^= 0x01  # the first byte of the key id, which signatures name
    text = f"untrusted comment: minisign secret key\n{base64.b64encode(bytes(blob)).decode()}\n"
    with pytest.raises(KeyFileError, match="the key file is damaged"):
        parse_secret_key(text, None)


def test_encrypted_key_needs_the_right_passphrase() -> None:
    key = generate()
    text = secret_key_text(key, "correct horse")
    with pytest.raises(KeyFileError, match="encrypted: give its passphrase"):
        parse_secret_key(text, None)
    with pytest.raises(KeyFileError, match="wrong passphrase"):
        parse_secret_key(text, "wrong")
    assert parse_secret_key(text, "correct horse") == key


@pytest.mark.parametrize("text", ["", "untrusted comment: x\n!!!\n", "untrusted comment: x\nRWQ=\n"])
def test_malformed_keys_are_refused(text: str) -> None:
    with pytest.raises(KeyFileError):
        parse_secret_key(text, None)
    with pytest.raises(KeyFileError):
        parse_public_key(text)


def test_scrypt_parameters_match_libsodium() -> None:
    assert _scrypt_params(33554432, 1073741824) == (20, 8, 1)  # minisign's defaults
    assert _scrypt_params(524288, 16777216) == (14, 8, 1)  # libsodium's interactive limits


def test_a_secret_key_never_shows_its_seed() -> None:
    key = generate()
    assert key.seed.hex() not in repr(key) and str(key.seed) not in repr(key)
