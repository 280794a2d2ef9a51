"""Client ID metadata documents (unit): fetched only over https from public addresses: a document URL
that resolves to a private or loopback address is refused before any connection (unless the proxy
itself runs on loopback), and so is anything that is not an https URL with a path."""

from __future__ import annotations

import asyncio
import ipaddress

import pytest

from skillport_build.proxy.connector.documents import ClientDocuments, public
from skillport_build.proxy.connector.provider import allowed_redirect


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1:1/client.json",
        "https://localhost:1/client.json",
        "https://10.0.0.8/client.json",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/client.json",
        "https://[64:ff9b::a9fe:a9fe]/latest/meta-data",
        "https://[2002:a9fe:a9fe::1]/latest/meta-data",
        "https://[::a9fe:a9fe]/latest/meta-data",
        "https://[::ffff:169.254.169.254]/latest/meta-data",
        "http://client.example/client.json",
        "https://client.example",
        "https://client.example/",
    ],
)
def test_private_addresses_and_non_https_urls_are_never_fetched(url: str) -> None:
    documents = ClientDocuments(allow_loopback=False, redirect_ok=allowed_redirect)
    assert asyncio.run(documents.client(url)) is None


@pytest.mark.parametrize(
    ("uri", "ok"),
    [
        ("https://claude.ai/api/mcp/auth_callback", True),
        ("http://127.0.0.1:33418/callback", True),
        ("http://localhost/callback", True),
        ("http://[::1]:8080/cb", True),
        ("http://evil.example/cb", False),
        ("http://127.0.0.1.evil.example/cb", False),
        ("https:///no-host", False),
        ("javascript:alert(1)", False),
        ("data:text/html,hi", False),
        ("cursor://anysphere.cursor-retrieval/oauth/callback", True),
        ("com.example.app:/callback", True),
        ("https://claude.ai/cb#fragment", False),
        ("https://claude.ai%2Fapi@evil.example/cb", False),
        ("https://claude.ai:notaport/cb", False),
        ("intent://cb#Intent;end", False),
        ("view-source:https://claude.ai/", False),
        ("chrome://settings", False),
        ("mailto:a@evil.example", False),
    ],
)
def test_redirects_are_https_loopback_http_or_an_apps_own_scheme(uri: str, ok: bool) -> None:
    assert allowed_redirect(uri) is ok


@pytest.mark.parametrize(
    ("address", "ok"),
    [
        ("93.184.215.14", True),
        ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", True),
        ("169.254.169.254", False),
        ("64:ff9b::a9fe:a9fe", False),  # NAT64
        ("64:ff9b:1::a9fe:a9fe", False),
        ("2002:a9fe:a9fe::1", False),  # 6to4
        ("::a9fe:a9fe", False),  # IPv4-compatible
        ("::ffff:a9fe:a9fe", False),  # IPv4-mapped
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", False),  # Teredo
    ],
)
def test_an_address_is_public_only_with_every_ipv4_address_it_carries(address: str, ok: bool) -> None:
    assert public(ipaddress.ip_address(address)) is ok
