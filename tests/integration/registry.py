"""A real OCI registry for the tests: Debian's docker-registry on 127.0.0.1 with htpasswd auth."""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from integration.processes import running_process
from integration.tools import require

USER, PASSWORD = "publisher", "s3cret-registry-pass"


@dataclass(frozen=True)
class Registry:
    """A running registry."""

    host: str

    def url(self, namespace: str) -> str:
        """An oci:// store URL in this registry."""
        return f"oci://{self.host}/{namespace}"


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_registry(workdir: Path) -> Iterator[Registry]:
    """Start docker-registry with htpasswd auth on 127.0.0.1; stop and clean up after."""
    binary, htpasswd = require("docker-registry"), require("htpasswd")
    workdir.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [htpasswd, "-Bbc", str(workdir / "htpasswd"), USER, PASSWORD], check=True, capture_output=True
    )
    port = free_port()
    (workdir / "config.yml").write_text(
        "version: 0.1\n"
        "log: {level: error}\n"
        f"storage: {{filesystem: {{rootdirectory: {workdir / 'data'}}}, delete: {{enabled: true}}}}\n"
        f"http: {{addr: '127.0.0.1:{port}'}}\n"
        f"auth: {{htpasswd: {{realm: skillport-tests, path: {workdir / 'htpasswd'}}}}}\n"
    )
    command = [binary, "serve", str(workdir / "config.yml")]
    with running_process(command, workdir / "registry.log", f"http://127.0.0.1:{port}/v2/", timeout=20):
        yield Registry(f"127.0.0.1:{port}")
