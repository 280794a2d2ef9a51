"""A network namespace of the tests' own, where the proxy serves https on a documentation address.

Claude Code downloads plugin archives only over https from a host that is not loopback, link-local
or a metadata address, so its own URL-marketplace route cannot run against 127.0.0.1. Here the tests
make a namespace (`unshare -n`, as root), put 192.0.2.10 (TEST-NET-1) on its `lo`, and start every
process that speaks on that address inside it with `nsenter`. The namespace has no other interface:
nothing in it can reach, or be reached from, any other network. Certificates come from a CA made
for the session, which Claude Code trusts through NODE_EXTRA_CA_CERTS and the CLI through
SSL_CERT_FILE.
"""

from __future__ import annotations

import ipaddress
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from proxy.served import PEOPLE, publish_template

from skillport_build.proxy.state import State
from skillport_build.stores import current_catalog
from skillport_build.trust.minisign import SecretKey

ADDRESS = "192.0.2.10"
BIN = Path(sys.executable).parent


@dataclass
class Namespace:
    """A network namespace held open by a `sleep` process; `command` runs argv inside it."""

    holder: subprocess.Popen[bytes]

    def command(self, *argv: str) -> list[str]:
        """`argv` prefixed so it runs in this namespace's network."""
        return ["nsenter", "-t", str(self.holder.pid), "-n", *argv]

    def run(self, *argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        """Run `argv` inside the namespace and wait for it."""
        return subprocess.run(self.command(*argv), capture_output=True, text=True, check=False, env=env)


@contextmanager
def network_namespace() -> Iterator[Namespace]:
    """A fresh namespace with only `lo`, holding 127.0.0.1 and ADDRESS; skipped where `unshare -n`
    is refused (not root, or a container that forbids it)."""
    if shutil.which("unshare") is None or shutil.which("nsenter") is None or shutil.which("ip") is None:
        pytest.skip("unshare, nsenter and ip (util-linux, iproute2) are needed for the https tests")
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        pytest.skip(f"this machine refuses `unshare -n` ({probe.stderr.strip()}); run as root, as CI does")
    holder = subprocess.Popen(["unshare", "-n", "sleep", "infinity"])
    try:
        namespace = Namespace(holder)
        _wait_for_namespace(namespace)
        for argv in (("ip", "addr", "add", f"{ADDRESS}/24", "dev", "lo"), ("ip", "link", "set", "lo", "up")):
            done = namespace.run(*argv)
            assert done.returncode == 0, done.stderr
        yield namespace
    finally:
        holder.kill()
        holder.wait()


def _wait_for_namespace(namespace: Namespace) -> None:
    """Wait until the holder has entered its own namespace (its net link differs from ours)."""
    ours = os.readlink("/proc/self/ns/net")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            if os.readlink(f"/proc/{namespace.holder.pid}/ns/net") != ours:
                return
        except FileNotFoundError:
            pass
        time.sleep(0.01)
    raise RuntimeError("unshare -n did not make a namespace")


@dataclass(frozen=True)
class TestCA:
    """A throwaway CA and one server certificate it issued for ADDRESS."""

    ca: Path
    cert: Path
    key: Path


def make_ca(folder: Path) -> TestCA:
    """A CA for this session only and a certificate for ADDRESS (as an IP SAN) that it signs."""
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Skillport test CA")])
    ca = (
        _certificate(ca_name, ca_name, ca_key.public_key(), now)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(cert_sign=True), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    server = (
        _certificate(
            x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ADDRESS)]), ca_name, key.public_key(), now
        )
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ADDRESS))]), critical=False
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(_usage(cert_sign=False), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    paths = TestCA(folder / "ca.pem", folder / "server.pem", folder / "server.key")
    paths.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths.cert.write_bytes(server.public_bytes(serialization.Encoding.PEM))
    paths.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    paths.key.chmod(0o600)
    return paths


def _certificate(
    subject: x509.Name, issuer: x509.Name, public: ec.EllipticCurvePublicKey, now: datetime
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
    )


def _usage(cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


@dataclass
class HttpsProxy:
    """`skillport serve` over https at ADDRESS inside a namespace, with a token for each of PEOPLE."""

    namespace: Namespace
    tls: TestCA
    url: str
    tmp: Path
    key: SecretKey
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def db(self) -> Path:
        """The state database the server uses."""
        return self.tmp / "state.db"

    @property
    def repo(self) -> Path:
        """The marketplace repository it was published from (edit it, then `republish`)."""
        return self.tmp / "repo"

    def environ(self, token: str | None = None) -> dict[str, str]:
        """What a person's `skillport` needs here: the CA, the proxy, and (optionally) a token."""
        env = {"SSL_CERT_FILE": str(self.tls.ca), "SKILLPORT_URL": self.url}
        return env | ({"SKILLPORT_TOKEN": token} if token else {})

    def get(self, path: str, token: str | None) -> tuple[int, bytes]:
        """GET `path` from inside the namespace (curl, trusting only the test CA): status and body."""
        auth = ["-H", f"Authorization: Bearer {token}"] if token else []
        body = self.tmp / "curl.out"
        done = self.namespace.run(
            "curl",
            "-sS",
            "--cacert",
            str(self.tls.ca),
            "-o",
            str(body),
            "-w",
            "%{http_code}",
            *auth,
            self.url + path,
        )
        assert done.returncode == 0, done.stderr
        return int(done.stdout), body.read_bytes()

    def marketplace(self, who: str) -> dict[str, Any]:
        """The served Claude Code marketplace, as `who` gets it."""
        status, body = self.get("/claude-code/marketplace.json", self.tokens[who])
        assert status == 200, body
        loaded: dict[str, Any] = json.loads(body)
        return loaded

    def served_version(self) -> int:
        """The catalog version the server answers from now."""
        metadata = self.marketplace("admin")["metadata"]
        assert isinstance(metadata, dict)
        return int(metadata["version"])

    def republish(self) -> int:
        """Build, sign and publish the repository again; wait until the server serves it."""
        store, _, _ = publish_template(self.tmp, self.key, self.repo)
        catalog = current_catalog(store)
        assert catalog is not None
        deadline = time.monotonic() + 20
        while self.served_version() != catalog.catalog_version:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the proxy did not pick up catalog {catalog.catalog_version}")
            time.sleep(0.2)
        return catalog.catalog_version


@contextmanager
def https_proxy(namespace: Namespace, tmp: Path) -> Iterator[HttpsProxy]:
    """Publish the template under `tmp`, then run the real `skillport serve --tls-cert/--tls-key`
    on ADDRESS inside `namespace` until the block ends. Sign-in is configured but never used (an
    OpenID issuer nobody contacts): people here authenticate with personal tokens."""
    tls = make_ca(tmp / "tls")
    store, public, key = publish_template(tmp)
    port = 8443
    url = f"https://{ADDRESS}:{port}"
    config = tmp / "serve.yaml"
    config.write_text(
        json.dumps(
            {
                "oidc": {
                    "issuer": f"{url}/no-sign-in-here",
                    "client_id": "unused",
                    "client_secret": "unused",
                },
                "refresh_interval": 0.2,
                "cache_dir": str(tmp / "sites"),
            }
        )
    )
    state = State(tmp / "state.db")
    proxy = HttpsProxy(namespace, tls, url, tmp, key)
    for who, (email, groups) in PEOPLE.items():
        proxy.tokens[who] = state.create_token(email, groups, "https test")[0]
    state.close()
    argv = [str(BIN / "skillport"), "serve", "--config", str(config), "--store", str(store.root)]
    argv += ["--key", str(public), "--db", str(proxy.db), "--host", ADDRESS, "--port", str(port)]
    argv += ["--public-url", url, "--tls-cert", str(tls.cert), "--tls-key", str(tls.key)]
    log_path = tmp / "serve.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(namespace.command(*argv), stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_healthy(proxy, server, log_path)
            yield proxy
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def _wait_healthy(proxy: HttpsProxy, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"skillport serve exited: {log.read_text()}")
        done = proxy.namespace.run(
            "curl",
            "-s",
            "--cacert",
            str(proxy.tls.ca),
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            proxy.url + "/healthz",
        )
        if done.stdout == "200":
            return
        time.sleep(0.1)
    raise RuntimeError(f"skillport serve did not answer over https: {log.read_text()}")
