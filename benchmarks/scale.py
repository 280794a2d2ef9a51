"""`--scale`: run one benchmark at several sizes and print its figures side by side.

Every benchmark here takes `--skills N` and `--json`; with `--scale` (1,000 and 10,000 skills) or
`--scale N N ...` it runs itself once per size, each in a fresh process so that one size's memory
and warm caches never flatter the next, and prints one row per figure with a column per size and
the growth from the first size to the last. A size that fails (say 100,000 runs out of memory) is
reported as such and the others still print.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from typing import Any

DEFAULT_SIZES = (1_000, 10_000)
_OWN_FLAGS = {"--scale", "--skills", "--json"}


def add_scale(parser: argparse.ArgumentParser) -> None:
    """Give a benchmark's parser the `--scale [N ...]` flag."""
    parser.add_argument(
        "--scale",
        nargs="*",
        type=int,
        metavar="N",
        help="run at 1,000 and 10,000 skills (or at each N given) and print the figures side by side",
    )


def bench_parser(doc: str | None) -> argparse.ArgumentParser:
    """The parser every benchmark starts from: its docstring's first paragraph, `--skills N`, `--json`."""
    parser = argparse.ArgumentParser(description=(doc or "").strip().split("\n\n")[0])
    parser.add_argument("--skills", type=int, default=1000, help="skills in the generated marketplace")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    return parser


def parse_args(parser: argparse.ArgumentParser, script: str) -> argparse.Namespace | None:
    """The benchmark's flags, with `--scale` added; None when `--scale` has run `script` at every
    size and printed the table (nothing is left to do)."""
    add_scale(parser)
    args = parser.parse_args()
    if args.scale is not None:
        run_scaled(script, args.scale)
        return None
    return args


def run_scaled(script: str, sizes: list[int], argv: list[str] | None = None) -> None:
    """Run `script` once per size with the other flags of `argv` and print the figures as a table."""
    rest = _passed_on(sys.argv[1:] if argv is None else argv)
    columns: dict[int, dict[str, Any] | str] = {}
    for size in sizes or DEFAULT_SIZES:
        print(f"… {size:,} skills", file=sys.stderr, flush=True)
        columns[size] = _run_one(script, size, rest)
    print(render(columns))


def _passed_on(argv: list[str]) -> list[str]:
    """The benchmark's own flags, less those `--scale` sets per run (and their values)."""
    kept, skipping = [], False
    for arg in argv:
        name = arg.split("=", 1)[0]
        if name in _OWN_FLAGS:
            skipping = name != "--json" and "=" not in arg
            continue
        if skipping and (arg.lstrip("-").isdigit() or not arg.startswith("-")):
            continue
        skipping = False
        kept.append(arg)
    return kept


def _run_one(script: str, size: int, rest: list[str]) -> dict[str, Any] | str:
    """The flattened JSON figures of one run, or why it gave none."""
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, script, "--skills", str(size), "--json", *rest],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
        return f"failed (exit {result.returncode}): {tail[0][:60]}"
    try:
        figures = json.loads(result.stdout[result.stdout.index("{") :])
    except ValueError:
        return "failed: no JSON figures"
    return {**flatten(figures), "wall_s": round(time.perf_counter() - start, 1)}


def flatten(value: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """{"a": {"b": 1}} -> {"a.b": 1}, so nested figures get a row each."""
    flat: dict[str, Any] = {}
    for key, item in value.items():
        if isinstance(item, dict):
            flat.update(flatten(item, f"{prefix}{key}."))
        elif not isinstance(item, list):
            flat[f"{prefix}{key}"] = item
    return flat


def render(columns: dict[int, dict[str, Any] | str]) -> str:
    """One row per figure, one column per size, then last/first for numeric rows."""
    sizes = list(columns)
    keys: list[str] = []
    for figures in columns.values():
        if isinstance(figures, dict):
            keys += [k for k in figures if k not in keys and k != "skills"]
    width = max([len(k) for k in keys] + [6])
    lines = [f"{'skills':<{width}}" + "".join(f"{size:>14,}" for size in sizes) + f"{'growth':>10}"]
    for key in keys:
        cells = [figures.get(key) if isinstance(figures, dict) else None for figures in columns.values()]
        lines.append(f"{key:<{width}}" + "".join(f"{_cell(c):>14}" for c in cells) + f"{_growth(cells):>10}")
    lines += [f"{size:,}: {figures}" for size, figures in columns.items() if isinstance(figures, str)]
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _growth(cells: list[Any]) -> str:
    numbers = [c for c in cells if isinstance(c, int | float) and not isinstance(c, bool)]
    if len(numbers) < 2 or len(numbers) != len(cells) or not numbers[0]:
        return ""
    return f"{numbers[-1] / numbers[0]:.2f}x"
