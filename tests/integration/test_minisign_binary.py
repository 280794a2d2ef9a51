"""Debian's minisign verifies our signatures, and we verify its signatures."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from factory import TEMPLATE
from integration.tools import require
from releasing import LATER, build_at, signed_build

from skillport_build.trust.keys import load_public_keys
from skillport_build.trust.minisign import parse_secret_key, secret_key_text
from skillport_build.trust.records import prove
from skillport_build.trust.verify import trusted_comment, verify_dir

pytestmark = pytest.mark.integration


def test_minisign_verifies_our_catalog_signature(tmp_path: Path) -> None:
    minisign = require("minisign")
    _, key = signed_build(TEMPLATE, tmp_path / "out")
    (tmp_path / "k.pub").write_text(key.public().to_text())
    result = subprocess.run(
        [minisign, "-V", "-p", str(tmp_path / "k.pub"), "-m", str(tmp_path / "out/catalog.json")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (
        "Trusted comment: catalog_version:1 expires:2026-12-01T12:00:00Z file:catalog.json" in result.stdout
    )


def test_we_verify_a_signature_made_by_minisign(tmp_path: Path) -> None:
    minisign = require("minisign")
    subprocess.run(
        [minisign, "-G", "-W", "-p", str(tmp_path / "m.pub"), "-s", str(tmp_path / "m.key")],
        check=True,
        capture_output=True,
    )
    built = build_at(TEMPLATE, tmp_path / "out").catalog
    # The records are signed on their own with the same key (minisign knows nothing of them), then
    # minisign signs the catalog that carries them.
    catalog = prove(built, parse_secret_key((tmp_path / "m.key").read_text(), None))
    (tmp_path / "out/catalog.json").write_bytes(catalog.to_bytes())
    subprocess.run(
        [
            minisign,
            "-S",
            "-s",
            str(tmp_path / "m.key"),
            "-m",
            str(tmp_path / "out/catalog.json"),
            "-t",
            trusted_comment(catalog),
        ],
        check=True,
        capture_output=True,
    )
    keys = load_public_keys((tmp_path / "m.pub",))
    verified = verify_dir(tmp_path / "out", keys, LATER, None)
    assert (verified.bundles, verified.texts) == (11, len(catalog.texts or ()))
    assert verified.texts > 0
    assert parse_secret_key((tmp_path / "m.key").read_text(), None).public() == keys[0]


def test_minisign_signs_with_our_encrypted_key(tmp_path: Path) -> None:
    minisign = require("minisign")
    _, key = signed_build(TEMPLATE, tmp_path / "out")
    (tmp_path / "k.key").write_text(secret_key_text(key, "s3cret pass"))
    (tmp_path / "msg").write_bytes(b"hello\n")
    result = subprocess.run(
        [minisign, "-S", "-s", str(tmp_path / "k.key"), "-m", str(tmp_path / "msg"), "-t", "hi"],
        input="s3cret pass\n",
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    (tmp_path / "k.pub").write_text(key.public().to_text())
    check = subprocess.run(
        [minisign, "-V", "-p", str(tmp_path / "k.pub"), "-m", str(tmp_path / "msg")],
        capture_output=True,
        check=False,
    )
    assert check.returncode == 0
