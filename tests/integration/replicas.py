"""Several `skillport serve` processes on one PostgreSQL database and one store, behind Debian's
nginx as a round-robin load balancer: what an organisation runs when one host is not enough. All
listen on 127.0.0.1 only and are stopped (and their folders removed) after."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from integration.registry import free_port
from integration.tools import require

NOTIFY_SECRET = "replica-test-notify-secret"
LB_CONF = """\
{user}daemon off;
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {work}/body;
    proxy_temp_path {work}/proxy;
    fastcgi_temp_path {work}/fastcgi;
    uwsgi_temp_path {work}/uwsgi;
    scgi_temp_path {work}/scgi;
    upstream replicas {{
{servers}
        keepalive 64;
        keepalive_timeout 4s;  # below uvicorn's 5 s: never reuse a connection a replica is closing
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://replicas;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_next_upstream off;
            add_header X-Upstream $upstream_addr always;
        }}
    }}
}}
"""


@dataclass(frozen=True)
class Replicas:
    """Running replicas: each one's own URL, and the load balancer's (their `public_url`)."""

    urls: tuple[str, ...]
    balancer: str
    work: Path
    pids: tuple[int, ...]  # each replica's `skillport serve` process


def _skillport() -> list[str]:
    script = Path(sys.executable).with_name("skillport")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "skillport_build"]


def _wait(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90
    while True:
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"{url} did not come up:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)


@contextmanager
def _process(
    command: list[str], log: Path, ready: str, env: dict[str, str]
) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env
        )
        try:
            _wait(ready, process, log)
            yield process
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextmanager
def running_replicas(work: Path, db: str, settings: dict[str, Any], count: int = 2) -> Iterator[Replicas]:
    """`count` replicas of `skillport serve` with `settings` (store, keys, …) on database `db`,
    and nginx balancing requests between them in turn."""
    nginx = require("nginx")
    work.mkdir(parents=True, exist_ok=True)
    ports, lb_port = [free_port() for _ in range(count)], free_port()
    balancer = f"http://127.0.0.1:{lb_port}"
    env = {**os.environ, "SKILLPORT_NOTIFY_SECRET": NOTIFY_SECRET}
    with ExitStack() as stack:
        pids = []
        for n, port in enumerate(ports):
            config = {"db": db, "host": "127.0.0.1", "port": port, "public_url": balancer, "dev": True}
            config |= {"cache_dir": str(work / f"sites-{n}")} | settings
            (work / f"replica-{n}.yaml").write_text(json.dumps(config))
            command = [*_skillport(), "serve", "--config", str(work / f"replica-{n}.yaml")]
            process = stack.enter_context(
                _process(command, work / f"replica-{n}.log", f"http://127.0.0.1:{port}/healthz", env)
            )
            pids.append(process.pid)
        conf = work / "nginx" / "nginx.conf"
        conf.parent.mkdir(exist_ok=True)
        servers = "\n".join(f"        server 127.0.0.1:{port};" for port in ports)
        user = "user root root;\n" if os.geteuid() == 0 else ""
        conf.write_text(LB_CONF.format(user=user, work=conf.parent, servers=servers, port=lb_port))
        command = [nginx, "-p", str(conf.parent), "-c", str(conf), "-e", str(conf.parent / "error.log")]
        stack.enter_context(_process(command, work / "nginx.log", f"{balancer}/healthz", env))
        yield Replicas(tuple(f"http://127.0.0.1:{port}" for port in ports), balancer, work, tuple(pids))
