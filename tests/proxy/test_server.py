"""Running the proxy: the https pair is loaded before anything listens, so a bad one is a message."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from integration.netns import make_ca

from skillport_build.errors import UsageError
from skillport_build.proxy.config import ServeConfig
from skillport_build.proxy.server import tls_options


def settings(cert: Path | None, key: Path | None) -> ServeConfig:
    return ServeConfig(store="s", keys=(Path("k"),), dev=True, tls_cert=cert, tls_key=key)


def test_no_pair_serves_plain_http() -> None:
    assert tls_options(settings(None, None)) == {}


def test_a_readable_pair_goes_to_uvicorn(tmp_path: Path) -> None:
    made = make_ca(tmp_path)
    assert tls_options(settings(made.cert, made.key)) == {
        "ssl_certfile": str(made.cert),
        "ssl_keyfile": str(made.key),
    }


def test_a_missing_file_a_key_of_another_certificate_or_an_encrypted_key_is_refused(tmp_path: Path) -> None:
    made, other = make_ca(tmp_path / "one"), make_ca(tmp_path / "two")
    loaded = serialization.load_pem_private_key(made.key.read_bytes(), None)
    encrypted = tmp_path / "encrypted.key"
    encrypted.write_bytes(
        loaded.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"secret"),
        )
    )
    for cert, key, reason in (
        (tmp_path / "missing.pem", made.key, "No such file or directory"),
        (made.cert, other.key, "KEY_VALUES_MISMATCH"),
        (made.cert, encrypted, "the private key is encrypted"),
    ):
        with pytest.raises(UsageError) as refused:
            tls_options(settings(cert, key))
        message = str(refused.value)
        assert message.startswith(f"cannot read the https certificate {cert} or its key {key}: ")
        assert reason in message
        assert message.endswith(
            "give PEM files (--tls-cert, --tls-key) the proxy may read, the key unencrypted and belonging "
            "to the certificate"
        )
