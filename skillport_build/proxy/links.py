"""Signed, expiring download links, bound to one user and one bundle digest.

A link is `/bundles/<path>?u=<user>&g=<groups>&e=<expiry>&s=<signature>`, the signature an
HMAC-SHA256 over the path, the bundle's sha256, the user, their groups and the expiry. A link for
another bundle, another user or other groups, with a changed expiry, after its expiry, or for bytes the
catalog no longer names is refused. The groups let the download re-check, against the policy served
then, that the person may still read the bundle.
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
    groups: tuple[str, ...] = ()


class LinkSigner:
    """Makes and checks download links with one server secret."""

    def __init__(self, secret: bytes, now: Callable[[], float] = time.time) -> None:
        self._key = hashlib.sha256(b"skillport download link\n" + secret).digest()
        self._time = now

    def _mac(self, path: str, sha256: str, user: str, groups: str, expires: int) -> str:
        message = f"{path}\n{sha256}\n{user.lower()}\n{groups}\n{expires}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def make(
        self, path: str, sha256: str, user: str, ttl: int, groups: tuple[str, ...] = ()
    ) -> tuple[str, int]:
        """The link's path and query, and when it expires (Unix time)."""
        expires = int(self._time()) + ttl
        joined = ",".join(sorted(set(groups)))
        signature = self._mac(path, sha256, user, joined, expires)
        query = urlencode({"u": user.lower(), "g": joined, "e": expires, "s": signature})
        return f"/bundles/{quote(path)}?{query}", expires

    def check(self, path: str, sha256: str, params: dict[str, str]) -> LinkClaims | None:
        """The claims of a valid, unexpired link for these bytes; None otherwise."""
        user, expires_text, signature = params.get("u"), params.get("e"), params.get("s")
        if not (user and expires_text and signature) or not expires_text.isdigit():
            return None
        expires, groups = int(expires_text), params.get("g", "")
        if not hmac.compare_digest(signature, self._mac(path, sha256, user, groups, expires)):
            return None
        if expires < self._time():
            return None
        return LinkClaims(user.lower(), path, expires, tuple(g for g in groups.split(",") if g))
