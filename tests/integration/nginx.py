"""Debian's nginx on 127.0.0.1 for tests and benchmarks: the caller writes what goes inside the
`http` block; the preamble every run needs (its own pid file, temp folders under `work`, errors
to its log, `user` where it runs as root) is added here, and nginx runs in the foreground until
the block ends."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from integration.processes import running_process

PREAMBLE = """\
{user}daemon off;
worker_processes {workers};
pid {work}/nginx.pid;
error_log stderr warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {work}/body;
    proxy_temp_path {work}/proxy;
    fastcgi_temp_path {work}/fastcgi;
    uwsgi_temp_path {work}/uwsgi;
    scgi_temp_path {work}/scgi;
{http}
}}
"""


def config(work: Path, http: str, workers: str = "1") -> str:
    """A whole nginx.conf: the preamble, with `http` inside the http block."""
    user = "user root root;\n" if os.geteuid() == 0 else ""
    return PREAMBLE.format(user=user, workers=workers, work=work, http=textwrap.indent(http.strip(), "    "))


@contextmanager
def running_nginx(
    work: Path,
    http: str,
    port: int,
    *,
    binary: str = "nginx",
    workers: str = "1",
    ready: str = "/",
    timeout: float = 30,
) -> Iterator[str]:
    """nginx with `http` (one of its servers listening on 127.0.0.1:`port`) until the block ends,
    once `ready` answers there; yields that server's base URL. Its output is in work/nginx.log."""
    work.mkdir(parents=True, exist_ok=True)
    (work / "nginx.conf").write_text(config(work, http, workers))
    command = [binary, "-p", str(work), "-c", str(work / "nginx.conf"), "-e", "stderr"]
    base = f"http://127.0.0.1:{port}"
    with running_process(command, work / "nginx.log", base + ready, timeout=timeout):
        yield base
