"""The catalog website at N skills: what a browser transfers for the index page and for searching,
and how fast a keystroke is answered, for the static site and for the site the proxy serves.

Usage: python benchmarks/site_bench.py [--skills N] [--json] [--scale [N ...]]

The build (not timed) uses the same synthetic marketplace as the other benchmarks. Then:
- generation: `skillport site --from DIST --out SITE` (pages and its search index), wall clock;
- static site: served from a folder on 127.0.0.1 and opened in Debian's headless Chromium;
- served site: the same catalog signed, published and served by `skillport serve`'s app (uvicorn on
  127.0.0.1, dev sign-in), opened in the same browser;
- index transfer: every byte the browser received (bodies and headers) to show the index page;
- keystroke: each query typed one character at a time, twice (the first typing fetches what it
  needs, the second is the figure); a keystroke's time runs from the input event to search.js
  showing its answer (the `skillport:results` event), median and worst, split into the time until
  its last response ended (and the server's wait for the first byte) and the rest (script, DOM).
  Targets at 10,000 skills: the index page ≤ 1 MB, a keystroke < 50 ms. Timings on a shared machine
  run high.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests")]

from integration.browser import chromium, static_server  # noqa: E402
from proxy.live_server import running  # noqa: E402
from scale import bench_parser, parse_args  # noqa: E402
from serving import proxy_app  # noqa: E402
from validate_bench import make_tree  # noqa: E402

from skillport_build.release.build import BuildOptions, build  # noqa: E402
from skillport_build.release.publish import publish  # noqa: E402
from skillport_build.stores import LocalStore  # noqa: E402
from skillport_build.trust.minisign import generate  # noqa: E402
from skillport_build.trust.sign import sign_dir  # noqa: E402

QUERIES = ["incident", "review schema", "zzz-nothing", "owner"]
KEYSTROKE = """async (text) => {
  const q = document.getElementById('q');
  const answered = new Promise(
    r => document.addEventListener('skillport:results', () => r(true), {once: true}));
  performance.clearResourceTimings();
  const t0 = performance.now();
  q.value = text;
  q.dispatchEvent(new Event('input'));
  await answered;
  const ms = performance.now() - t0;
  const fetched = performance.getEntriesByType('resource').filter(e => e.startTime >= t0);
  const last = fetched[fetched.length - 1];
  return {
    ms: ms,
    requests: fetched.length,
    bytes: fetched.reduce((n, e) => n + e.transferSize, 0),
    network: last ? last.responseEnd - t0 : 0,
    wait: last ? last.responseStart - last.requestStart : 0,
  };
}"""


class Transfer:
    """Counts the bytes a page receives (bodies and headers, as sent)."""

    def __init__(self, page: Any) -> None:
        self.bytes = 0
        page.on("requestfinished", self._finished)

    def _finished(self, request: Any) -> None:
        sizes = request.sizes()
        self.bytes += sizes["responseBodySize"] + sizes["responseHeadersSize"]


def _type_queries(page: Any) -> list[dict[str, float]]:
    timings = []
    for query in QUERIES:
        for end in range(1, len(query) + 1):
            timings.append(page.evaluate(KEYSTROKE, query[:end]))
        page.evaluate(KEYSTROKE, "")
    return timings


def _median(timings: list[dict[str, float]], key: str) -> float:
    return round(statistics.median(t[key] for t in timings), 2)


def _measure(page: Any, url: str) -> dict[str, Any]:
    """Open the index, then search; bytes and keystroke timings."""
    transfer = Transfer(page)
    page.goto(url)
    page.wait_for_selector("#finder:not([hidden])")
    page.wait_for_load_state("networkidle")
    index_bytes = transfer.bytes
    first = _type_queries(page)  # cold: the first time, files are fetched (a static site's index)
    page.wait_for_load_state("networkidle")
    warmed = transfer.bytes
    timings = _type_queries(page)
    page.wait_for_load_state("networkidle")
    return {
        "index_bytes": index_bytes,
        "first_search_bytes": warmed - index_bytes,
        "first_keystroke_ms": _median(first, "ms"),
        "first_keystroke_worst_ms": round(max(t["ms"] for t in first), 2),
        "keystroke_ms": _median(timings, "ms"),
        "keystroke_worst_ms": round(max(t["ms"] for t in timings), 2),
        # where a keystroke's time goes: until the last response's end (network, the server's wait
        # for its first byte within it), and the rest (the script's scoring and the page's update)
        "requests_per_keystroke": _median(timings, "requests"),
        "bytes_per_keystroke": _median(timings, "bytes"),
        "network_ms": _median(timings, "network"),
        "server_wait_ms": _median(timings, "wait"),
        "page_ms": round(statistics.median(t["ms"] - t["network"] for t in timings), 2),
    }


def _served(work: Path, browser: Any) -> dict[str, Any]:
    """The same catalog signed, published and served on 127.0.0.1; one signed-in person's figures."""
    key = generate()
    sign_dir(work / "dist", key)
    store = LocalStore(work / "store")
    publish(work / "dist", store)
    (work / "trusted.pub").write_text(key.public().to_text())
    with (
        proxy_app(work, store, work / "trusted.pub") as (app, _, port),
        running(app, port, start_within=600) as url,  # loading 10,000 skills takes a while
    ):
        page = browser.new_page()
        page.goto(f"{url}/login")
        page.fill("input[name=email]", "bench@acme.example")
        page.click("button:text('Sign in')")
        page.wait_for_url(f"{url}/")
        return _measure(page, f"{url}/")


