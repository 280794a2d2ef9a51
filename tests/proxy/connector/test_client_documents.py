"""Clients without registration: the client ID is the https URL of a client metadata document,
served here by a small https server on 127.0.0.1 (a certificate made for the test and trusted
through SSL_CERT_FILE). The proxy fetches and checks it, the person signs in (dev form) and
consents, and the code is exchanged with the PKCE verifier for a token that works on /mcp. Documents
that do not name themselves, ask for a secret, or list foreign redirects get no consent page."""

from __future__ import annotations

import asyncio
import base64
import datetime
import hashlib
import ipaddress
import secrets
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from integration.registry import free_port
from proxy.live_server import LiveProxy, live_proxy
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from skillport_build.proxy.connector.documents import ClientDocuments
from skillport_build.proxy.connector.provider import allowed_redirect

CALLBACK = "http://127.0.0.1:9/callback"
PINNED_HOST = "docs.skillport.test"  # in no DNS: only a connection to the checked address reaches it
FETCHES: Counter[str] = Counter()


def certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName(PINNED_HOST)]
            ),
            False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_file, key_file


@pytest.fixture
def documents(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, LiveProxy]]:
    """The document server's base URL, and a proxy that trusts its certificate."""
    cert, key = certificate(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    port = free_port()
    base = f"https://127.0.0.1:{port}"

    async def document(request: Request) -> JSONResponse:
        name = request.path_params["name"]
        FETCHES[name] += 1
        doc: dict[str, Any] = {
            "client_id": f"https://{request.headers['host']}/{name}.json",
            "client_name": "Document client",
            "redirect_uris": [CALLBACK],
            "token_endpoint_auth_method": "none",
        }
        if name == "impostor":
            doc["client_id"] = f"{base}/good.json"
        elif name == "secretive":
            doc["token_endpoint_auth_method"] = "client_secret_post"
        elif name == "foreign":
            doc["redirect_uris"] = ["http://evil.example/cb"]
        return JSONResponse(doc)

    app = Starlette(routes=[Route("/{name}.json", document)])
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", ssl_certfile=cert, ssl_keyfile=key
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        with live_proxy(tmp_path / "proxy") as live:
            yield base, live
    finally:
        server.should_exit = True
        thread.join(10)


def authorize(live: LiveProxy, client_id: str, challenge: str) -> httpx.Response:
    return httpx.get(
        f"{live.url}/authorize",
        params={
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": CALLBACK,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "state": "st",
            "resource": f"{live.url}/mcp",
        },
    )


def test_a_client_metadata_document_client_gets_a_working_token_until_disconnected(
    documents: tuple[str, LiveProxy],
) -> None:
    base, live = documents
    client_id = f"{base}/good.json"
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    start = authorize(live, client_id, challenge)
    assert start.status_code == 302, start.text
    consent = start.headers["location"]
    with httpx.Client(base_url=live.url) as browser:
        form = browser.get("/login").text
        csrf = form.split('name="csrf" value="')[1].split('"')[0]
        browser.post("/login/dev", data={"email": "sam@acme.example", "groups": "sre", "csrf": csrf})
        page = browser.get(consent)
        assert page.status_code == 200 and "Document client" in page.text and client_id in page.text
        csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
        request_id = parse_qs(urlsplit(consent).query)["request"][0]
        back = browser.post("/oauth/consent", data={"csrf": csrf, "request": request_id, "decision": "allow"})
        assert back.status_code == 303 and back.headers["location"].startswith(CALLBACK)
        query = parse_qs(urlsplit(back.headers["location"]).query)
        assert query["state"] == ["st"] and query["iss"] == [live.url]
        exchange = {
            "grant_type": "authorization_code",
            "code": query["code"][0],
            "redirect_uri": CALLBACK,
            "client_id": client_id,
            "code_verifier": "wrong" + verifier[5:],
            "resource": f"{live.url}/mcp",
        }
        assert httpx.post(f"{live.url}/token", data=exchange).json()["error"] == "invalid_grant"
        tokens = httpx.post(f"{live.url}/token", data={**exchange, "code_verifier": verifier}).json()
        assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 3600 and tokens["refresh_token"]
        again = httpx.post(f"{live.url}/token", data={**exchange, "code_verifier": verifier}).json()
        assert again["error"] == "invalid_grant"  # a code works once
        listed = httpx.post(
            f"{live.url}/mcp",
            json={
                "jsonrpc": "2.0",
                "id": 1,
                "method": "tools/call",
                "params": {"name": "search_skills", "arguments": {}},
            },
            headers={
                "Authorization": f"Bearer {tokens['access_token']}",
                "Accept": "application/json, text/event-stream",
            },
        )
        assert listed.status_code == 200 and "incident-postmortem" in listed.text  # sam is in sre
        mcp = {
            "Authorization": f"Bearer {tokens['access_token']}",
            "Accept": "application/json, text/event-stream",
        }
        ping = {"jsonrpc": "2.0", "id": 1, "method": "ping", "params": {}}
        apps = browser.get("/oauth/apps")
        assert apps.status_code == 200 and "Document client" in apps.text
        grant = apps.text.split('action="/oauth/apps/')[1].split("/")[0]
        csrf = apps.text.split('name="csrf" value="')[1].split('"')[0]
        assert browser.post("/oauth/apps/not-mine/disconnect", data={"csrf": csrf}).status_code == 404
        assert httpx.post(f"{live.url}/mcp", json=ping, headers=mcp).status_code == 200
        gone = browser.post(f"/oauth/apps/{grant}/disconnect", data={"csrf": csrf})
        assert gone.status_code == 303 and "No apps are connected" in browser.get("/oauth/apps").text
        assert httpx.post(f"{live.url}/mcp", json=ping, headers=mcp).status_code == 401
        refresh = {
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": client_id,
        }
        assert httpx.post(f"{live.url}/token", data=refresh).json()["error"] == "invalid_grant"


@pytest.mark.parametrize("name", ["impostor", "secretive", "foreign", "missing/deeper"])
def test_unusable_documents_get_no_consent_page(documents: tuple[str, LiveProxy], name: str) -> None:
    base, live = documents
    refused = authorize(live, f"{base}/{name}.json", "x" * 43)
    assert refused.status_code == 400 and "location" not in refused.headers


def test_documents_are_fetched_over_https_only(documents: tuple[str, LiveProxy]) -> None:
    base, live = documents
    refused = authorize(live, base.replace("https://", "http://") + "/good.json", "x" * 43)
    assert refused.status_code == 400


def test_a_refused_document_is_remembered_and_fetched_once(documents: tuple[str, LiveProxy]) -> None:
    base, live = documents
    FETCHES.clear()
    answers = {authorize(live, f"{base}/impostor.json", "x" * 43).status_code for _ in range(10)}
    assert answers == {400} and FETCHES["impostor"] == 1


def test_the_connection_goes_to_the_address_that_was_checked(documents: tuple[str, LiveProxy]) -> None:
    base, _ = documents
    port = urlsplit(base).port
    asked: list[str] = []

    async def resolve(host: str, port: int) -> list[str]:
        asked.append(host)
        return ["127.0.0.1"]

    found = ClientDocuments(allow_loopback=True, redirect_ok=allowed_redirect, resolve=resolve)
    url = f"https://{PINNED_HOST}:{port}/good.json"
    client = asyncio.run(found.client(url))
    assert client is not None and client.client_id == url and asked == [PINNED_HOST]


@pytest.mark.parametrize(
    "address", ["64:ff9b::a9fe:a9fe", "2002:a9fe:a9fe::1", "::a9fe:a9fe", "::ffff:10.0.0.1"]
)
def test_an_ipv4_address_spelled_in_ipv6_is_checked_as_itself(
    documents: tuple[str, LiveProxy], address: str
) -> None:
    base, _ = documents

    async def resolve(host: str, port: int) -> list[str]:
        return [address]

    found = ClientDocuments(allow_loopback=True, redirect_ok=allowed_redirect, resolve=resolve)
    assert asyncio.run(found.client(f"https://{PINNED_HOST}:{urlsplit(base).port}/good.json")) is None
