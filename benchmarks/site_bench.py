"""Generate the catalog website for 1,000 skills and time search per keystroke in Chromium.

Usage: python benchmarks/site_bench.py [--skills N] [--json]

The build (not timed) uses the same synthetic marketplace as the other benchmarks. Then:
- generation: `skillport site --from DIST --out SITE`, wall clock (target ≤ 5 s);
- size: every file the site wrote (pages, index, assets; the linked bundles not counted);
- search: in Debian's headless Chromium, a query typed one character at a time; each keystroke's
  input handler is timed in the page (target < 50 ms), median over every keystroke.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests")]

from integration.browser import chromium, static_server  # noqa: E402
from scale import add_scale, run_scaled  # noqa: E402
from validate_bench import make_tree  # noqa: E402

from skillport_build.release.build import BuildOptions, build  # noqa: E402

QUERIES = ["incident", "review schema", "zzz-nothing", "owner"]
TIME_KEYSTROKE = """(text) => {
  const q = document.getElementById('q');
  const t0 = performance.now();
  q.value = text;
  q.dispatchEvent(new Event('input'));
  return performance.now() - t0;
}"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skills", type=int, default=1000)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    add_scale(parser)
    args = parser.parse_args()
    if args.scale is not None:
        run_scaled(__file__, args.scale)
        return
    with tempfile.TemporaryDirectory(prefix="skillport-site-bench-") as tmp:
        work = Path(tmp)
        (work / "market").mkdir()
        make_tree(work / "market", args.skills)
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
        timings = []
        with static_server(work / "site") as url, chromium() as browser:
            page = browser.new_page()
            page.goto(f"{url}/index.html")
            page.wait_for_selector("#finder:not([hidden])")
            for query in QUERIES:
                for end in range(1, len(query) + 1):
                    timings.append(page.evaluate(TIME_KEYSTROKE, query[:end]))
                page.evaluate(TIME_KEYSTROKE, "")
    result = {
        "skills": args.skills,
        "generate_s": round(generate_s, 3),
        "size_bytes": size,
        "search_ms": round(statistics.median(timings), 2),
    }
    if args.json:
        print(json.dumps(result))
        return
    print(f"{args.skills} skills")
    print(f"generation        {generate_s:7.3f} s   (target ≤ 5 s)")
    print(f"site size         {size / 1e6:7.2f} MB (pages, search index, assets)")
    median, worst = statistics.median(timings), max(timings)
    print(f"search/keystroke  {median:7.2f} ms median, {worst:.2f} ms worst (target < 50 ms)")


if __name__ == "__main__":
    main()
