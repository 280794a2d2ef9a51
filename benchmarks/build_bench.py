"""Time `skillport build` against a floor made of standard tools, and a one-skill rebuild.

Usage: python benchmarks/build_bench.py [--skills N] [--mixed] [--no-git] [--json] [--scale [N ...]]

On one synthetic marketplace (the same generator as validate_bench.py: one skill per plugin with
realistic files), in one run:
- full build: `skillport build TREE --out OUT` from nothing (validation, digests, every skill and
  plugin zip, the catalog);
- floor: Info-ZIP `zip -X -r` of every skill folder, one process each, plus `sha256sum` over every
  file: the least any tool must do to zip and hash the same tree;
- one-skill rebuild: change one skill, `skillport bump --plugin` it, then build again into the same
  OUT with the first catalog as --previous; reported as a fraction of the full build.
The tree is a git checkout (every file committed), as a marketplace repository is, so the build
cache knows folders by git's index; `--no-git` leaves git out and times the stat fingerprints.
Everything is timed as a user runs it: whole commands, wall clock.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scale import add_scale, run_scaled
from validate_bench import make_tree

SKILLPORT = [sys.executable, "-m", "skillport_build"]


def _timed(command: list[str], cwd: Path | None = None) -> float:
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, cwd=cwd, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command[:4])} failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    return elapsed


def _commit(root: Path) -> None:
    """Make the tree a git checkout with everything committed."""
    env = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.com"}
    env.update(GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="bench@example.com")
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "tree"]):
        subprocess.run(["git", "-C", str(root), *command], check=True, env=env, capture_output=True)


def floor(root: Path, scratch: Path) -> float:
    """zip -X -r per skill folder, then sha256sum over every file."""
    skills = sorted(root.glob("plugins/*/skills/*"))
    files = [str(p) for p in root.rglob("*") if p.is_file() and ".git" not in p.relative_to(root).parts]
    start = time.perf_counter()
    for folder in skills:
        subprocess.run(
            ["zip", "-X", "-r", "-q", str(scratch / f"{folder.name}.zip"), folder.name],
            cwd=folder.parent,
            check=True,
        )
    for i in range(0, len(files), 500):
        subprocess.run(["sha256sum", *files[i : i + 500]], capture_output=True, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skills", type=int, default=1000)
    parser.add_argument("--mixed", action="store_true", help="mix the layout families real repos use")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--no-git", action="store_true", help="a plain folder, not a git checkout")
    add_scale(parser)
    args = parser.parse_args()
    if args.scale is not None:
        run_scaled(__file__, args.scale)
        return
    if not shutil.which("zip") or not shutil.which("sha256sum"):
        raise SystemExit("the floor needs Info-ZIP `zip` and `sha256sum` (apt-get install zip coreutils)")
    with tempfile.TemporaryDirectory(prefix="skillport-build-bench-") as tmp:
        work = Path(tmp)
        root, out = work / "market", work / "out"
        root.mkdir()
        make_tree(root, args.skills, mixed=args.mixed)
        if not args.no_git:
            _commit(root)
        (work / "floor").mkdir()
        floor_s = floor(root, work / "floor")
        full_s = _timed([*SKILLPORT, "build", str(root), "--out", str(out)])
        previous = work / "previous.json"
        shutil.copy(out / "catalog.json", previous)
        middle = args.skills // 2 // 5 * 5  # a plugin.json-layout plugin in the middle, in either tree
        changed = root / f"plugins/plugin-{middle:04d}/skills/skill-{middle:04d}/references/guide.md"
        changed.write_text(changed.read_text() + "\nOne more paragraph of guidance.\n")
        _timed([*SKILLPORT, "bump", str(root), "--plugin", f"plugin-{middle:04d}"])
        incremental_s = _timed(
            [*SKILLPORT, "build", str(root), "--out", str(out), "--previous", str(previous)]
        )
    result = {
        "skills": args.skills,
        "git": not args.no_git,
        "full_s": round(full_s, 3),
        "floor_s": round(floor_s, 3),
        "ratio": round(full_s / floor_s, 3),
        "incremental_fraction": round(incremental_s / full_s, 4),
    }
    if args.json:
        print(json.dumps(result))
        return
    print(
        f"{args.skills} skills, {os.cpu_count()} cores, {'plain folder' if args.no_git else 'git checkout'}"
    )
    print(f"full build                    {full_s:7.3f} s")
    print(f"floor (zip -X -r + sha256sum) {floor_s:7.3f} s")
    print(f"ratio ours/floor              {full_s / floor_s:7.3f}   (target ≤ 1.5)")
    fraction = incremental_s / full_s
    print(f"one-skill rebuild             {incremental_s:7.3f} s = {fraction:.1%} of the full build", end="")
    print(" (target ≤ 5 %)")


if __name__ == "__main__":
    main()
