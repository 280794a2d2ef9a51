"""Several `skillport serve` processes on one PostgreSQL database and one store, behind Debian's
nginx as a round-robin load balancer: what an organisation runs when one host is not enough. All
listen on 127.0.0.1 only and are stopped (and their folders removed) after."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from integration.nginx import running_nginx
from integration.processes import running_process, skillport_command
from integration.registry import free_port
from integration.tools import require

NOTIFY_SECRET = "replica-test-notify-secret"
BALANCER = """\
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
"""


@dataclass(frozen=True)
class Replicas:
    """Running replicas: each one's own URL, and the load balancer's (their `public_url`)."""

    urls: tuple[str, ...]
    balancer: str
    work: Path
    pids: tuple[int, ...]  # each replica's `skillport serve` process


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
            command = [*skillport_command(), "serve", "--config", str(work / f"replica-{n}.yaml")]
            ready = f"http://127.0.0.1:{port}/healthz"
            process = stack.enter_context(running_process(command, work / f"replica-{n}.log", ready, env=env))
            pids.append(process.pid)
        servers = "\n".join(f"    server 127.0.0.1:{port};" for port in ports)
        http = BALANCER.format(servers=servers, port=lb_port)
        stack.enter_context(running_nginx(work / "nginx", http, lb_port, binary=nginx, ready="/healthz"))
        yield Replicas(tuple(f"http://127.0.0.1:{port}" for port in ports), balancer, work, tuple(pids))
