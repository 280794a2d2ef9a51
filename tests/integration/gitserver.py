"""Real git servers for the tests, on 127.0.0.1: git's own `git http-backend` behind a small HTTP
server that asks for basic auth, and `git daemon` for unauthenticated git:// access.

Both serve the bare repositories under one folder; `remotes.plugin_repository` makes them.
"""

from __future__ import annotations

import base64
import contextlib
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from integration.threaded_http import serving_http
from integration.tools import require
from remotes import GIT_ENV

USER = "ci-bot"


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class HttpGitServer:
    """A running smart-HTTP git server; `requests` counts what it was asked, by service."""

    url: str
    token: str
    requests: list[str] = field(default_factory=list)  # "GET /x.git/info/refs?service=git-upload-pack", …

    def fetches(self) -> int:
        """How many upload-pack exchanges (ref listings and pack requests) it has answered."""
        return sum(1 for r in self.requests if "git-upload-pack" in r)


def _handler(root: Path, server: HttpGitServer, backend: str) -> type[BaseHTTPRequestHandler]:
    def authorised(header: str | None) -> bool:
        """Basic auth whose password is the token, under any user name (as GitHub takes tokens)."""
        if not header or not header.startswith("Basic "):
            return False
        with contextlib.suppress(ValueError):
            return base64.b64decode(header[6:]).decode().partition(":")[2] == server.token
        return False

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # the test reads `requests` instead
            pass

        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def _serve(self) -> None:
            server.requests.append(f"{self.command} {self.path}")
            if not authorised(self.headers.get("Authorization")):
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="plugins"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            path, _, query = self.path.partition("?")
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            env = {
                "PATH": os.environ["PATH"],
                "GIT_PROJECT_ROOT": str(root),
                "GIT_HTTP_EXPORT_ALL": "1",
                "GIT_CONFIG_NOSYSTEM": "1",
                "GIT_CONFIG_GLOBAL": os.devnull,
                "REQUEST_METHOD": self.command,
                "PATH_INFO": path,
                "QUERY_STRING": query,
                "CONTENT_TYPE": self.headers.get("Content-Type", ""),
                "CONTENT_LENGTH": str(len(body)),
                "REMOTE_USER": USER,
                "REMOTE_ADDR": "127.0.0.1",
                "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
                "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
            }
            done = subprocess.run([backend], input=body, env=env, capture_output=True, check=False)
            head, _, payload = done.stdout.partition(b"\r\n\r\n")
            status = 200
            headers = []
            for line in head.decode("latin-1").split("\r\n"):
                name, _, value = line.partition(":")
                if name.lower() == "status":
                    status = int(value.split()[0])
                elif name:
                    headers.append((name, value.strip()))
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    return Handler


@contextmanager
def running_http_git(root: Path, token: str) -> Iterator[HttpGitServer]:
    """Serve the bare repositories under `root` over smart HTTP on 127.0.0.1, every request
    asking for basic auth with `token` as the password; stopped after."""
    backend = require("git")  # git-http-backend ships with git itself
    exec_path = subprocess.run([backend, "--exec-path"], capture_output=True, text=True, check=True).stdout
    http_backend = str(Path(exec_path.strip()) / "git-http-backend")
    port = free_port()
    state = HttpGitServer(f"http://127.0.0.1:{port}", token)
    with serving_http(_handler(root, state, http_backend), port):
        yield state


@contextmanager
def running_git_daemon(root: Path) -> Iterator[str]:
    """`git daemon` exporting the repositories under `root` on 127.0.0.1; its git:// base URL."""
    binary = require("git")
    port = free_port()
    process = subprocess.Popen(
        [
            binary,
            "daemon",
            "--reuseaddr",
            "--export-all",
            f"--base-path={root}",
            "--listen=127.0.0.1",
            f"--port={port}",
            str(root),
        ],
        env={"PATH": os.environ["PATH"], **GIT_ENV},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("git daemon did not start") from None
                time.sleep(0.1)
        yield f"git://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)
