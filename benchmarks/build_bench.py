"""Time `skillport build` against a floor made of standard tools, and a one-skill rebuild.

Usage: python benchmarks/build_bench.py [--skills N] [--mixed] [--no-git] [--json] [--scale [N ...]]
       python benchmarks/build_bench.py --remote [N] [--json] [--scale [N ...]]

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

With `--remote N` (N defaults to --skills): N plugin repositories (one skill each, the same
generator) served by `git daemon` on 127.0.0.1, and a marketplace of N `url` entries pinned to their
commits. Timed: the full build (fetch every entry, validate, bundle, catalog) against the floor of
`git clone --depth 1` of the same repositories one after another; then a rebuild with nothing
changed, which must fetch nothing (counted from the daemon's own log, and from the build's line).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scale import bench_parser, parse_args
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
    """Make the tree a git checkout with everything committed. Git's automatic housekeeping is off:
    after a commit of ten thousand folders it would pack objects in the background, on the cores
    the floor and the builds are timed on."""
    env = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.com"}
    env.update(GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="bench@example.com")
    for command in (
        ["init", "-q"],
        ["config", "gc.auto", "0"],
        ["add", "-A"],
        ["commit", "-q", "-m", "tree"],
    ):
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


def _serve_plugins(tree: Path, served: Path) -> dict[str, str]:
    """Each plugin folder of `tree` as a bare repository under `served`; plugin -> commit."""
    env = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.com"}
    env.update(GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="bench@example.com")
    commits = {}
    for folder in sorted((tree / "plugins").iterdir()):
        for command in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "plugin"]):
            subprocess.run(["git", "-C", str(folder), *command], check=True, env=env, capture_output=True)
        bare = served / f"{folder.name}.git"
        subprocess.run(
            ["git", "clone", "-q", "--bare", str(folder), str(bare)], check=True, capture_output=True
        )
        head = subprocess.run(
            ["git", "-C", str(bare), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
        )
        commits[folder.name] = head.stdout.strip()
    return commits


def _remote_market(root: Path, base: str, commits: dict[str, str]) -> None:
    entries = [
        {"name": name, "source": {"source": "url", "url": f"{base}/{name}.git", "sha": sha}}
        for name, sha in commits.items()
    ]
    manifest = {"name": "remote-bench", "owner": {"name": "Bench"}, "description": "d", "plugins": entries}
    (root / ".claude-plugin").mkdir(parents=True)
    (root / ".claude-plugin/marketplace.json").write_text(json.dumps(manifest))
    (root / ".skillport").mkdir()
    (root / ".skillport/access.yaml").write_text('defaults:\n  read: ["*"]\n')


def _fetch_count(line_source: str) -> int:
    """`remote plugins: X fetched, …` from the build's output."""
    for line in line_source.splitlines():
        if line.startswith("remote plugins: "):
            return int(line.split()[2])
    return 0


def remote_bench(count: int) -> dict[str, object]:
    """Fetch-and-build N remote plugins from git daemon, the clone floor, the no-change rebuild."""
    with tempfile.TemporaryDirectory(prefix="skillport-remote-bench-") as tmp:
        work = Path(tmp)
        tree, served, market, out = work / "tree", work / "served", work / "market", work / "out"
        tree.mkdir()
        served.mkdir()
        make_tree(tree, count)
        commits = _serve_plugins(tree, served)
        port = _free_port()
        log = (work / "daemon.log").open("w")
        daemon = subprocess.Popen(
            ["git", "daemon", "--reuseaddr", "--export-all", "--verbose", f"--base-path={served}",
             "--listen=127.0.0.1", f"--port={port}", str(served)],
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            base = f"git://127.0.0.1:{port}"
            _wait_for(port)
            _remote_market(market, base, commits)
            (work / "clones").mkdir()
            start = time.perf_counter()
            for name in commits:
                subprocess.run(
                    ["git", "clone", "-q", "--depth", "1", f"{base}/{name}.git", str(work / "clones" / name)],
                    check=True, capture_output=True,
                )  # fmt: skip
            floor_s = time.perf_counter() - start
            full_s, first = _timed_output([*SKILLPORT, "build", str(market), "--out", str(out)])
            before = _daemon_fetches(work / "daemon.log")
            again_s, again = _timed_output([*SKILLPORT, "build", str(market), "--out", str(out)])
            served_again = _daemon_fetches(work / "daemon.log") - before
        finally:
            daemon.terminate()
            daemon.wait(timeout=10)
            log.close()
    return {
        "remote_plugins": count,
        "full_s": round(full_s, 3),
        "floor_s": round(floor_s, 3),
        "ratio": round(full_s / floor_s, 3),
        "fetched_first": _fetch_count(first),
        "rebuild_s": round(again_s, 3),
        "rebuild_fetches": _fetch_count(again),
        "rebuild_daemon_requests": served_again,
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for(port: int) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("git daemon did not start")


def _daemon_fetches(log: Path) -> int:
    return log.read_text().count("Request upload-pack")


def _timed_output(command: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command[:4])} failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    return elapsed, result.stdout


def _print_remote(result: dict[str, object]) -> None:
    print(f"{result['remote_plugins']} remote plugins from git daemon on 127.0.0.1, {os.cpu_count()} cores")
    print(
        f"full build (fetch + build)        {result['full_s']:7.3f} s   ({result['fetched_first']} fetched)"
    )
    print(f"floor (git clone --depth 1 each)  {result['floor_s']:7.3f} s")
    print(f"ratio ours/floor                  {result['ratio']:7.3f}   (target ≤ 1.5)")
    print(
        f"rebuild, nothing changed          {result['rebuild_s']:7.3f} s   "
        f"fetches: {result['rebuild_fetches']} "
        f"(daemon saw {result['rebuild_daemon_requests']} upload-pack requests; target 0)"
    )


def main() -> None:
    parser = bench_parser(__doc__)
    parser.add_argument(
        "--remote", type=int, nargs="?", const=0, metavar="N", help="N remote plugins (default: --skills)"
    )
    parser.add_argument("--mixed", action="store_true", help="mix the layout families real repos use")
    parser.add_argument("--no-git", action="store_true", help="a plain folder, not a git checkout")
    args = parse_args(parser, __file__)
    if args is None:
        return
    if args.remote is not None:
        result = remote_bench(args.remote or args.skills)
        print(json.dumps(result)) if args.json else _print_remote(result)
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
