"""Time `skillport validate` and `claude plugin validate` on one synthetic 1,000-plugin marketplace.

Usage: python benchmarks/validate_bench.py [--skills N] [--runs R] [--json]

The tree has one skill per plugin with realistic files: a SKILL.md of a few KB, a reference of
~12 KB, a script, a template, and now and then a larger asset. Both validators run on the same
tree, R times each, and the median wall time is printed. The Claude Code CLI comes from
SKILLPORT_CLAUDE or from `.tools/` (installed by `make tools`).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from scale import bench_parser, parse_args

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CLAUDE = REPO / ".tools/claude/node_modules/.bin/claude"
WORDS = (
    "review release customer incident metric report summary draft policy budget latency service "
    "deploy schema query table owner action timeline risk decision context option outcome"
).split()


def _prose(rng: random.Random, size: int) -> str:
    lines, total = [], 0
    while total < size:
        line = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 16))).capitalize() + "."
        lines.append(line)
        total += len(line) + 1
    return "\n".join(lines) + "\n"


FAMILIES = ("plugin-json", "entry-defined", "plugin-root-skill", "hooks-mcp", "shared-root")


def make_tree(root: Path, skills: int, seed: int = 7, mixed: bool = False) -> None:
    """Write a marketplace with `skills` plugins of one skill each; `mixed` cycles through the layout
    families real marketplaces use (tests/layouts.py), one plugin each in turn."""
    rng = random.Random(seed)
    entries = []
    for i in range(skills):
        family = FAMILIES[i % len(FAMILIES)] if mixed else "plugin-json"
        plugin, skill = f"plugin-{i:04d}", f"skill-{i:04d}"
        base = root / "plugins" / plugin
        manifest = {
            "name": plugin,
            "version": f"1.{i % 7}.{i % 13}",
            "description": f"Plugin {i} for the benchmark.",
            "author": {"name": "Bench Team", "email": "bench@example.com"},
        }
        entry: dict[str, object] = {
            "name": plugin,
            "source": f"./plugins/{plugin}",
            "description": f"Plugin {i} for the benchmark.",
            "version": manifest["version"],
            "tags": ["surface:CALL"],
        }
        folder = base / "skills" / skill
        if family == "entry-defined":
            entry.update(strict=False, commands=["./commands/run.md"])
            (base / "commands").mkdir(parents=True)
            (base / "commands/run.md").write_text("---\ndescription: Run it\n---\n\nRun it.\n")
        elif family == "plugin-root-skill":
            skill, folder = plugin, base
            manifest["skills"] = ["./"]
        elif family == "hooks-mcp":
            entry["tags"] = ["surface:CC"]
            (base / "hooks").mkdir(parents=True)
            hooks = {"hooks": {"PostToolUse": [{"hooks": [{"type": "command", "command": "true"}]}]}}
            (base / "hooks/hooks.json").write_text(json.dumps(hooks))
            (base / ".mcp.json").write_text(json.dumps({"mcpServers": {"docs": {"command": "node"}}}))
        elif family == "shared-root":
            folder = root / "skills" / skill
            entry.update(source="./", strict=False, skills=[f"./skills/{skill}"])
        if family not in ("entry-defined", "shared-root"):
            (base / ".claude-plugin").mkdir(parents=True)
            (base / ".claude-plugin/plugin.json").write_text(json.dumps(manifest, indent=2) + "\n")
        (folder / "references").mkdir(parents=True)
        (folder / "scripts").mkdir(exist_ok=True)
        (folder / "assets").mkdir(exist_ok=True)
        body = _prose(rng, rng.randint(2_000, 6_000))
        (folder / "SKILL.md").write_text(
            f'---\nname: {skill}\ndescription: "Handles {rng.choice(WORDS)} work for team {i}. Use when '
            f'asked about {rng.choice(WORDS)}."\nlicense: Apache-2.0\n---\n\n# {skill}\n\n{body}\n'
            "See [the guide](references/guide.md) and run `scripts/tool.py`.\n"
        )
        (folder / "references/guide.md").write_text(_prose(rng, rng.randint(8_000, 16_000)))
        script = folder / "scripts/tool.py"
        script.write_text("#!/usr/bin/env python3\n" + "".join(f"# {_prose(rng, 60)}" for _ in range(40)))
        script.chmod(0o755)
        (folder / "assets/template.md").write_text(_prose(rng, rng.randint(1_000, 3_000)))
        if i % 10 == 0:
            (folder / "assets/sample.csv").write_text(_prose(rng, 100_000))
        entries.append(entry)
    (root / ".claude-plugin").mkdir()
    (root / ".claude-plugin/marketplace.json").write_text(
        json.dumps(
            {
                "name": "bench-skills",
                "owner": {"name": "Bench Team"},
                "metadata": {"description": "Synthetic marketplace for benchmarks."},
                "plugins": entries,
            },
            indent=2,
        )
        + "\n"
    )
    (root / ".skillport").mkdir()
    (root / ".skillport/access.yaml").write_text('defaults:\n  read: ["*"]\n')


def _median_time(command: list[str], runs: int, env: dict[str, str] | None = None) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        times.append(time.perf_counter() - start)
        if result.returncode != 0:
            raise SystemExit(
                f"{' '.join(command[:3])} failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}"
            )
    return statistics.median(times)


def main() -> None:
    parser = bench_parser(__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--mixed", action="store_true", help="mix the layout families real repos use")
    args = parse_args(parser, __file__)
    if args is None:
        return
    claude = os.environ.get("SKILLPORT_CLAUDE") or str(DEFAULT_CLAUDE)
    if not Path(claude).is_file():
        raise SystemExit("Claude Code CLI not found: run `make tools` or set SKILLPORT_CLAUDE")
    skillport = [sys.executable, "-m", "skillport_build", "validate", "--strict"]
    with tempfile.TemporaryDirectory(prefix="skillport-bench-") as tmp:
        root = Path(tmp) / "market"
        make_tree(root, args.skills, mixed=args.mixed)
        home = Path(tmp) / "home"
        home.mkdir()
        env = {**os.environ, "HOME": str(home), "CLAUDE_CONFIG_DIR": str(home / ".claude")}
        ours = _median_time([*skillport, str(root)], args.runs)
        theirs = _median_time([claude, "plugin", "validate", str(root), "--strict"], args.runs, env)
        size = sum(f.stat().st_size for f in root.rglob("*") if f.is_file())
        shutil.rmtree(home, ignore_errors=True)
    result = {"skills": args.skills, "skillport_s": round(ours, 3), "claude_s": round(theirs, 3)}
    if args.json:
        print(json.dumps(result))
        return
    kind = "mixed layout families" if args.mixed else "plugin.json layout"
    print(f"synthetic marketplace ({kind}): {args.skills} plugins, {args.skills} skills, {size / 1e6:.1f} MB")
    print(f"skillport validate --strict   median of {args.runs}: {ours:.3f} s  (target < 3 s)")
    print(f"claude plugin validate        median of {args.runs}: {theirs:.3f} s")
    print("  (claude validates marketplace.json and each plugin.json from the root; it does not read")
    print("   SKILL.md files there, which skillport does, with every other rule)")


if __name__ == "__main__":
    main()
