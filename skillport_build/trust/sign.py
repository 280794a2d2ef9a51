"""`skillport sign`: sign DIR/catalog.json, binding its version and expiry in the trusted comment."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from skillport_build.models.catalog import Catalog
from skillport_build.trust.minisign import SecretKey, sign
from skillport_build.trust.verify import CATALOG, SIGNATURE, trusted_comment


def sign_dir(root: Path, key: SecretKey) -> Path:
    """Write DIR/catalog.json.minisig for the catalog as it is now; return its path."""
    raw = (root / CATALOG).read_bytes()
    catalog = Catalog.from_bytes(raw, str(root / CATALOG))
    text = sign(key, raw, trusted_comment(catalog), f"skillport catalog {catalog.catalog_version} signature")
    target = root / SIGNATURE
    fd, tmp = tempfile.mkstemp(prefix=".catalog.", dir=root)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, target)
    return target
