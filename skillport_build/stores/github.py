"""GitHub Releases of a (private) repository as a store, through PyGithub.

`github://OWNER/REPO`; the token comes from SKILLPORT_GITHUB_TOKEN or GITHUB_TOKEN, the API from
SKILLPORT_GITHUB_API_URL (GitHub Enterprise; default https://api.github.com). Writes are spaced
by SKILLPORT_GITHUB_WRITE_INTERVAL seconds (default 1, as GitHub asks of integrations). Layout:

    bundles/<skill>/<version>/<file>    release skillport/bundles/<skill>/<version>, asset <file>
    plugins/<plugin>/<version>/<file>   release skillport/plugins/<plugin>/<version>, asset <file>
    catalogs/<n>.json(.minisig|.zst)    release skillport/catalogs/<n>, assets catalog.json(.minisig|.zst)
    texts/<nn>.<sha256>.json.zst        release skillport/texts/<nn>.<sha256>, asset texts.json.zst
    the pointer                         the repository's *latest* release, always a catalog release

One release per version keeps each bundle beside its version's notes and makes put-if-absent real:
GitHub refuses a second release with the same tag and a second asset with the same name. Moving
the pointer is a single "make latest" update, so catalog.json, its signature and its compressed
twin catalog.json.zst (uploaded to the release before it is made latest) change together; a
reader takes the twin when the release holds one, and checks it against catalog.json's digest.
Assets are downloaded with `Accept: application/octet-stream`, as private repositories require.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
from collections.abc import Callable
from typing import TypeVar
from urllib.parse import urlparse

from github import Auth, Github, GithubException
from github.GitRelease import GitRelease
from github.GitReleaseAsset import GitReleaseAsset
from github.Repository import Repository
from requests import RequestException

from skillport_build.errors import BlobConflict, PointerMoved, StoreAuthError, StoreError, TransientStoreError
from skillport_build.models.catalog_zst import decompress_catalog
from skillport_build.stores.base import (
    CATALOG_SUFFIXES,
    POINTER,
    POINTER_COMPRESSED,
    POINTER_SIGNATURE,
    Pointer,
    Store,
    retry,
)

T = TypeVar("T")
PREFIX = "skillport"
TEXTS_SUFFIX = ".json.zst"
NOTES = "Published by Skillport. Do not edit or delete: catalogs and installs refer to these files."
DEFAULT_API = "https://api.github.com"


class GithubStore(Store):
    """Releases of one repository."""

    def __init__(self, url: str, client: Github | None = None) -> None:
        parsed = urlparse(url)
        self.full_name = f"{parsed.netloc}{parsed.path}".strip("/")
        if self.full_name.count("/") != 1:
            raise StoreError(f"{url}: a GitHub store URL is github://OWNER/REPO")
        self.url = url
        self._client = client
        self._repo: Repository | None = None

    # -- plumbing -----------------------------------------------------------------------------

    def _token_source(self) -> tuple[str, str]:
        for name in ("SKILLPORT_GITHUB_TOKEN", "GITHUB_TOKEN"):
            if token := os.environ.get(name):
                return token, name
        raise StoreAuthError(f"{self.url}: no token; set SKILLPORT_GITHUB_TOKEN (or GITHUB_TOKEN in Actions)")

    def _call(self, operation: Callable[[], T]) -> T:
        """Run one API call: retry transient failures, turn refusals into clear errors."""

        def once() -> T:
            try:
                return operation()
            except GithubException as exc:
                if exc.status in (401, 403) and "rate limit" not in str(exc.data).lower():
                    _, source = self._token_source()
                    raise StoreAuthError(
                        f"{self.url}: GitHub refused the token from {source} (HTTP {exc.status}); it needs "
                        "read and write access to the repository's contents"
                    ) from None
                if exc.status in (429, 403) or exc.status >= 500:
                    raise TransientStoreError(f"{self.url}: GitHub answered {exc.status}") from None
                raise
            except RequestException as exc:
                raise TransientStoreError(f"{self.url}: {exc}") from None

        return retry(once)

    @property
    def repo(self) -> Repository:
        """The repository, looked up once."""
        if self._repo is None:
            if self._client is None:
                token, _ = self._token_source()
                api = os.environ.get("SKILLPORT_GITHUB_API_URL", DEFAULT_API)
                pause = float(os.environ.get("SKILLPORT_GITHUB_WRITE_INTERVAL", "1.0"))
                self._client = Github(
                    auth=Auth.Token(token),
                    base_url=api,
                    retry=None,  # ours: backoff on 5xx, 429 and secondary rate limits
                    seconds_between_requests=0,
                    seconds_between_writes=pause,  # GitHub asks for ~1 s between content writes
                )
            client = self._client
            try:
                self._repo = self._call(lambda: client.get_repo(self.full_name))
            except GithubException as exc:
                if exc.status == 404:
                    raise StoreError(
                        f"{self.url}: no repository {self.full_name} visible to the token"
                    ) from None
                raise
        return self._repo

    def _release(self, tag: str) -> GitRelease | None:
        try:
            return self._call(lambda: self.repo.get_release(tag))
        except GithubException as exc:
            if exc.status == 404:
                return None
            raise

    def _asset(self, release: GitRelease, name: str) -> GitReleaseAsset | None:
        assets = self._call(lambda: list(release.get_assets()))
        return next((a for a in assets if a.name == name), None)

    def _download(self, asset: GitReleaseAsset) -> bytes:
        def fetch() -> bytes:
            _, _, chunks = asset.download_asset(chunk_size=1 << 16)
            return b"".join(chunks)

        return self._call(fetch)

    # -- keys ---------------------------------------------------------------------------------

    @staticmethod
    def _place(key: str) -> tuple[str, str]:
        """(release tag, asset name) of a key."""
        parts = key.split("/")
        if len(parts) == 4 and parts[0] in ("bundles", "plugins"):
            return f"{PREFIX}/{parts[0]}/{parts[1]}/{parts[2]}", parts[3]
        if len(parts) == 2 and parts[0] == "catalogs" and parts[1].endswith(CATALOG_SUFFIXES):
            number, _, suffix = parts[1].partition(".")
            return f"{PREFIX}/catalogs/{number}", f"catalog.{suffix}"
        if len(parts) == 2 and parts[0] == "texts" and parts[1].endswith(TEXTS_SUFFIX):
            return f"{PREFIX}/texts/{parts[1].removesuffix(TEXTS_SUFFIX)}", f"texts{TEXTS_SUFFIX}"
        raise StoreError(f"no GitHub release for the key {key!r}")

    @staticmethod
    def _key(tag: str, asset: str) -> str | None:
        parts = tag.split("/")
        if len(parts) == 4 and parts[0] == PREFIX and parts[1] in ("bundles", "plugins"):
            return f"{parts[1]}/{parts[2]}/{parts[3]}/{asset}"
        if len(parts) == 3 and parts[:2] == [PREFIX, "catalogs"] and asset.startswith("catalog."):
            return f"catalogs/{parts[2]}.{asset.removeprefix('catalog.')}"
        if len(parts) == 3 and parts[:2] == [PREFIX, "texts"] and asset == f"texts{TEXTS_SUFFIX}":
            return f"texts/{parts[2]}{TEXTS_SUFFIX}"
        return None

    # -- the Store interface ------------------------------------------------------------------

    def get(self, key: str) -> bytes | None:
        tag, name = self._place(key)
        release = self._release(tag)
        asset = self._asset(release, name) if release else None
        return self._download(asset) if asset else None

    def digest(self, key: str) -> str | None:
        tag, name = self._place(key)
        release = self._release(tag)
        asset = self._asset(release, name) if release else None
        if asset is None:
            return None
        if asset.digest and asset.digest.startswith("sha256:"):
            return asset.digest.removeprefix("sha256:")
        return hashlib.sha256(self._download(asset)).hexdigest()  # older GitHub Enterprise: no digests

    def _write_new(self, key: str, data: bytes, sha256: str) -> None:
        tag, name = self._place(key)
        release = self._release(tag) or self._create_release(tag)
        try:
            self._call(
                lambda: release.upload_asset_from_memory(
                    io.BytesIO(data), len(data), name, _content_type(name)
                )
            )
        except GithubException as exc:
            if exc.status != 422:
                raise
            existing = self.digest(key)  # another publish uploaded it first
            if existing != sha256:
                raise BlobConflict(key, existing or "?", sha256) from None

    def _create_release(self, tag: str) -> GitRelease:
        try:
            return self._call(lambda: self.repo.create_git_release(tag, tag, NOTES, make_latest="false"))
        except GithubException as exc:
            if exc.status != 422:  # 422: the tag exists, someone created it a moment ago
                raise
            release = self._release(tag)
            if release is None:
                raise StoreError(f"{self.url}: cannot create release {tag}: {exc.data}") from None
            return release

    def keys(self, prefix: str) -> list[str]:
        found = []
        for release in self._call(lambda: list(self.repo.get_releases())):
            if not release.tag_name.startswith(PREFIX + "/"):
                continue
            for asset in self._call(lambda release=release: list(release.get_assets())):  # type: ignore[misc]
                key = self._key(release.tag_name, asset.name)
                if key and key.startswith(prefix):
                    found.append(key)
        return sorted(found)

    def delete(self, key: str) -> None:
        tag, name = self._place(key)
        release = self._release(tag)
        asset = self._asset(release, name) if release else None
        if asset is None or release is None:
            return
        self._call(asset.delete_asset)
        if not self._call(lambda: list(release.get_assets())):
            self._call(release.delete_release)
            self._call(lambda: self.repo.get_git_ref(f"tags/{tag}").delete())

    def _latest(self) -> GitRelease | None:
        """The "latest" release (the pointer), or None before the first publish."""
        try:
            return self._call(self.repo.get_latest_release)
        except GithubException as exc:
            if exc.status == 404:
                return None
            raise

    def pointer_tag(self) -> str | None:
        latest = self._latest()
        return None if latest is None else f"{latest.id}:{latest.tag_name}"

    def pointer(self) -> Pointer | None:
        latest = self._latest()
        if latest is None:
            return None
        if not latest.tag_name.startswith(f"{PREFIX}/catalogs/"):
            raise StoreError(
                f"{self.url}: the latest release is {latest.tag_name}, not a Skillport catalog; keep this "
                "repository for Skillport's releases only"
            )
        assets = {a.name: a for a in self._call(lambda: list(latest.get_assets()))}
        catalog, signature = assets.get(POINTER), assets.get(POINTER_SIGNATURE)
        if catalog is None or signature is None:
            raise StoreError(f"{self.url}: release {latest.tag_name} lacks catalog.json or its signature")
        twin = assets.get(POINTER_COMPRESSED)
        if twin is None:
            return Pointer(self._download(catalog), self._download(signature))
        blob = self._download(twin)
        digest = catalog.digest or ""  # older GitHub Enterprise has none: the signature still checks
        plain = digest.removeprefix("sha256:") if digest.startswith("sha256:") else None
        where = f"{self.url} release {latest.tag_name} {POINTER_COMPRESSED}"
        return Pointer(decompress_catalog(blob, where, plain), self._download(signature), blob)

    def swap_pointer(self, expected: str | None, new: Pointer) -> None:
        current = self.pointer()
        if (current.sha256 if current else None) != expected:
            raise PointerMoved(f"{self.url}: the catalog pointer moved (another publish won)")
        version = _catalog_version(new.catalog)
        tag = f"{PREFIX}/catalogs/{version}"
        release = self._release(tag)
        if release is None or self.digest(f"catalogs/{version}.json") != new.sha256:
            raise StoreError(f"{self.url}: release {tag} does not hold this catalog; publish writes it first")
        if new.compressed is not None:
            # Published before twins existed (a repair): add it. One already there stays; readers
            # check it against catalog.json's digest.
            with contextlib.suppress(BlobConflict):
                self.put_new(f"catalogs/{version}.json.zst", new.compressed)
        self._call(lambda: release.update_release(release.name, release.body or NOTES, make_latest="true"))
        after = self.pointer()
        if after is None or after.sha256 != new.sha256:
            raise PointerMoved(f"{self.url}: another publish moved the pointer at the same moment")


def _catalog_version(raw: bytes) -> int:
    try:
        return int(json.loads(raw)["catalog_version"])
    except (ValueError, KeyError, TypeError):
        raise StoreError("the pointer must be a Skillport catalog") from None


def _content_type(name: str) -> str:
    if name.endswith(".zip"):
        return "application/zip"
    if name.endswith(".zst"):
        return "application/zstd"
    return "application/json" if name.endswith(".json") else "text/plain"
