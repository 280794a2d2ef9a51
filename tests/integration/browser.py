"""Debian's Chromium driven by Playwright (never a downloaded browser), and a static file server."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler
from pathlib import Path
from typing import Any

from integration.threaded_http import serving_http
from integration.tools import require

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def static_server(root: Path) -> Iterator[str]:
    """Serve a folder on 127.0.0.1; yields the base URL."""

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    with serving_http(functools.partial(Quiet, directory=str(root))) as url:
        yield url


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium browser from the system package."""
    from playwright.sync_api import sync_playwright

    executable = require("chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
