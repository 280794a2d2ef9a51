"""What the benchmarks of a running proxy share: the synthetic marketplace built, signed and
published to a local store; `skillport serve` over it on 127.0.0.1 (its own process, or the app in
this one); a personal token to call it with. Each server stops when its block ends.

Import it after putting benchmarks/ and tests/ on `sys.path`, as every benchmark does.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from integration.processes import running_process, skillport_command
from integration.registry import free_port
from starlette.applications import Starlette
from validate_bench import make_tree

from skillport_build.proxy.app import create_app
from skillport_build.proxy.config import ServeConfig
from skillport_build.proxy.state import State
from skillport_build.release.build import BuildOptions, build
from skillport_build.release.publish import publish
from skillport_build.stores import LocalStore
from skillport_build.trust.keys import load_public_keys
from skillport_build.trust.minisign import SecretKey, generate
from skillport_build.trust.sign import sign_dir

BENCH_USER = "bench@example.com"
T = TypeVar("T")


def publish_synthetic(
    work: Path, skills: int, key: SecretKey | None = None, policy: str | None = None
) -> tuple[LocalStore, Path]:
    """The synthetic marketplace of `skills` skills (with `policy` as its access.yaml, if given)
    built, signed (by `key`, or a new one) and published to a local store; the store and the
    public key's file.

    With SKILLPORT_BENCH_CACHE set to a folder (and neither `key` nor `policy` given), the store
    and its public key are kept there per size and hard-linked into `work` by later runs: building
    and publishing 10,000 skills takes minutes, and what a benchmark measures starts after it."""
    cache = os.environ.get("SKILLPORT_BENCH_CACHE")
    kept = Path(cache) / f"synthetic-{skills}" if cache and key is None and policy is None else None
    if kept is not None and (kept / "trusted.pub").is_file():
        shutil.copytree(kept / "store", work / "store", copy_function=os.link)
        shutil.copy(kept / "trusted.pub", work / "trusted.pub")
        return LocalStore(work / "store"), work / "trusted.pub"
    (work / "market").mkdir()
    make_tree(work / "market", skills)
    if policy is not None:
        (work / "market/.skillport/access.yaml").write_text(policy)
    build(work / "market", BuildOptions(out=work / "dist"))
    key = key or generate()
    sign_dir(work / "dist", key)
    store = LocalStore(work / "store")
    publish(work / "dist", store)
    public = work / "trusted.pub"
    public.write_text(key.public().to_text())
    if kept is not None:
        kept.parent.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=".synthetic-", dir=kept.parent))
        shutil.copytree(work / "store", scratch / "store", copy_function=os.link)
        shutil.copy(public, scratch / "trusted.pub")
        scratch.rename(kept)
    return store, public


def serve_settings(work: Path, store: LocalStore, public: Path, port: int) -> dict[str, Any]:
    """`skillport serve` settings over `store` on 127.0.0.1:`port`: the dev sign-in, a state
    database in `work`, and rate limits no benchmark reaches."""
    return {
        "store": str(store.root),
        "keys": [str(public)],
        "db": str(work / "state.db"),
        "cache_dir": str(work / "sites"),
        "dev": True,
        "host": "127.0.0.1",
        "port": port,
        "rate_limit": 1_000_000,
        "rate_burst": 1_000_000,
    }


@contextmanager
def serving(work: Path, name: str, settings: dict[str, Any], timeout: float = 180) -> Iterator[str]:
    """`skillport serve` with `settings` (written to work/<name>.yaml, its output to
    work/<name>.log) until the block ends, once its /healthz says a catalog is served; yields its URL.
    The wait is long: two workers each import the proxy, slowly on a loaded machine."""
    (work / f"{name}.yaml").write_text(json.dumps(settings))
    command = [*skillport_command(), "serve", "--config", str(work / f"{name}.yaml")]
    url = f"http://127.0.0.1:{settings['port']}"
    with running_process(command, work / f"{name}.log", f"{url}/healthz", timeout=timeout):
        yield url


def make_token(db: Path, user: str = BENCH_USER) -> str:
    """A personal API token for `user` in the state database `db`, made as an admin does."""
    create = ["tokens", "create", "--db", str(db), "--user", user]
    done = subprocess.run([*skillport_command(), *create], capture_output=True, text=True, check=True)
    return done.stdout.strip()


@contextmanager
def proxy_app(
    work: Path, store: LocalStore, public: Path, user: str = BENCH_USER, note: str = "benchmark"
) -> Iterator[tuple[Starlette, str, int]]:
    """The proxy app over `store` in this process, not refreshed yet; a token for `user`; the
    port its settings name (the caller serves it there). Its state closes when the block ends."""
    port = free_port()
    config = ServeConfig(**serve_settings(work, store, public, port))
    state = State(config.db)
    try:
        app = create_app(config, store, load_public_keys(config.keys), state, refresh=False)
        yield app, state.create_token(user, (), note)[0], port
    finally:
        state.close()


def _interrupted(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def run_stoppable(
    run: Callable[[argparse.Namespace], T],
    args: argparse.Namespace,
    stopped: str,
    signals: tuple[signal.Signals, ...] = (signal.SIGTERM,),
) -> T:
    """`run(args)` with `signals` taken as Ctrl-C, so every `finally` runs (servers stopped, temporary
    folders removed); interrupted, the benchmark exits saying `stopped`."""
    for signum in signals:
        signal.signal(signum, _interrupted)
    try:
        return run(args)
    except KeyboardInterrupt:
        raise SystemExit(f"interrupted; {stopped}") from None
