"""The website's first answers: a new audience's index page, and a skill page, in the request.

Usage: python benchmarks/pages_bench.py [--skills N] [--repeat R] [--json]

The synthetic marketplace the other benchmarks use is built, signed and published to a local store
and served by the proxy app in process (the dev sign-in, one person). Timed, R times each, median:
- a new audience's first page: `GET /` with no answer of theirs cached, so their index (a search
  answer: one page of hits, the plugins and the filters' choices of their view) is rendered in the
  request (skill pages are not: they are shared by every audience and rendered on their first
  request). Target: ≤ 300 ms at 10,000 skills;
- a skill page's first request (rendered once for every audience), and a later one (from disk);
- the results fragment search-as-you-type fetches (`?q=…&part=results`), for each keystroke of
  the queries benchmarks/site_bench.py types, each answered anew: the server's share of a keystroke.
"""

from __future__ import annotations

import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from starlette.testclient import TestClient

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests")]

from scale import bench_parser, parse_args  # noqa: E402
from serving import proxy_app, publish_synthetic  # noqa: E402

TYPED = ["incident", "review schema", "zzz-nothing", "owner"]  # as benchmarks/site_bench.py types


def _sign_in(client: TestClient) -> None:
    page = client.get("/login").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert csrf, "no sign-in form"
    response = client.post("/login/dev", data={"email": "bench@acme.example", "csrf": csrf[1], "next": "/"})
    assert response.status_code == 200, response.status_code


def _timed(client: TestClient, path: str) -> float:
    start = time.perf_counter()
    response = client.get(path)
    elapsed = time.perf_counter() - start
    assert response.status_code == 200, (path, response.status_code)
    return elapsed


def run(skills: int, repeat: int) -> dict[str, float]:
    """Serve, sign in, time; the figures (ms)."""
    with tempfile.TemporaryDirectory(prefix="skillport-pages-bench-") as tmp:
        work = Path(tmp)
        store, public = publish_synthetic(work, skills)
        with (
            proxy_app(work, store, public) as (app, _, _),
            TestClient(app, base_url="http://127.0.0.1") as client,
        ):
            _sign_in(client)
            catalog = app.state.proxy.indexed().catalog
            firsts, skill_firsts, skill_again = [], [], []
            for round_ in range(repeat):
                app.state.proxy._answers.clear()  # a new audience: no answer of theirs cached
                firsts.append(_timed(client, "/"))
                slug = catalog.skills[(round_ * 7919) % len(catalog.skills)].slug
                skill_firsts.append(_timed(client, f"/skills/{slug}.html"))
                skill_again.append(_timed(client, f"/skills/{slug}.html"))
            typed = _typed(client)
    return {
        "skills": skills,
        "new_audience_first_page_ms": statistics.median(firsts) * 1000,
        "skill_page_first_ms": statistics.median(skill_firsts) * 1000,
        "skill_page_cached_ms": statistics.median(skill_again) * 1000,
        "keystroke_fragment_ms": statistics.median(typed) * 1000,
        "keystroke_fragment_worst_ms": max(typed) * 1000,
    }


def _typed(client: TestClient) -> list[float]:
    """The results fragment of each query site_bench types, one character at a time, each new."""
    return [
        _timed(client, f"/?{urlencode({'q': query[:end], 'part': 'results'})}")
        for query in TYPED
        for end in range(1, len(query) + 1)
    ]


def main() -> None:
    parser = bench_parser(__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parse_args(parser, __file__)
    if args is None:
        return
    figures = run(args.skills, args.repeat)
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(f"website first answers, {args.skills:,} skills (median of {args.repeat})")
    first = figures["new_audience_first_page_ms"]
    print(f"  a new audience's first page: {first:.0f} ms (target: ≤ 300 ms at 10,000)")
    page, again = figures["skill_page_first_ms"], figures["skill_page_cached_ms"]
    print(f"  a skill page, first request: {page:.1f} ms; later: {again:.1f} ms")
    typed, worst = figures["keystroke_fragment_ms"], figures["keystroke_fragment_worst_ms"]
    print(f"  a keystroke's results fragment, in the request: {typed:.1f} ms median, {worst:.1f} ms worst")


if __name__ == "__main__":
    main()
