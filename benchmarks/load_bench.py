"""How fast the proxy takes a catalog: the first load at start, and a new catalog changing one skill.

Usage: python benchmarks/load_bench.py [--skills N] [--json] [--scale [N ...]]
(LOAD_BENCH_PROFILE=1 prints a profile of applying the change to stderr.)

The synthetic marketplace the other benchmarks use is built, signed and published to a local store;
a second catalog, one skill changed and bumped (an incremental build with the first as --previous),
is built and signed beside it. A fresh Python process (so the build's memory does not count) makes
the proxy app over the store and times, wall clock:
- load: `Proxy.refresh()` from nothing: the pointer read, the signature, trusted comment and expiry
  checked, the catalog parsed and its search texts documents fetched and checked (`verify_parse`),
  then every skill's text taken and the search index built (`index`); then the process's resident
  memory (RSS, once the trim that returns freed memory after a load has finished, and its peak).
  Targets (issue 20): ≤ 2 s and ≤ 300 MB at 10,000 skills;
- apply one change: the second catalog is published and `Proxy.refresh()` runs again (verify, parse,
  reuse of the unchanged skills' records, texts and index entries). Target: ≤ 200 ms at 10,000;
- the catalog's size, and what gzip and zstd make of it (what a client accepting them fetches);
- the bytes one read of the store's pointer moves: its compressed twin and signature, against
  catalog.json and its signature (what a reader of a store without twins fetches).
"""

from __future__ import annotations

import argparse
import cProfile
import gzip
import json
import os
import pstats
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests")]

from build_bench import SKILLPORT  # noqa: E402
from scale import bench_parser, parse_args  # noqa: E402
from serving import publish_synthetic  # noqa: E402

from skillport_build.release.publish import publish  # noqa: E402
from skillport_build.trust.minisign import SecretKey, generate  # noqa: E402
from skillport_build.trust.sign import sign_dir  # noqa: E402

if TYPE_CHECKING:
    from skillport_build.stores import LocalStore

LOAD_TARGET_S, RSS_TARGET_MB, APPLY_TARGET_MS = 2.0, 300, 200


def _rss_mb() -> tuple[float, float]:
    """(resident now, peak) of this process, MB."""
    now = 0.0
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            now = int(line.split()[1]) / 1024
    return now, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(store_root: Path, public: Path, work: Path) -> None:
    """Load, report, wait for the second catalog, apply it, report (one JSON line each)."""
    from skillport_build.proxy import heap
    from skillport_build.proxy.app import create_app
    from skillport_build.proxy.config import ServeConfig
    from skillport_build.proxy.state import State
    from skillport_build.stores import LocalStore
    from skillport_build.trust.keys import load_public_keys

    config = ServeConfig(
        store=str(store_root), keys=(public,), db=str(work / "state.db"), cache_dir=work / "sites", dev=True
    )
    state = State(config.db)
    app = create_app(config, LocalStore(store_root), load_public_keys(config.keys), state, refresh=False)
    proxy = app.state.proxy
    before = _rss_mb()[0]
    start = time.perf_counter()
    with heap.building():  # as Proxy.refresh runs it: the collector paused while objects pile up
        proxy.live.refresh()
    verified = time.perf_counter()
    proxy.refresh()
    loaded = time.perf_counter()
    heap.trimmed()  # the catalog is served already; its freed memory goes back on another thread
    rss, peak = _rss_mb()
    print(
        json.dumps(
            {
                "load_s": round(loaded - start, 3),
                "verify_parse_s": round(verified - start, 3),
                "index_s": round(loaded - verified, 3),
                "rss_mb": round(rss),
                "peak_rss_mb": round(peak),
                "rss_before_load_mb": round(before),
            }
        ),
        flush=True,
    )
    sys.stdin.readline()  # the second catalog is published
    profile = cProfile.Profile() if os.environ.get("LOAD_BENCH_PROFILE") else None
    start = time.perf_counter()
    if profile is not None:
        profile.enable()
    changed = proxy.refresh()
    applied = time.perf_counter() - start
    if profile is not None:
        profile.disable()
        pstats.Stats(profile, stream=sys.stderr).sort_stats("cumulative").print_stats(60)
        pstats.Stats(profile, stream=sys.stderr).sort_stats("tottime").print_stats(30)
    assert changed, "the second catalog was not taken"
    print(json.dumps({"apply_one_change_ms": round(applied * 1000, 1)}), flush=True)
    state.close()