def run(skills: int) -> dict[str, Any]:
    """Build, generate, serve both ways, measure."""
    with tempfile.TemporaryDirectory(prefix="skillport-site-bench-") as tmp:
        work = Path(tmp)
        (work / "market").mkdir()
        make_tree(work / "market", skills)
        build(work / "market", BuildOptions(out=work / "dist"))
        start = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "skillport_build",
                "site",
                "--from",
                str(work / "dist"),
                "--out",
                str(work / "site"),
            ],
            check=True,
            capture_output=True,
        )
        generate_s = time.perf_counter() - start
        size = sum(p.stat().st_size for p in (work / "site").rglob("*") if p.is_file() and p.suffix != ".zip")
        with static_server(work / "site") as url, chromium() as browser:
            static = _measure(browser.new_page(), f"{url}/index.html")
            print(json.dumps({"skills": skills, "static": static}), file=sys.stderr, flush=True)
            served = _served(work, browser)
    return {
        "skills": skills,
        "generate_s": round(generate_s, 3),
        "size_bytes": size,
        **{f"static_{k}": v for k, v in static.items()},
        **{f"served_{k}": v for k, v in served.items()},
    }


def main() -> None:
    parser = bench_parser(__doc__)
    args = parse_args(parser, __file__)
    if args is None:
        return
    figures = run(args.skills)
    if args.json:
        print(json.dumps(figures))
        return
    print(f"{args.skills:,} skills")
    print(f"generation            {figures['generate_s']:8.3f} s")
    print(f"static site size      {figures['size_bytes'] / 1e6:8.2f} MB (pages, search index, assets)")
    for kind in ("static", "served"):
        f = {k.removeprefix(f"{kind}_"): v for k, v in figures.items() if k.startswith(f"{kind}_")}
        print(f"{kind} index page     {f['index_bytes'] / 1e3:8.1f} kB transferred (target ≤ 1,000 kB)")
        searched = f["first_search_bytes"] / 1e3
        print(f"{kind} first search   {searched:8.1f} kB more, for {len(QUERIES)} queries typed")
        median, worst = f["keystroke_ms"], f["keystroke_worst_ms"]
        print(f"{kind} keystroke      {median:8.2f} ms median, {worst:.2f} ms worst (target < 50 ms)")
        print(
            f"{kind}   of which      {f['network_ms']:8.2f} ms until the last response (server wait "
            f"{f['server_wait_ms']:.2f} ms), {f['page_ms']:.2f} ms script and page; "
            f"{f['requests_per_keystroke']:g} requests, {f['bytes_per_keystroke'] / 1e3:.1f} kB"
        )
        cold, cold_worst = f["first_keystroke_ms"], f["first_keystroke_worst_ms"]
        print(
            f"{kind} first typing   {cold:8.2f} ms median, {cold_worst:.2f} ms worst (files not yet fetched)"
        )


if __name__ == "__main__":
    main()
