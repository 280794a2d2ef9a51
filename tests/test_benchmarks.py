"""Every benchmark takes `--skills N`, `--json` and `--scale`, and `make bench` runs each one at
$(BENCH_SKILLS) (1,000), passing `--scale` on for `make bench-scale`."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest
from factory import REPO

BENCHMARKS = sorted((REPO / "benchmarks").glob("*_bench.py"))


def _bench_recipe() -> list[str]:
    lines = (REPO / "Makefile").read_text().splitlines()
    start = lines.index(next(line for line in lines if line.startswith("bench:"))) + 1
    recipe = []
    for line in lines[start:]:
        if not line.startswith("\t"):
            break
        recipe.append(line.strip())
    return recipe


def test_make_bench_runs_every_benchmark_at_bench_skills() -> None:
    assert "BENCH_SKILLS ?= 1000" in (REPO / "Makefile").read_text()
    recipe = _bench_recipe()
    missing = [
        bench.name
        for bench in BENCHMARKS
        if not any(f"$(BENCH)/{bench.name} --skills $(BENCH_SKILLS) $(SCALE)" in line for line in recipe)
    ]
    assert missing == [], "add these to the Makefile's bench target"


@pytest.mark.parametrize("bench", BENCHMARKS, ids=lambda p: Path(p).stem)
def test_every_benchmark_parses_its_flags_through_scale(bench: Path) -> None:
    """Its parser is `bench_parser` (--skills, --json) and its flags come from `parse_args`
    (which adds --scale and runs the sizes), both from benchmarks/scale.py."""
    called = {
        node.func.id
        for node in ast.walk(ast.parse(bench.read_text()))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }
    assert {"bench_parser", "parse_args"} <= called


def test_the_shared_parser_has_skills_json_and_scale() -> None:
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        from scale import add_scale, bench_parser
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    parser = bench_parser("A benchmark.\n\nMore.")
    add_scale(parser)
    args = parser.parse_args(["--skills", "10", "--json", "--scale"])
    assert (args.skills, args.json, args.scale) == (10, True, [])
    assert parser.parse_args([]).skills == 1000 and parser.parse_args([]).scale is None
