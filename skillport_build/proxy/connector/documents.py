"""OAuth client ID metadata documents: a client whose `client_id` is an https URL publishes its
metadata (name, redirect URIs) at that URL, so it needs no registration.

The document is fetched over https only, without following redirects, with a small size and time
limit, and only from a public address (loopback too when the proxy itself runs on loopback, for
local use and tests). It must name itself (`client_id` equal to its URL), list its redirect URIs,
and be a public client (`token_endpoint_auth_method: none`). Good documents are kept for a while.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import ssl
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx
from mcp.shared.auth import OAuthClientInformationFull
from pydantic import ValidationError

LOG = logging.getLogger("skillport.serve")
MAX_BYTES = 64 * 1024
TIMEOUT = 5.0
CACHE_SECONDS = 600.0


class DocumentRefused(Exception):
    """A client ID metadata document that cannot be used, and why."""


class ClientDocuments:
    """Fetches, checks and caches client ID metadata documents."""

    def __init__(
        self,
        allow_loopback: bool,
        redirect_ok: Callable[[str], bool],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.allow_loopback, self.redirect_ok, self.clock = allow_loopback, redirect_ok, clock
        self._tls = ssl.create_default_context()
        self._cache: dict[str, tuple[float, OAuthClientInformationFull]] = {}

    async def client(self, url: str) -> OAuthClientInformationFull | None:
        """The client the document at `url` describes, or None when it cannot be used."""
        cached = self._cache.get(url)
        if cached is not None and cached[0] > self.clock():
            return cached[1]
        try:
            info = await self._fetch(url)
        except DocumentRefused as exc:
            LOG.warning("client metadata document %s refused: %s", url, exc)
            return None
        if len(self._cache) > 1000:
            self._cache.clear()
        self._cache[url] = (self.clock() + CACHE_SECONDS, info)
        return info

    async def _fetch(self, url: str) -> OAuthClientInformationFull:
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.hostname or parts.path in ("", "/") or parts.fragment:
            raise DocumentRefused("a client ID must be an https URL with a path")
        await self._check_address(parts.hostname, parts.port or 443)
        try:
            async with (
                httpx.AsyncClient(verify=self._tls, timeout=TIMEOUT, follow_redirects=False) as http,
                http.stream("GET", url, headers={"Accept": "application/json"}) as response,
            ):
                if response.status_code != 200:
                    raise DocumentRefused(f"HTTP {response.status_code}")
                body = b""
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > MAX_BYTES:
                        raise DocumentRefused(f"larger than {MAX_BYTES} bytes")
        except httpx.HTTPError as exc:
            raise DocumentRefused(f"cannot be fetched: {exc}") from exc
        try:
            info = OAuthClientInformationFull.model_validate_json(body)
        except ValidationError as exc:
            raise DocumentRefused(f"not client metadata: {exc.errors()[0]['msg']}") from exc
        if info.client_id != url:
            raise DocumentRefused(f"its client_id is {info.client_id!r}, not its own URL")
        if info.client_secret or info.token_endpoint_auth_method not in (None, "none"):
            raise DocumentRefused("a metadata document client is public: token_endpoint_auth_method none")
        redirects = [str(u) for u in info.redirect_uris or []]
        if not redirects or not all(self.redirect_ok(u) for u in redirects):
            raise DocumentRefused("redirect_uris must be https, or http on loopback")
        return info.model_copy(update={"token_endpoint_auth_method": "none"})

    async def _check_address(self, host: str, port: int) -> None:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise DocumentRefused(f"{host} does not resolve") from exc
        for info in infos:
            address = ipaddress.ip_address(info[4][0])
            if address.is_loopback and self.allow_loopback:
                continue
            if not address.is_global:
                raise DocumentRefused(f"{host} resolves to a non-public address ({address})")
