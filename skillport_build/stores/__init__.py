"""Artifact stores behind one interface, chosen by URL.

/srv/skillport, file:///srv/skillport     a local folder (the embedded default)
oci://HOST[:PORT]/NAMESPACE               an OCI registry, through ORAS
github://OWNER/REPO                       GitHub Releases, through PyGithub
s3://BUCKET[/PREFIX]                      an S3-compatible object store, through boto3
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

from skillport_build.errors import UsageError
from skillport_build.models.catalog import Catalog
from skillport_build.stores.base import Store
from skillport_build.stores.local import LocalStore

__all__ = ["LocalStore", "Store", "current_catalog", "open_store"]


def open_store(url: str) -> Store:
    """Open the store a URL names."""
    parsed = urlparse(url)
    if parsed.scheme in ("", "file"):
        return LocalStore(Path(unquote(parsed.path) if parsed.scheme else url))
    if parsed.scheme == "oci":
        from skillport_build.stores.oci import OciStore  # network clients load only when used

        return OciStore(url)
    if parsed.scheme == "github":
        from skillport_build.stores.github import GithubStore

        return GithubStore(url)
    if parsed.scheme == "s3":
        from skillport_build.stores.s3 import S3Store

        return S3Store(url)
    raise UsageError(
        f"store URL {url!r}: use a folder, file://, oci://HOST/NAMESPACE, github://OWNER/REPO "
        "or s3://BUCKET/PREFIX"
    )


def current_catalog(store: Store) -> Catalog | None:
    """The catalog the store's pointer names (unverified), or None for an empty store."""
    pointer = store.pointer()
    return None if pointer is None else Catalog.from_bytes(pointer.catalog, f"{store.url}/catalog.json")
