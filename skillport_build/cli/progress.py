"""Progress for long work: a bar on a terminal, nothing in CI or when stderr is not a terminal.

Core functions take a `progress(done, total)` callback and know nothing of terminals; a command
passes `ProgressBar(label).update`. click's own progressbar draws it (no extra dependency: rich
would bring a console layer for one bar).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Any, TextIO

import click


def shows_progress(stream: TextIO, environ: Mapping[str, str] = os.environ) -> bool:
    """A bar only for a person watching: stderr is a terminal and no CI variable is set."""
    return stream.isatty() and not environ.get("CI", "").strip()


class ProgressBar:
    """A bar made when the total is first known, drawn on stderr; a no-op when `shows_progress` says no."""

    def __init__(
        self, label: str, stream: TextIO | None = None, environ: Mapping[str, str] = os.environ
    ) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.enabled = shows_progress(self.stream, environ)
        self.bar: Any = None

    def update(self, done: int, total: int) -> None:
        """Move the bar to `done` of `total`."""
        if not self.enabled or total <= 0:
            return
        if self.bar is None:
            self.bar = click.progressbar(length=total, label=self.label, file=self.stream).__enter__()
        self.bar.update(done - self.bar.pos)

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)
            self.bar = None
