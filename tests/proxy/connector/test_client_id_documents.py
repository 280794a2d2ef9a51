"""Client ID metadata documents (unit): fetched only over https from public addresses: a document URL
that resolves to a private or loopback address is refused before any connection (unless the proxy
itself runs on loopback), and so is anything that is not an https URL with a path."""

from __future__ import annotations

import asyncio

import pytest

from skillport_build.proxy.connector.documents import ClientDocuments
from skillport_build.proxy.connector.provider import allowed_redirect


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1:1/client.json",
        "https://localhost:1/client.json",
        "https://10.0.0.8/client.json",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/client.json",
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
    ],
)
def test_redirects_are_https_loopback_http_or_an_apps_own_scheme(uri: str, ok: bool) -> None:
    assert allowed_redirect(uri) is ok
