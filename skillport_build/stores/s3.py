"""An S3-compatible object store (AWS S3, MinIO, R2, Ceph RGW, GCS interoperability) as a store,
through boto3.

`s3://BUCKET[/PREFIX]`. Every key of the logical layout is the object `PREFIX/<key>`, its sha256 in
the object's `x-amz-meta-sha256`. S3's conditional writes make both promises exact:

    put-if-absent   PutObject with `If-None-Match: *` (412 when anything is there)
    the pointer     the object `PREFIX/catalog.json`: the catalog bytes, its minisign signature in
                    `x-amz-meta-minisig` (base64), so one object holds both and they change together;
                    swapped with `If-Match: <the ETag read>` (or `If-None-Match: *` for the first)
    its twin        the object `PREFIX/catalog.json.zst`, written right after a swap won: the zstd
                    of the catalog, the same signature, and in `x-amz-meta-catalog-sha256` the
                    sha256 of the catalog it compresses. Two objects cannot change at once, so a
                    reader heads catalog.json first and takes the twin only when it names that
                    catalog's sha256 (else, and for stores without a twin, it reads catalog.json)

Endpoint: SKILLPORT_S3_ENDPOINT_URL, else what boto3 reads itself (AWS_ENDPOINT_URL_S3,
AWS_ENDPOINT_URL, the AWS config file); with an endpoint, path-style addressing. Region and
credentials come from the standard AWS chain (environment, ~/.aws/credentials and config, SSO, web
identity, instance roles); they are never logged. boto3 retries transient failures itself
(standard mode: jittered exponential backoff).
"""

from __future__ import annotations

import base64
import hashlib
import os
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import boto3
import botocore.config
import botocore.exceptions

from skillport_build.errors import BlobConflict, PointerMoved, StoreAuthError, StoreError, TransientStoreError
from skillport_build.models.catalog_zst import decompress_catalog
from skillport_build.stores.base import POINTER, POINTER_COMPRESSED, Pointer, Store

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

ENDPOINT_VARIABLE = "SKILLPORT_S3_ENDPOINT_URL"
SHA256_META = "sha256"
SIGNATURE_META = "minisig"
CATALOG_META = "catalog-sha256"  # on the twin: the sha256 of the catalog it decompresses to
MAX_PRESIGN_TTL = 7 * 86400  # SigV4 presigned URLs live a week at most
_AUTH_CODES = {
    "AccessDenied",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "InvalidToken",
    "AllAccessDisabled",
}
_TRANSIENT = (
    botocore.exceptions.EndpointConnectionError,
    botocore.exceptions.ConnectionClosedError,
    botocore.exceptions.ReadTimeoutError,
    botocore.exceptions.ConnectTimeoutError,
    botocore.exceptions.IncompleteReadError,
    botocore.exceptions.ResponseStreamingError,
)


