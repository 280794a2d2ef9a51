"""OAuth client ID metadata documents: a client whose `client_id` is an https URL publishes its
metadata (name, redirect URIs) at that URL, so it needs no registration.

The document is fetched over https only, without following redirects, with a small size and time
limit, and only from a public address (loopback too when the proxy itself runs on loopback, for
local use and tests). "Public" counts an IPv4 address hidden in an IPv6 one (mapped, NAT64, 6to4,
Teredo, IPv4-compatible: `64:ff9b::a9fe:a9fe` is 169.254.169.254), and the connection goes to the
address that was checked, so a second DNS answer cannot send it elsewhere. It must name itself
(`client_id` equal to its URL), list its redirect URIs, and be a public client
(`token_endpoint_auth_method: none`). Good documents are kept for a while, refused ones for a
minute, and callers asking for the same document at once share one fetch: anonymous /authorize
calls cannot make the proxy fetch a URL over and over.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import ssl
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx
from mcp.shared.auth import OAuthClientInformationFull
from pydantic import ValidationError

LOG = logging.getLogger("skillport.serve")
MAX_BYTES = 64 * 1024
TIMEOUT = 5.0
CACHE_SECONDS = 600.0
REFUSED_SECONDS = 60.0
NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
Resolver = Callable[[str, int], Awaitable[list[str]]]


class DocumentRefused(Exception):
    """A client ID metadata document that cannot be used, and why."""


class ClientDocuments:
    """Fetches, checks and caches client ID metadata documents."""

    def __init__(
        self,
        allow_loopback: bool,
        redirect_ok: Callable[[str], bool],
        clock: Callable[[], float] = time.monotonic,
        resolve: Resolver | None = None,
    ) -> None:
        self.allow_loopback, self.redirect_ok, self.clock = allow_loopback, redirect_ok, clock
        self.resolve = resolve or _resolve
        self._tls = ssl.create_default_context()
        self._cache: dict[str, tuple[float, OAuthClientInformationFull | None]] = {}
        self._fetching: dict[str, asyncio.Future[OAuthClientInformationFull | None]] = {}

    async def client(self, url: str) -> OAuthClientInformationFull | None:
        """The client the document at `url` describes, or None when it cannot be used."""
        cached = self._cache.get(url)
        if cached is not None and cached[0] > self.clock():
            return cached[1]
        running = self._fetching.get(url)
        if running is not None:  # someone is fetching it right now: wait for that answer
            return await asyncio.shield(running)
        future = self._fetching[url] = asyncio.get_running_loop().create_future()
        try:
            info = await self._checked(url)
            future.set_result(info)
        finally:
            del self._fetching[url]
            if not future.done():
                future.set_result(None)
        return info

    async def _checked(self, url: str) -> OAuthClientInformationFull | None:
        try:
            info: OAuthClientInformationFull | None = await self._fetch(url)
        except DocumentRefused as exc:
            LOG.warning("client metadata document %s refused: %s", url, exc)
            info = None
        if len(self._cache) > 1000:
            self._cache.clear()
        self._cache[url] = (self.clock() + (CACHE_SECONDS if info else REFUSED_SECONDS), info)
        return info

    async def _fetch(self, url: str) -> OAuthClientInformationFull:
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.hostname or parts.path in ("", "/") or parts.fragment:
            raise DocumentRefused("a client ID must be an https URL with a path")
        address = await self._checked_address(parts.hostname, parts.port or 443)
        body = await self._download(url, address)
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

    async def _download(self, url: str, address: str) -> bytes:
        """The document's bytes, from a connection to `address` (TLS still checks the URL's host)."""
        try:
            async with (
                httpx.AsyncClient(
                    transport=PinnedTransport(address, self._tls), timeout=TIMEOUT, follow_redirects=False
                ) as http,
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
        return body

    async def _checked_address(self, host: str, port: int) -> str:
        """The address to connect to: the host's first, once every address it has is allowed."""
        try:
            found = await self.resolve(host, port)
        except OSError as exc:
            raise DocumentRefused(f"{host} does not resolve") from exc
        if not found:
            raise DocumentRefused(f"{host} does not resolve")
        for text in found:
            address = ipaddress.ip_address(text)
            if address.is_loopback and self.allow_loopback:
                continue
            if not public(address):
                raise DocumentRefused(f"{host} resolves to a non-public address ({address})")
        return found[0]


def public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether an address, and every IPv4 address an IPv6 spelling of it carries, is global."""
    return address.is_global and all(inner.is_global for inner in embedded(address))


def embedded(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address stands for: mapped, 6to4, Teredo, NAT64, IPv4-compatible."""
    if not isinstance(address, ipaddress.IPv6Address):
        return []
    found = [a for a in (address.ipv4_mapped, address.sixtofour) if a is not None]
    found += list(address.teredo or ())
    if any(address in net for net in NAT64) or address in IPV4_COMPATIBLE:
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return found


async def _resolve(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class PinnedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, connecting to one address whatever host it is asked for."""

    def __init__(self, address: str) -> None:
        self.address, self.inner = address, httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.AsyncNetworkStream:
        """Connect to the checked address (TLS is started afterwards with the URL's host name)."""
        return await self.inner.connect_tcp(self.address, port, timeout, local_address, socket_options)

    async def sleep(self, seconds: float) -> None:
        """As the inner backend sleeps."""
        await self.inner.sleep(seconds)


class PinnedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport over a PinnedBackend. (httpx takes no network backend of its own, so the
    connection pool it builds is replaced by one that has it.)"""

    def __init__(self, address: str, tls: ssl.SSLContext) -> None:
        super().__init__(verify=tls, trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(ssl_context=tls, network_backend=PinnedBackend(address))
