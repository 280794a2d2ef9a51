"""`skillport sign`: sign DIR/catalog.json, binding its version and expiry in the trusted comment.

Each record is signed on its own first (trust/records.py), so the catalog is rewritten with its
proofs, then signed whole.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from skillport_build.models.catalog import Catalog
from skillport_build.trust.minisign import SecretKey, sign
from skillport_build.trust.records import prove
from skillport_build.trust.verify import CATALOG, SIGNATURE, trusted_comment


def sign_dir(root: Path, key: SecretKey) -> Path:
    """Write DIR/catalog.json.minisig for the catalog as it is now; return its path."""
    before = (root / CATALOG).read_bytes()
    catalog = prove(Catalog.from_bytes(before, str(root / CATALOG)), key)
    raw = catalog.to_bytes()
    text = sign(key, raw, trusted_comment(catalog), f"skillport catalog {catalog.catalog_version} signature")
    if raw != before:
        _write(root / CATALOG, raw)
    target = root / SIGNATURE
    _write(target, text.encode())
    return target


def _write(target: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".catalog.", dir=target.parent)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(tmp, 0o644)
    os.replace(tmp, target)
