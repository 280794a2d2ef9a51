"""Artifact stores, chosen by URL. Only the local directory store exists so far.

A store holds `bundles/…`, `plugins/…`, `catalogs/<n>.json(+.minisig)` and the pointer
`catalog.json(+.minisig)`; every backend offers the same operations.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

from skillport_build.catalog import Catalog
from skillport_build.errors import CatalogError, UsageError


class LocalStore:
    """A plain folder (the embedded default): `/srv/skills` or `file:///srv/skills`."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def read(self, key: str) -> bytes | None:
        """The bytes at `key`, or None when there is nothing there."""
        try:
            return (self.root / key).read_bytes()
        except FileNotFoundError:
            return None

    def current_catalog(self) -> Catalog | None:
        """The catalog the pointer names, or None for an empty store."""
        raw = self.read("catalog.json")
        return None if raw is None else Catalog.from_bytes(raw, f"{self.root}/catalog.json")


def open_store(url: str) -> LocalStore:
    """Open the store a URL names."""
    parsed = urlparse(url)
    if parsed.scheme in ("", "file"):
        path = Path(unquote(parsed.path) if parsed.scheme else url)
        if not path.is_dir():
            raise CatalogError(f"store {url} is not a folder; create it or check the URL")
        return LocalStore(path)
    raise UsageError(f"store URL {url!r}: only local folders and file:// URLs are supported so far")
