"""A real S3-compatible server for the tests: moto's standalone server (PyPI `moto[server]`) on
127.0.0.1, spoken to over HTTP by boto3, so the store's real client code runs."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from uuid import uuid4

import boto3
import pytest
from integration.processes import running_process
from integration.registry import free_port

ACCESS_KEY, SECRET_KEY, REGION = "AKIASKILLPORTTEST", "s3cret-s3-key-for-tests", "eu-west-1"


@dataclass(frozen=True)
class S3Server:
    """A running S3-compatible server."""

    endpoint: str

    def client(self):  # type: ignore[no-untyped-def]
        """A boto3 client of this server (for making buckets and looking behind the store)."""
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
        )

    def bucket(self) -> str:
        """A new empty bucket's name."""
        name = f"skills-{uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
        return name


@contextmanager
def running_s3(workdir: Path) -> Iterator[S3Server]:
    """Start moto's server on 127.0.0.1; stop it after."""
    try:
        import moto.server  # noqa: F401
    except ImportError:  # pragma: no cover - `make test` installs the dev extras
        pytest.fail("moto[server] is not installed; `make test` installs it")
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    with running_process(command, workdir / "moto.log", f"{endpoint}/moto-api/", timeout=30):
        yield S3Server(endpoint)


def environment(server: S3Server, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point the standard AWS variables (and ours) at `server`, as an admin would."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SKILLPORT_S3_ENDPOINT_URL", server.endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/skillport-test-aws-config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/skillport-test-aws-credentials")
