"""Signed, expiring download links, bound to one user and one bundle digest.

A link is `/bundles/<path>?u=<user>&e=<expiry>&s=<signature>`, the signature an HMAC-SHA256 over the
path, the bundle's sha256, the user and the expiry. A link for another bundle, another user, with a
changed expiry, after its expiry, or for bytes the catalog no longer names is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, urlencode


@dataclass(frozen=True)
class LinkClaims:
    """What a verified link grants."""

    user: str
    path: str
    expires: int


class LinkSigner:
    """Makes and checks download links with one server secret."""

    def __init__(self, secret: bytes, now: Callable[[], float] = time.time) -> None:
        self._key = hashlib.sha256(b"skillport download link\n" + secret).digest()
        self._time = now

    def _mac(self, path: str, sha256: str, user: str, expires: int) -> str:
        message = f"{path}\n{sha256}\n{user.lower()}\n{expires}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def make(self, path: str, sha256: str, user: str, ttl: int) -> tuple[str, int]:
        """The link's path and query, and when it expires (Unix time)."""
        expires = int(self._time()) + ttl
        query = urlencode({"u": user.lower(), "e": expires, "s": self._mac(path, sha256, user, expires)})
        return f"/bundles/{quote(path)}?{query}", expires

    def check(self, path: str, sha256: str, params: dict[str, str]) -> LinkClaims | None:
        """The claims of a valid, unexpired link for these bytes; None otherwise."""
        user, expires_text, signature = params.get("u"), params.get("e"), params.get("s")
        if not (user and expires_text and signature) or not expires_text.isdigit():
            return None
        expires = int(expires_text)
        if not hmac.compare_digest(signature, self._mac(path, sha256, user, expires)):
            return None
        if expires < self._time():
            return None
        return LinkClaims(user.lower(), path, expires)