def _second_catalog(work: Path, key: SecretKey) -> Path:
    """The tree with one skill changed and bumped, built with the first catalog as --previous, signed."""
    root, dist, second = work / "market", work / "dist", work / "dist2"
    shutil.copytree(dist, second)
    plugins = sorted((root / "plugins").iterdir())
    plugin = plugins[len(plugins) // 2]
    guide = next(plugin.glob("skills/*/references/guide.md"))
    guide.write_text(guide.read_text() + "\nOne more paragraph of guidance.\n")
    for command in (
        ["bump", str(root), "--plugin", plugin.name],
        ["build", str(root), "--out", str(second), "--previous", str(dist / "catalog.json")],
    ):
        subprocess.run([*SKILLPORT, *command], check=True, capture_output=True)
    sign_dir(second, key)
    return second


def run(skills: int, work: Path) -> dict[str, object]:
    """Publish into `work`, start the measuring process, publish the change; the figures."""
    key = generate()
    store, public = publish_synthetic(work, skills, key)
    raw = (work / "dist" / "catalog.json").read_bytes()
    second = _second_catalog(work, key)
    process = subprocess.Popen(
        [sys.executable, __file__, "--child", str(store.root), str(public), str(work)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdin is not None and process.stdout is not None
    try:
        loaded = json.loads(process.stdout.readline())
        publish(second, store)
        process.stdin.write("go\n")
        process.stdin.flush()
        applied = json.loads(process.stdout.readline())
    finally:
        process.stdin.close()
        process.wait(timeout=60)
    return {"skills": skills, **loaded, **applied, **_sizes(raw), **_pointer_read(store)}


def _pointer_read(store: LocalStore) -> dict[str, float]:
    """MB one pointer read moves now (the twin) and would move without the twin (catalog.json)."""
    pointer = store.pointer()
    assert pointer is not None and pointer.compressed is not None, "publish wrote no compressed twin"
    plain = (store.root / "catalog.json").stat().st_size + len(pointer.signature)
    return {
        "pointer_read_mb": round((len(pointer.compressed) + len(pointer.signature)) / 2**20, 2),
        "pointer_read_plain_mb": round(plain / 2**20, 2),
    }


def _sizes(raw: bytes) -> dict[str, float]:
    figures = {"catalog_mb": round(len(raw) / 2**20, 2)}
    figures["gzip_mb"] = round(len(gzip.compress(raw, 6)) / 2**20, 2)
    try:
        import zstandard

        figures["zstd_mb"] = round(len(zstandard.ZstdCompressor(level=3).compress(raw)) / 2**20, 2)
    except ImportError:
        pass
    return figures


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        child(Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]))
        return
    parser = bench_parser(__doc__)
    args = parse_args(parser, __file__)
    if args is None:
        return
    with tempfile.TemporaryDirectory(prefix="skillport-load-bench-") as tmp:
        report(run(args.skills, Path(tmp)), args)  # before the clean-up: 10,000 skills are many files


def report(figures: dict[str, Any], args: argparse.Namespace) -> None:
    """Print the figures (as JSON with --json)."""
    if args.json:
        print(json.dumps(figures, indent=2), flush=True)
        return
    print(f"catalog load in the proxy, {args.skills:,} skills (one run, wall clock)")
    print(
        f"  load, verify and index: {figures['load_s']:.2f} s"
        f" (verify + parse {figures['verify_parse_s']:.2f} s, texts + index {figures['index_s']:.2f} s;"
        f" target ≤ {LOAD_TARGET_S:g} s at 10,000)"
    )
    print(
        f"  resident memory after load: {figures['rss_mb']} MB, peak {figures['peak_rss_mb']} MB"
        f" (target ≤ {RSS_TARGET_MB} MB at 10,000)"
    )
    print(
        f"  apply a catalog that changed one skill: {figures['apply_one_change_ms']:.0f} ms"
        f" (target ≤ {APPLY_TARGET_MS} ms at 10,000)"
    )
    sizes = f"  catalog.json {figures['catalog_mb']} MB, gzip {figures['gzip_mb']} MB"
    print(sizes + (f", zstd {figures['zstd_mb']} MB" if "zstd_mb" in figures else ""), flush=True)
    print(
        f"  a read of the store's catalog moves {figures['pointer_read_mb']} MB"
        f" (catalog.json.zst + signature; {figures['pointer_read_plain_mb']} MB from catalog.json)",
        flush=True,
    )


if __name__ == "__main__":
    main()