class S3Store(Store):
    """A bucket (and key prefix) in an S3-compatible object store."""

    presigns = True
    page_size = 1000  # keys per listing request (S3's most)

    def __init__(self, url: str, client: S3Client | None = None) -> None:
        parsed = urlparse(url)
        if parsed.scheme != "s3" or not parsed.netloc:
            raise StoreError(f"{url}: an S3 store URL is s3://BUCKET[/PREFIX]")
        self.url, self.bucket = url, parsed.netloc
        prefix = parsed.path.strip("/")
        self.prefix = f"{prefix}/" if prefix else ""
        self._session = boto3.session.Session()
        self._client = client

    @property
    def client(self) -> S3Client:
        """The boto3 client, made on first use (credentials are looked up then)."""
        if self._client is None:
            self._client = self._connect()
        return self._client

    def _connect(self) -> S3Client:
        endpoint = os.environ.get(ENDPOINT_VARIABLE) or None
        given = endpoint or os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
        config = botocore.config.Config(
            retries={"mode": "standard", "max_attempts": 5},
            s3={"addressing_style": "path"} if given else None,
            signature_version="s3v4",
        )
        region = self._session.region_name or ("us-east-1" if given else None)
        client: S3Client = self._session.client(
            "s3", endpoint_url=endpoint, region_name=region, config=config
        )
        return client

    # -- requests -----------------------------------------------------------------------------

    def _call(self, what: str, operation: str, **params: Any) -> Any:
        """One S3 request; its failures as the store errors the callers expect."""
        try:
            return getattr(self.client, operation)(Bucket=self.bucket, **params)
        except botocore.exceptions.NoCredentialsError:
            raise StoreAuthError(
                f"{self.url}: no AWS credentials were found; set AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY, or AWS_PROFILE naming a profile in ~/.aws/credentials"
            ) from None
        except _TRANSIENT as exc:
            raise TransientStoreError(f"{self.url}: cannot {what} ({type(exc).__name__})") from None
        except botocore.exceptions.ClientError as exc:
            code, status = _error_of(exc)
            if code in _AUTH_CODES or status in (401, 403):
                raise StoreAuthError(
                    f"{self.url}: the store refused the credentials from {self._credential_source()} "
                    f"({code}) when asked to {what}"
                ) from None
            if code == "NoSuchBucket":
                raise StoreError(f"{self.url}: the bucket {self.bucket} does not exist; create it") from None
            if status == 429 or status >= 500 or code == "SlowDown":
                raise TransientStoreError(f"{self.url}: cannot {what} (HTTP {status} {code})") from None
            raise

    def _credential_source(self) -> str:
        """Where boto3 found the credentials (its method name), never the credentials themselves."""
        found = self._session.get_credentials()
        method = getattr(found, "method", None) if found is not None else None
        names = {
            "env": "the AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY environment variables",
            "shared-credentials-file": "the shared credentials file (~/.aws/credentials)",
            "config-file": "the AWS config file (~/.aws/config)",
        }
        return names.get(str(method), f"the AWS credential chain ({method or 'unknown'})")

    def _object(self, key: str) -> str:
        parts = key.split("/")
        if not key or key.startswith("/") or any(p in ("", ".", "..") for p in parts):
            raise StoreError(f"refusing the store key {key!r}")
        return self.prefix + key

    def _head(self, key: str) -> dict[str, Any] | None:
        try:
            head: dict[str, Any] = self._call(f"look up {key}", "head_object", Key=self._object(key))
        except botocore.exceptions.ClientError as exc:
            if _error_of(exc)[1] == 404:
                return None
            raise self._unexpected(exc, f"look up {key}") from None
        return head

    def _get(self, key: str) -> dict[str, Any] | None:
        try:
            found: dict[str, Any] = self._call(f"read {key}", "get_object", Key=self._object(key))
            found["Data"] = found["Body"].read()
        except botocore.exceptions.ClientError as exc:
            if _error_of(exc)[1] == 404:
                return None
            raise self._unexpected(exc, f"read {key}") from None
        except _TRANSIENT as exc:
            raise TransientStoreError(f"{self.url}: cannot read {key} ({type(exc).__name__})") from None
        return found

    def _put(self, key: str, data: bytes, metadata: dict[str, str], **condition: str) -> bool:
        """Write `key` if `condition` holds; False when the store says it does not (412, or 409
        while another conditional write to the key is in flight)."""
        try:
            self._call(
                f"write {key}",
                "put_object",
                Key=self._object(key),
                Body=data,
                Metadata=metadata,
                ContentType=_media(key),
                **condition,
            )
        except botocore.exceptions.ClientError as exc:
            if _error_of(exc)[1] in (409, 412):
                return False
            raise self._unexpected(exc, f"write {key}") from None
        return True

    def _unexpected(self, exc: botocore.exceptions.ClientError, what: str) -> StoreError:
        code, status = _error_of(exc)
        return StoreError(f"{self.url}: cannot {what}: HTTP {status} {code}")

    # -- the Store interface ------------------------------------------------------------------

    def get(self, key: str) -> bytes | None:
        found = self._get(key)
        return None if found is None else bytes(found["Data"])

    def digest(self, key: str) -> str | None:
        head = self._head(key)
        if head is None:
            return None
        recorded = head.get("Metadata", {}).get(SHA256_META)
        if recorded:
            return str(recorded)
        data = self.get(key)  # written by something else than us: hash the bytes
        return None if data is None else hashlib.sha256(data).hexdigest()

    def _write_new(self, key: str, data: bytes, sha256: str) -> None:
        if not self._put(key, data, {SHA256_META: sha256}, IfNoneMatch="*"):
            existing = self.digest(key)  # someone wrote it first: fine only with the same bytes
            if existing != sha256:
                raise BlobConflict(key, existing or "?", sha256)

    def keys(self, prefix: str) -> list[str]:
        found: list[str] = []
        more: dict[str, str] = {}
        while True:
            page = self._call(
                "list keys", "list_objects_v2", Prefix=self.prefix + prefix, MaxKeys=self.page_size, **more
            )
            found += [item["Key"][len(self.prefix) :] for item in page.get("Contents", [])]
            if not page.get("IsTruncated"):
                return sorted(found)
            more = {"ContinuationToken": page["NextContinuationToken"]}

    def delete(self, key: str) -> None:
        self._call(f"delete {key}", "delete_object", Key=self._object(key))

    def pointer_tag(self) -> str | None:
        head = self._head(POINTER)
        return None if head is None else str(head["ETag"])

    def pointer(self) -> Pointer | None:
        head = self._head(POINTER)
        if head is None:  # a HEAD's 404 has no body: the GET says whether the bucket is missing
            return self._pointer_and_tag()[0]
        sha256 = head.get("Metadata", {}).get(SHA256_META)
        twin = self._get(POINTER_COMPRESSED) if sha256 else None
        if twin is not None and twin.get("Metadata", {}).get(CATALOG_META) == sha256:
            blob = bytes(twin["Data"])
            raw = decompress_catalog(blob, f"{self.url}/{POINTER_COMPRESSED}", sha256)
            return Pointer(raw, _signature(twin), blob)
        return self._pointer_and_tag()[0]  # no twin, or one of another catalog: the plain object

    def _pointer_and_tag(self) -> tuple[Pointer | None, str | None]:
        found = self._get(POINTER)
        if found is None:
            return None, None
        return Pointer(bytes(found["Data"]), _signature(found)), str(found["ETag"])

    def _current(self) -> tuple[str | None, str | None]:
        """The sha256 of the pointer's catalog and its ETag, from one HEAD where our metadata is."""
        head = self._head(POINTER)
        if head is None:
            return None, None
        recorded = head.get("Metadata", {}).get(SHA256_META)
        if recorded:
            return str(recorded), str(head["ETag"])
        current, etag = self._pointer_and_tag()  # written by something else: hash the bytes
        return (current.sha256 if current else None), etag

    def swap_pointer(self, expected: str | None, new: Pointer) -> None:
        sha256, etag = self._current()
        if sha256 != expected:
            raise PointerMoved(f"{self.url}: the catalog pointer moved (another publish won)")
        signature = base64.b64encode(new.signature).decode()
        metadata = {SHA256_META: new.sha256, SIGNATURE_META: signature}
        condition = {"IfMatch": etag} if etag else {"IfNoneMatch": "*"}
        if not self._put(POINTER, new.catalog, metadata, **condition):
            raise PointerMoved(f"{self.url}: another publish moved the pointer at the same moment")
        # The swap is won: the twin follows. Readers ignore it until it names this catalog, and a
        # late twin of an older catalog (a slow winner behind a newer one) is ignored the same way.
        if new.compressed is None:
            self.delete(POINTER_COMPRESSED)
            return
        twin = {
            SHA256_META: hashlib.sha256(new.compressed).hexdigest(),
            CATALOG_META: new.sha256,
            SIGNATURE_META: signature,
        }
        self._put(POINTER_COMPRESSED, new.compressed, twin)

    def presigned_url(self, key: str, ttl: int, filename: str | None = None) -> str:
        if not 1 <= ttl <= MAX_PRESIGN_TTL:
            raise StoreError(f"a presigned URL lives 1 to {MAX_PRESIGN_TTL} seconds, not {ttl}")
        params = {"Bucket": self.bucket, "Key": self._object(key), "ResponseContentType": _media(key)}
        if filename:
            params["ResponseContentDisposition"] = f'attachment; filename="{filename}"'
        try:
            url: str = self.client.generate_presigned_url("get_object", Params=params, ExpiresIn=ttl)
        except botocore.exceptions.NoCredentialsError:
            raise StoreAuthError(f"{self.url}: no AWS credentials to sign download URLs with") from None
        return url


def _signature(found: dict[str, Any]) -> bytes:
    return base64.b64decode(found.get("Metadata", {}).get(SIGNATURE_META, ""))


def _error_of(exc: botocore.exceptions.ClientError) -> tuple[str, int]:
    error = exc.response.get("Error", {})
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    return str(error.get("Code", "")), int(status)


def _media(key: str) -> str:
    if key.endswith(".zip"):
        return "application/zip"
    return "application/json" if key.endswith(".json") else "application/octet-stream"
