"""A bounded load test: `skillport serve` for real, on 127.0.0.1, over the template marketplace.

About fifty clients (each with a token of its own, for people in different groups) list, search,
ask for a signed link and download, all at once, for SKILLPORT_LOAD_SECONDS (30 by default). Every
answer must be 200 and show the person exactly what they may see (what they may not see is a 404),
every zip must have the sha256 the signed catalog names, and the server's memory must stay flat
once it is warm.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import yaml
from integration.registry import free_port
from proxy.served import ALL_SKILLS, PEOPLE, SEES, publish_template, state_db

from skillport_build.proxy.state import State
from skillport_build.stores import current_catalog

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        os.environ.get("SKILLPORT_INTEGRATION") != "1" and "SKILLPORT_LOAD_SECONDS" not in os.environ,
        reason="a 30-second load test: runs under `make test` (SKILLPORT_INTEGRATION=1) or with "
        "SKILLPORT_LOAD_SECONDS set",
    ),
]

SECONDS = float(os.environ.get("SKILLPORT_LOAD_SECONDS", "30"))
WARMUP = min(5.0, SECONDS / 5)
CLIENTS_PER_PERSON = 12  # 4 people in PEOPLE: 48 clients
MAX_ROUNDS = 50_000  # per client, whatever the clock says
MIN_REQUESTS = 300
RSS_GROWTH_LIMIT_KB = 20 * 1024
QUERIES = ("release", "incident notes", "csv", "review", "decision", "nothing-matches-this")


@dataclass
class Tally:
    """What the clients saw."""

    requests: int = 0
    downloads: int = 0
    links: int = 0
    failures: list[str] = field(default_factory=list)

    def fail(self, what: str) -> None:
        if len(self.failures) < 50:
            self.failures.append(what)


def rss_kb(pid: int) -> int:
    """The resident set size of a process, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for process {pid}")


@contextmanager
def serving(tmp_path: Path, settings: dict[str, object], url: str) -> Iterator[subprocess.Popen[bytes]]:
    """`skillport serve --config` in a subprocess until the block ends (SIGTERM, then SIGKILL)."""
    (tmp_path / "serve.yaml").write_text(yaml.safe_dump(settings))
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKILLPORT_")}
    command = [sys.executable, "-m", "skillport_build", "serve", "--config", str(tmp_path / "serve.yaml")]
    with (tmp_path / "serve.log").open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            deadline = time.monotonic() + 60  # a loaded machine: imports and the schema check
            while True:
                try:
                    if httpx.get(f"{url}/healthz", timeout=2, trust_env=False).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(
                        f"skillport serve did not start:\n{(tmp_path / 'serve.log').read_text()}"
                    )
                time.sleep(0.1)
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


async def client(
    index: int, who: str, token: str, url: str, bundles: dict[str, tuple[str, str]], stop: float, tally: Tally
) -> None:
    """One person's client: a signed link first, then lists, searches and downloads in turn."""
    visible = sorted(SEES[who])
    async with httpx.AsyncClient(
        base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30, trust_env=False
    ) as http:

        async def download(name: str, response: httpx.Response) -> None:
            tally.requests += 1
            if response.status_code != 200:
                tally.fail(f"{who}: {response.request.url.path} answered {response.status_code}")
            elif hashlib.sha256(response.content).hexdigest() != bundles[name][1]:
                tally.fail(f"{who}: {name}'s zip does not have the catalog's sha256")
            else:
                tally.downloads += 1

        name = visible[index % len(visible)]
        answer = await http.post(f"/api/skills/{name}/link")
        tally.requests += 1
        if answer.status_code != 200:
            tally.fail(f"{who}: a link for {name} answered {answer.status_code}")
        else:
            tally.links += 1
            request = http.build_request("GET", answer.json()["url"])
            del request.headers["Authorization"]  # the signed link alone must do
            await download(name, await http.send(request))
        for hidden in sorted(ALL_SKILLS - SEES[who]):  # answered as if it did not exist
            for response in (
                await http.post(f"/api/skills/{hidden}/link"),
                await http.get(f"/bundles/{bundles[hidden][0]}"),
            ):
                tally.requests += 1
                if response.status_code != 404:
                    tally.fail(f"{who}: {response.request.url.path} answered {response.status_code}, not 404")
        for turn in range(MAX_ROUNDS):
            if asyncio.get_running_loop().time() > stop:
                return
            if turn % 4 == 0:
                response = await http.get("/api/skills")
                tally.requests += 1
                seen = {s["name"] for s in response.json()["skills"]} if response.status_code == 200 else None
                if seen != SEES[who]:
                    tally.fail(f"{who}: /api/skills answered {response.status_code}, listing {seen}")
            elif turn % 4 == 1:
                query = QUERIES[(index + turn) % len(QUERIES)]
                response = await http.get("/api/skills", params={"q": query})
                tally.requests += 1
                seen = {s["name"] for s in response.json()["skills"]} if response.status_code == 200 else None
                if seen is None or not seen <= SEES[who]:
                    tally.fail(f"{who}: ?q={query} answered {response.status_code}, listing {seen}")
            else:
                name = visible[(index + turn) % len(visible)]
                await download(name, await http.get(f"/bundles/{bundles[name][0]}"))


async def load(
    url: str, tokens: list[tuple[str, str]], bundles: dict[str, tuple[str, str]], pid: int
) -> tuple[Tally, int, int]:
    """Run every client for SECONDS; RSS sampled after the warm-up and once the clients are done."""
    tally = Tally()
    loop = asyncio.get_running_loop()
    stop = loop.time() + SECONDS
    tasks = [
        asyncio.create_task(client(i, who, token, url, bundles, stop, tally))
        for i, (who, token) in enumerate(tokens)
    ]
    await asyncio.sleep(WARMUP)
    warm = rss_kb(pid)
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=SECONDS + 60)
    return tally, warm, rss_kb(pid)


def test_fifty_clients_get_only_200s_the_right_bytes_and_flat_memory(tmp_path: Path) -> None:
    store, public, _ = publish_template(tmp_path)
    catalog = current_catalog(store)
    assert catalog is not None
    bundles = {s.name: (s.bundle.path, s.bundle.sha256) for s in catalog.skills}
    state = State(state_db(tmp_path))
    tokens = [
        (who, state.create_token(email, groups, f"load client {n}")[0])
        for n in range(CLIENTS_PER_PERSON)
        for who, (email, groups) in PEOPLE.items()
    ]
    state.close()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = {
        "store": str(store.root),
        "keys": [str(public)],
        "db": state_db(tmp_path),
        "cache_dir": str(tmp_path / "sites"),
        "dev": True,
        "host": "127.0.0.1",
        "port": port,
        "rate_limit": 100_000,
        "rate_burst": 100_000,
    }
    with serving(tmp_path, settings, url) as server:
        start = time.monotonic()
        tally, warm, end = asyncio.run(load(url, tokens, bundles, server.pid))
        elapsed = time.monotonic() - start
        assert server.poll() is None, "the server died under load"
    log = (tmp_path / "serve.log").read_text()
    rate = f"{tally.requests} requests in {elapsed:.1f} s ({tally.requests / elapsed:.0f}/s)"
    assert not tally.failures, f"{rate}; failures:\n" + "\n".join(tally.failures[:10])
    assert tally.links == len(tokens)
    assert tally.requests > MIN_REQUESTS, rate
    assert tally.downloads > tally.requests // 3, rate
    assert end - warm < RSS_GROWTH_LIMIT_KB, f"RSS grew from {warm} KB to {end} KB; {rate}"
    assert "Traceback" not in log, log[-3000:]
