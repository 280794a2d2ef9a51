"""Search latency of `skillport serve` through its index, in process and over HTTP.

Usage: python benchmarks/search_bench.py [--skills N] [--samples S] [--warmup W] [--json]

The synthetic marketplace the other benchmarks use (every SKILL.md holds nearly every one of its
24 words, so a one-word query ranks the whole catalog) is built, signed and published to a local
store, then served by the proxy app (uvicorn in a thread on 127.0.0.1) with a personal token.
Queries are all different, so no answer comes from the per-audience answer cache: one and two
words, prefixes as a person types them (`inc`, `incid`), typos (`incidnet`), a skill's name, a word
found nowhere, and filters. Each figure is over S queries after W of warm-up:
- index: building it for the catalog, and rebuilding it after one skill changed (the rest reused);
- in process: `Proxy.search_json` (what GET /api/skills calls, summaries' JSON included) and `Tools.search`
  (what the MCP tool `search_skills` calls), for a signed-in person who sees every skill;
- over HTTP: GET /api/skills?q=…, timed inside the server (an ASGI wrapper around the whole app,
  from the request entering it to the last byte handed to uvicorn) and as the client's round trip.
Targets (issue 20): p50 ≤ 2 ms and p95 ≤ 10 ms in the server. The MCP path over HTTP, with the
SDK's transport, is measured by benchmarks/mcp_bench.py. The server is stopped and the temp dir
removed on exit or Ctrl-C.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests")]

from proxy.live_server import running  # noqa: E402
from scale import bench_parser, parse_args  # noqa: E402
from serving import proxy_app, publish_synthetic, run_stoppable  # noqa: E402
from validate_bench import WORDS  # noqa: E402

from skillport_build.models.access import Identity  # noqa: E402
from skillport_build.proxy.connector.skills_ext import SkillFiles  # noqa: E402
from skillport_build.proxy.connector.tools import Tools  # noqa: E402
from skillport_build.proxy.search import Filters, SearchIndex  # noqa: E402
from skillport_build.proxy.service import Proxy  # noqa: E402

P50_TARGET_MS, P95_TARGET_MS = 2.0, 10.0
EMAIL = "bench@example.com"


class Timed:
    """Around the whole app: the time each GET /api/skills spends in it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.samples: list[float] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/api/skills":
            await self.app(scope, receive, send)
            return
        start, elapsed = time.perf_counter(), 0.0

        async def sending(message: Message) -> None:
            nonlocal elapsed
            if message["type"] == "http.response.body" and not message.get("more_body"):
                elapsed = time.perf_counter() - start
            await send(message)

        await self.app(scope, receive, sending)
        self.samples.append(elapsed * 1000)


def _typo(rng: random.Random, word: str) -> str:
    i = rng.randrange(len(word) - 1)
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def queries(count: int, skills: int, seed: int) -> list[dict[str, str]]:
    """`count` different queries (and a filter now and then), in a fixed shuffled order."""
    rng = random.Random(seed)
    found: dict[str, dict[str, str]] = {}
    kinds = itertools.cycle(("word", "two", "prefix", "typo", "name", "missing", "three", "filtered"))
    while len(found) < count:
        kind, word = next(kinds), rng.choice(WORDS)
        query = {
            "word": word,
            "two": f"{word} {rng.choice(WORDS)}",
            "three": " ".join(rng.sample(WORDS, 3)),
            "prefix": word[: rng.randint(2, len(word))],
            "typo": _typo(rng, word),
            "name": f"skill-{rng.randrange(skills):04d}",
            "missing": f"zq{rng.randrange(10**6)}",
            "filtered": word,
        }[kind]
        asked = {"q": query, **({"surface": "claude-code"} if kind == "filtered" else {})}
        found.setdefault(json.dumps(asked, sort_keys=True), asked)
    return list(found.values())


def _timed(calls: list[dict[str, str]], warmup: int, one: Callable[[dict[str, str]], object]) -> list[float]:
    times = []
    for i, asked in enumerate(calls):
        start = time.perf_counter()
        one(asked)
        if i >= warmup:
            times.append((time.perf_counter() - start) * 1000)
    return times


def _index_times(proxy: Proxy) -> dict[str, float]:
    indexed = proxy.indexed()
    skills, texts = indexed.catalog.skills, indexed.texts
    start = time.perf_counter()
    full = SearchIndex(skills, texts)
    built = time.perf_counter() - start
    changed = [skills[0].model_copy(update={"description": "Changed for the benchmark."}), *skills[1:]]
    start = time.perf_counter()
    again = SearchIndex(changed, texts, full)
    rebuilt = time.perf_counter() - start
    assert again.reused == len(skills) - 1
    return {"index_build_s": built, "index_rebuild_s": rebuilt}


