"""A server process for tests and benchmarks: started with its output in a log, waited for until a
URL answers, stopped (SIGTERM, then SIGKILL) when the block ends."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def skillport_command() -> list[str]:
    """The venv's `skillport` script (next to this Python), else the module."""
    script = Path(sys.executable).with_name("skillport")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "skillport_build"]


def wait_for(
    url: str,
    process: subprocess.Popen[bytes],
    log: Path,
    timeout: float = 90,
    headers: dict[str, str] | None = None,
) -> None:
    """Return once `url` answers below 500; RuntimeError with the log's tail if `process` ends or
    `timeout` seconds pass first."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(url, headers=headers, timeout=2, trust_env=False).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not come up:\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.1)


@contextmanager
def running_process(
    command: list[str],
    log: Path,
    ready: str,
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 90,
    headers: dict[str, str] | None = None,
) -> Iterator[subprocess.Popen[bytes]]:
    """Run `command` until the block ends, from the moment `ready` (a URL) answers; its exit
    status is the process's `returncode` after the block."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, cwd=cwd
        )
        try:
            wait_for(ready, process, log, timeout, headers)
            yield process
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
