"""How a permitted bundle download is answered when the bytes should not pass through Python.

`downloads` in the settings:

    stream     the proxy reads the bundle, checks its sha256 against the signed catalog, sends it
               (the default)
    redirect   a 302 to the store's own presigned URL for that one object, living `redirect_ttl`
               seconds (s3:// stores)
    x-accel    an empty answer whose X-Accel-Redirect names the bundle under `x_accel_prefix`, an
               `internal` location of a fronting nginx that serves the local store folder

The access check, the rate limit, the audit line and the count happen in the proxy before either
hand-off; what moves to the client is the sha256 check (docs/security.md).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote

from skillport_build.errors import UsageError
from skillport_build.models.catalog import Bundle
from skillport_build.stores import LocalStore
from skillport_build.stores.base import Store

Mode = Literal["stream", "redirect", "x-accel"]
MODES: tuple[Mode, ...] = ("stream", "redirect", "x-accel")
PRESIGNED_KEPT = 4096


@dataclass(frozen=True)
class Handoff:
    """The status and headers of an answer that hands the bytes to someone else."""

    status: int
    headers: dict[str, str]


def bundle_headers(bundle: Bundle) -> dict[str, str]:
    """What every download answer says about the bundle, whoever sends its bytes."""
    filename = bundle.path.rsplit("/", 1)[-1]
    return {
        "Content-Disposition": f'attachment; filename="{filename}"',
        "ETag": f'"{bundle.sha256}"',
        "X-Content-SHA256": bundle.sha256,
    }


class Handoffs:
    """Hand-off answers for one store; refuses at startup a mode the store cannot serve."""

    def __init__(self, mode: Mode, store: Store, ttl: int, x_accel_prefix: str) -> None:
        if mode == "redirect" and not store.presigns:
            raise UsageError(
                f"downloads: redirect needs a store that presigns download URLs (s3://); {store.url} "
                "cannot. Use downloads: stream, or x-accel with a local store behind nginx"
            )
        if mode == "x-accel" and not isinstance(store, LocalStore):
            raise UsageError(
                f"downloads: x-accel needs a local store folder that the fronting nginx serves; "
                f"{store.url} is not one. Use downloads: stream (or redirect with an s3:// store)"
            )
        if mode == "x-accel" and not (x_accel_prefix.startswith("/") and x_accel_prefix.endswith("/")):
            raise UsageError(f"x_accel_prefix must start and end with '/', not {x_accel_prefix!r}")
        self.mode, self.store, self.ttl, self.prefix = mode, store, ttl, x_accel_prefix
        self._lock = threading.Lock()
        self._presigned: OrderedDict[str, tuple[str, float]] = OrderedDict()

    def cached(self, bundle: Bundle) -> Handoff | None:
        """The answer if it needs no store call (x-accel, or a presigned URL still fresh), else None."""
        if self.mode != "redirect":
            return self.answer(bundle)
        url = self._kept(bundle)
        return None if url is None else _redirect(url, bundle)

    def answer(self, bundle: Bundle) -> Handoff:
        """The answer that sends the downloader to the bundle's bytes (blocking on a first presign)."""
        if self.mode == "redirect":
            return _redirect(self._presigned_url(bundle), bundle)
        headers = {
            **bundle_headers(bundle),
            "Content-Type": "application/zip",
            "Cache-Control": "private, max-age=31536000, immutable",
            "X-Accel-Redirect": self.prefix + quote(bundle.path),
        }
        return Handoff(200, headers)

    def _presigned_url(self, bundle: Bundle) -> str:
        """A presigned URL with at least half of `ttl` left: one is shared by everyone allowed the
        bundle for that half (it opens that one object only, which each of them may read)."""
        kept = self._kept(bundle)
        if kept is not None:
            return kept
        now = time.monotonic()
        url = self.store.presigned_url(bundle.path, self.ttl, bundle.path.rsplit("/", 1)[-1])
        with self._lock:
            self._presigned[bundle.path] = (url, now + self.ttl)
            self._presigned.move_to_end(bundle.path)
            while len(self._presigned) > PRESIGNED_KEPT:
                self._presigned.popitem(last=False)
        return url

    def _kept(self, bundle: Bundle) -> str | None:
        with self._lock:
            kept = self._presigned.get(bundle.path)
        return kept[0] if kept is not None and kept[1] - time.monotonic() >= self.ttl / 2 else None


def _redirect(url: str, bundle: Bundle) -> Handoff:
    return Handoff(302, {"Location": url, "Cache-Control": "no-store", "X-Content-SHA256": bundle.sha256})