def _in_process(proxy: Proxy, calls: list[dict[str, str]], warmup: int) -> dict[str, list[float]]:
    identity = Identity(EMAIL, frozenset())
    view = proxy.view(identity)
    tools = Tools(proxy, SkillFiles(proxy))

    def api(asked: dict[str, str]) -> object:
        return proxy.search_json(view, asked["q"], Filters(asked.get("surface")), 0, 50)

    def mcp(asked: dict[str, str]) -> object:
        return tools.search(identity, asked["q"], asked.get("surface"), None, 10)

    return {"proxy": _timed(calls, warmup, api), "tools": _timed(calls, warmup, mcp)}


def _over_http(url: str, token: str, calls: list[dict[str, str]], warmup: int) -> list[float]:
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60) as http:

        def one(asked: dict[str, str]) -> object:
            response = http.get("/api/skills", params=asked)
            if response.status_code != 200:
                raise SystemExit(f"GET /api/skills {asked} answered {response.status_code}: {response.text}")
            return response

        return _timed(calls, warmup, one)


def _check(proxy: Proxy, skills: int) -> None:
    """Exit unless the empty query counts every skill and a skill's name finds it first."""
    view = proxy.view(Identity(EMAIL, frozenset()))
    total, _ = proxy.search(view, "", Filters(), 0, 50)
    name = f"skill-{skills // 2:04d}"
    first = proxy.search(view, name, Filters(), 0, 1)[1]
    if total != skills or not first or first[0].name != name:
        raise SystemExit(f"search is wrong: {total} of {skills} listed, {name!r} found {first}")


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Publish, serve, measure; returns the figures."""
    calls = queries(2 * (args.warmup + args.samples), args.skills, seed=20)
    direct, remote = calls[: args.warmup + args.samples], calls[args.warmup + args.samples :]
    with tempfile.TemporaryDirectory(prefix="skillport-search-bench-") as tmp:
        work = Path(tmp)
        store, public = publish_synthetic(work, args.skills)
        with proxy_app(work, store, public, EMAIL, "search_bench") as (app, token, port):
            timed = Timed(app)
            proxy: Proxy = app.state.proxy
            start = time.perf_counter()
            proxy.refresh()  # before uvicorn starts, so its start-up does not wait on the first index
            figures: dict[str, Any] = {"first_refresh_s": time.perf_counter() - start}
            with running(timed, port) as url:
                _check(proxy, args.skills)
                figures |= _index_times(proxy)
                measured = _in_process(proxy, direct, args.warmup)
                round_trips = _over_http(url, token, remote, args.warmup)
                _over_http(url, token, [remote[0]] * (args.samples + 1), 1)  # one answer, from the cache
    measured["cached"] = timed.samples[-args.samples :]
    measured["server"] = timed.samples[-2 * args.samples - 1 : -args.samples - 1]
    measured["round_trip"] = round_trips
    for name, times in measured.items():
        figures[f"{name}_p50_ms"] = statistics.median(times)
        figures[f"{name}_p95_ms"] = statistics.quantiles(times, n=20)[-1]
    return {"skills": args.skills, **figures}


def main() -> None:
    parser = bench_parser(__doc__)
    parser.add_argument("--samples", type=int, default=400, help="timed queries per path")
    parser.add_argument("--warmup", type=int, default=40, help="queries before timing")
    args = parse_args(parser, __file__)
    if args is None:
        return
    if args.skills < 2 or args.samples < 20:
        parser.error("--skills must be at least 2 and --samples at least 20")
    f = run_stoppable(run, args, "server stopped")
    if args.json:
        print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in f.items()}))
        return
    met = {True: "met", False: "MISSED"}
    print(
        f"{args.skills} skills; {args.samples} different queries per path after {args.warmup} of warm-up; "
        f"{os.cpu_count()} CPUs"
    )
    build, rebuild = f["index_build_s"], f["index_rebuild_s"]
    print(
        f"index: built in {build:.2f} s, rebuilt after one skill changed in {rebuild:.2f} s; the first "
        f"catalog load (bundles read, verified, indexed) {f['first_refresh_s']:.2f} s"
    )
    print(f"{'':40}{'p50':>10}{'p95':>10}  target p50 ≤ {P50_TARGET_MS:g} ms, p95 ≤ {P95_TARGET_MS:g} ms")
    rows = (
        ("Proxy.search_json (the API's call)", "proxy", True),
        ("Tools.search (MCP search_skills), in process", "tools", True),
        ("GET /api/skills?q=, in server", "server", True),
        ("GET /api/skills?q=, client round trip", "round_trip", False),
        ("  the same route, answer from its cache", "cached", False),
    )
    for label, key, targeted in rows:
        p50, p95 = f[f"{key}_p50_ms"], f[f"{key}_p95_ms"]
        verdict = met[p50 <= P50_TARGET_MS and p95 <= P95_TARGET_MS] if targeted else ""
        print(f"{label:40}{p50:8.2f}ms{p95:8.2f}ms  {verdict}".rstrip())


if __name__ == "__main__":
    main()
