"""An OCI registry (GHCR, ECR, Harbor, Docker's registry, …) as a store, through ORAS.

`oci://HOST[:PORT]/NAMESPACE`. Each key is an OCI artifact with one layer, in four repositories
(so listing needs no registry-wide catalog API, which GHCR lacks):

    bundles/<skill>/<version>/<file>    NAMESPACE/bundles:<skill>-<version>
    plugins/<plugin>/<version>/<file>   NAMESPACE/plugins:<plugin>-<version>
    catalogs/<n>.json(.minisig|.zst)    NAMESPACE/catalogs:<n>  /  :<n>.minisig  /  :<n>.zst
    texts/<nn>.<sha256>.json.zst        NAMESPACE/texts:<nn>.<sha256>
    the pointer                         NAMESPACE/catalogs:current, one manifest holding
                                        catalog.json, its signature and its compressed twin
                                        catalog.json.zst, so the three change together; a reader
                                        fetches the twin's layer (not the plain one) when the
                                        manifest has it, and checks it against the plain layer's
                                        digest

Every manifest names its key in the `io.skillport.key` annotation.

Registries have no conditional writes: put-if-absent and the pointer swap check, write, then read
back, which leaves a narrow window two simultaneous publishers could both pass (a local or GitHub
store closes it). Credentials: SKILLPORT_OCI_USERNAME / SKILLPORT_OCI_PASSWORD, else the Docker
config (`docker login`). Loopback registries are spoken to over plain HTTP.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from typing import Any
from urllib.parse import urlparse

import oras.provider
import requests

from skillport_build.errors import PointerMoved, StoreAuthError, StoreError, TransientStoreError
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

ARTIFACT_TYPE = "application/vnd.skillport.artifact.v1"
EMPTY_CONFIG = b"{}"
EMPTY_CONFIG_TYPE = "application/vnd.oci.empty.v1+json"
MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"
TITLE = "org.opencontainers.image.title"
KEY = "io.skillport.key"
POINTER_TAG = "current"
_LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
_TAG_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")
_MEDIA = {
    ".zip": "application/zip",
    ".json": "application/json",
    ".minisig": "text/plain",
    ".zst": "application/zstd",
}


class OciStore(Store):
    """A namespace in an OCI registry."""

    def __init__(self, url: str, registry: oras.provider.Registry | None = None) -> None:
        parsed = urlparse(url)
        if not parsed.netloc or not parsed.path.strip("/"):
            raise StoreError(f"{url}: an OCI store URL is oci://HOST[:PORT]/NAMESPACE")
        self.url, self.host, self.namespace = url, parsed.netloc, parsed.path.strip("/")
        insecure = (parsed.hostname or "") in _LOOPBACK
        self.base = f"{'http' if insecure else 'https'}://{self.host}/v2"
        self._registry = registry
        self._insecure = insecure
        self._configured: set[str] = set()
        self._configuring = threading.Lock()
        self._basic = False

    # -- requests -----------------------------------------------------------------------------

    @property
    def registry(self) -> oras.provider.Registry:
        """The ORAS client, with the auth scheme the registry asks for and our credentials."""
        if self._registry is None:
            self._registry = self._connect()
        return self._registry

    def _connect(self) -> oras.provider.Registry:
        try:
            ping = requests.get(f"{self.base}/", timeout=30)
        except requests.RequestException as exc:
            raise TransientStoreError(f"{self.url}: cannot reach the registry ({exc})") from None
        challenge = ping.headers.get("Www-Authenticate", "")
        backend = "basic" if challenge.lower().startswith("basic") else "token"
        self._basic = backend == "basic" and bool(challenge)
        registry = oras.provider.Registry(self.host, insecure=self._insecure, auth_backend=backend)
        user, password = os.environ.get("SKILLPORT_OCI_USERNAME"), os.environ.get("SKILLPORT_OCI_PASSWORD")
        if user and password:
            registry.auth.set_basic_auth(user, password)
        else:  # the Docker config: $DOCKER_CONFIG/config.json, else ~/.docker/config.json
            folder = os.environ.get("DOCKER_CONFIG")
            configs = [os.path.join(folder, "config.json")] if folder else None
            registry.auth.load_configs(
                registry.get_container(f"{self.namespace}/catalogs:{POINTER_TAG}"), configs
            )
        if challenge and not getattr(registry.auth, "_basic_auth", None):
            raise StoreAuthError(
                f"{self.url}: the registry wants credentials and none were found; set "
                "SKILLPORT_OCI_USERNAME and SKILLPORT_OCI_PASSWORD, or `docker login` to it"
            )
        return registry

    def _request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        url = path if path.startswith("http") else f"{self.base}/{path}"

        registry = self.registry
        if self._basic:  # say who we are up front, not after a 401 for every request
            kwargs["headers"] = {**kwargs.get("headers", {}), **registry.auth.get_auth_header()}

        def send() -> requests.Response:
            try:
                response: requests.Response = registry.do_request(url, method, **kwargs)
            except requests.RequestException as exc:
                raise TransientStoreError(f"{self.url}: {method} {url} failed ({exc})") from None
            except ValueError as exc:  # ORAS: "Cannot respond to request for authentication."
                raise self._auth_error(str(exc)) from None
            if response.status_code in (401, 403):
                raise self._auth_error(f"HTTP {response.status_code}")
            if response.status_code == 429 or response.status_code >= 500:
                raise TransientStoreError(f"{self.url}: {method} {url} answered {response.status_code}")
            return response

        return retry(send)

    def _auth_error(self, detail: str) -> StoreAuthError:
        source = (
            "SKILLPORT_OCI_USERNAME / SKILLPORT_OCI_PASSWORD"
            if os.environ.get("SKILLPORT_OCI_USERNAME")
            else "the Docker config (docker login)"
        )
        return StoreAuthError(f"{self.url}: the registry refused the credentials from {source} ({detail})")

    # -- keys ---------------------------------------------------------------------------------

    def _ref(self, key: str) -> tuple[str, str]:
        """(repository, tag) of a key."""
        parts = key.split("/")
        if len(parts) == 4 and parts[0] in ("bundles", "plugins"):
            return f"{self.namespace}/{parts[0]}", _tag(f"{parts[1]}-{parts[2]}")
        if len(parts) == 2 and parts[0] == "catalogs" and parts[1].endswith(CATALOG_SUFFIXES):
            return f"{self.namespace}/catalogs", _tag(parts[1].replace(".json", "", 1))
        if len(parts) == 2 and parts[0] == "texts" and parts[1].endswith(".json.zst"):
            return f"{self.namespace}/texts", _tag(parts[1].removesuffix(".json.zst"))
        raise StoreError(f"{self.url}: no OCI name for the key {key!r}")

    def _manifest_of(self, key: str) -> tuple[str, dict[str, Any] | None]:
        """The repository and manifest holding `key` (None when nothing is tagged for it)."""
        repository, tag = self._ref(key)
        manifest = self._manifest(repository, tag)
        owner = (manifest or {}).get("annotations", {}).get(KEY, key)
        if owner != key:
            raise StoreError(
                f"{self.url}: {repository}:{tag} holds {owner}, which clashes with {key}; rename one"
            )
        return repository, manifest

    def _manifest(self, repository: str, tag: str) -> dict[str, Any] | None:
        response = self._request("GET", f"{repository}/manifests/{tag}", headers={"Accept": MANIFEST_TYPE})
        if response.status_code == 404:
            return None
        _check(response, f"read {repository}:{tag}")
        manifest: dict[str, Any] = response.json()
        return manifest

    def _blob(self, repository: str, digest: str) -> bytes:
        response = self._request("GET", f"{repository}/blobs/{digest}")
        _check(response, f"read blob {digest} of {repository}")
        data = response.content
        if "sha256:" + hashlib.sha256(data).hexdigest() != digest:
            raise TransientStoreError(f"{self.url}: blob {digest} of {repository} arrived damaged")
        return data

    def _push_blob(self, repository: str, data: bytes, *, known: bool = False) -> str:
        """Upload a blob (monolithic: POST then PUT); `known` blobs are looked for first."""
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        if known and self._request("HEAD", f"{repository}/blobs/{digest}").status_code == 200:
            return digest
        start = self._request("POST", f"{repository}/blobs/uploads/")
        _check(start, f"start an upload to {repository}", 202)
        location = start.headers["Location"]
        if not location.startswith("http"):
            location = f"{self.base.removesuffix('/v2')}{location}"
        separator = "&" if "?" in location else "?"
        done = self._request(
            "PUT",
            f"{location}{separator}digest={digest}",
            data=data,
            headers={"Content-Type": "application/octet-stream", "Content-Length": str(len(data))},
        )
        _check(done, f"upload to {repository}", 201)
        return digest

    def _push(
        self, repository: str, tag: str, layers: list[tuple[str, bytes]], key: str, known: bool = False
    ) -> None:
        self._configure(repository)
        config = "sha256:" + hashlib.sha256(EMPTY_CONFIG).hexdigest()
        descriptors = [
            {
                "mediaType": _media(name),
                "digest": self._push_blob(repository, data, known=known),
                "size": len(data),
                "annotations": {TITLE: name},
            }
            for name, data in layers
        ]
        manifest = {
            "schemaVersion": 2,
            "mediaType": MANIFEST_TYPE,
            "artifactType": ARTIFACT_TYPE,
            "config": {"mediaType": EMPTY_CONFIG_TYPE, "digest": config, "size": len(EMPTY_CONFIG)},
            "layers": descriptors,
            "annotations": {KEY: key},
        }
        body = json.dumps(manifest, separators=(",", ":"), sort_keys=True).encode()
        response = self._put_manifest(repository, tag, body)
        if response.status_code == 400 and "BLOB_UNKNOWN" in response.text:
            # Another upload of the same bytes (a publisher beside us) can leave a blob briefly
            # unknown while the registry commits it: send what the manifest names again, once.
            self._push_blob(repository, EMPTY_CONFIG, known=True)
            for _, data in layers:
                self._push_blob(repository, data, known=True)
            response = self._put_manifest(repository, tag, body)
        _check(response, f"tag {repository}:{tag}", 201)

    def _configure(self, repository: str) -> None:
        """The empty config blob, once per repository and one upload at a time.

        Parallel uploads of one blob race in Docker's registry (a manifest then names a blob it
        reports as unknown), so the first push to a repository sends it while the others wait.
        """
        with self._configuring:
            if repository not in self._configured:
                self._push_blob(repository, EMPTY_CONFIG, known=True)
                self._configured.add(repository)

    def _put_manifest(self, repository: str, tag: str, body: bytes) -> requests.Response:
        return self._request(
            "PUT", f"{repository}/manifests/{tag}", data=body, headers={"Content-Type": MANIFEST_TYPE}
        )

    # -- the Store interface ------------------------------------------------------------------

    def get(self, key: str) -> bytes | None:
        repository, manifest = self._manifest_of(key)
        return None if manifest is None else self._blob(repository, manifest["layers"][0]["digest"])

    def digest(self, key: str) -> str | None:
        _, manifest = self._manifest_of(key)
        return None if manifest is None else str(manifest["layers"][0]["digest"]).removeprefix("sha256:")

    def _write_new(self, key: str, data: bytes, sha256: str) -> None:
        repository, tag = self._ref(key)
        self._push(repository, tag, [(key.rsplit("/", 1)[-1], data)], key)
        # The registry API has no conditional PUT: publish reads every upload back before it moves
        # the pointer, which is where a blob replaced by a simultaneous publisher is caught.

    def keys(self, prefix: str) -> list[str]:
        found = []
        for kind in ("bundles", "plugins", "catalogs", "texts"):
            if f"{kind}/".startswith(prefix) or prefix.startswith(f"{kind}/"):
                found += [k for k in self._keys_of(kind) if k.startswith(prefix)]
        return sorted(found)

    def _paged(self, path: str, field: str, what: str) -> list[str]:
        """Follow the registry's `Link: <…>; rel="next"` pages."""
        items: list[str] = []
        next_url: str | None = path
        while next_url:
            response = self._request("GET", next_url)
            if response.status_code == 404:
                return items
            _check(response, what)
            items += response.json().get(field) or []
            link = response.links.get("next", {}).get("url")
            next_url = f"{self.base.removesuffix('/v2')}{link}" if link and link.startswith("/") else link
        return items

    def _keys_of(self, kind: str) -> list[str]:
        repository = f"{self.namespace}/{kind}"
        tags = self._paged(f"{repository}/tags/list?n=1000", "tags", f"list tags of {repository}")
        if kind == "catalogs":
            return [f"catalogs/{_catalog_file(t)}" for t in tags if t != POINTER_TAG]
        keys = []
        for tag in tags:
            manifest = self._manifest(repository, tag)
            if manifest and (key := manifest.get("annotations", {}).get(KEY)):
                keys.append(key)
        return keys

    def delete(self, key: str) -> None:
        repository, tag = self._ref(key)
        head = self._request("HEAD", f"{repository}/manifests/{tag}", headers={"Accept": MANIFEST_TYPE})
        if head.status_code == 404:
            return
        digest = head.headers["Docker-Content-Digest"]
        _check(self._request("DELETE", f"{repository}/manifests/{digest}"), f"delete {key}", 202)

    def pointer_tag(self) -> str | None:
        manifest = self._manifest(f"{self.namespace}/catalogs", POINTER_TAG)
        return None if manifest is None else "|".join(layer["digest"] for layer in manifest["layers"])

    def pointer(self) -> Pointer | None:
        repository = f"{self.namespace}/catalogs"
        manifest = self._manifest(repository, POINTER_TAG)
        if manifest is None:
            return None
        layers = {layer["annotations"][TITLE]: layer["digest"] for layer in manifest["layers"]}
        signature = self._blob(repository, layers[POINTER_SIGNATURE])
        if POINTER_COMPRESSED not in layers:
            return Pointer(self._blob(repository, layers[POINTER]), signature)
        blob = self._blob(repository, layers[POINTER_COMPRESSED])
        plain = str(layers[POINTER]).removeprefix("sha256:")
        where = f"{self.url} {repository}:{POINTER_TAG} {POINTER_COMPRESSED}"
        return Pointer(decompress_catalog(blob, where, plain), signature, blob)

    def swap_pointer(self, expected: str | None, new: Pointer) -> None:
        current = self.pointer()
        if (current.sha256 if current else None) != expected:
            raise PointerMoved(f"{self.url}: the catalog pointer moved (another publish won)")
        layers = [(POINTER, new.catalog), (POINTER_SIGNATURE, new.signature)]
        if new.compressed is not None:
            layers.append((POINTER_COMPRESSED, new.compressed))
        # The layers are those of catalogs:<n> (publish pushed them first): not uploaded again.
        self._push(f"{self.namespace}/catalogs", POINTER_TAG, layers, POINTER, known=True)
        after = self.pointer()
        if after is None or after.sha256 != new.sha256:
            raise PointerMoved(f"{self.url}: another publish moved the pointer at the same moment")


def _catalog_file(tag: str) -> str:
    number, dot, suffix = tag.partition(".")
    return f"{number}.json{dot}{suffix}"


def _tag(text: str) -> str:
    return _TAG_UNSAFE.sub("_", text)[:128]


def _media(name: str) -> str:
    return next(
        (media for suffix, media in _MEDIA.items() if name.endswith(suffix)), "application/octet-stream"
    )


def _check(response: requests.Response, what: str, expected: int = 200) -> None:
    if response.status_code not in (expected, 200, 201, 202):
        raise StoreError(f"cannot {what}: HTTP {response.status_code} {response.text[:200]}")
