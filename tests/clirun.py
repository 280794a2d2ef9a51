"""The CLI's main() run in-process as a person runs it, for tests: exit code, stdout, stderr."""

from __future__ import annotations

import io
import sys

import pytest

from skillport_build.cli import main


class Run:
    """Call with the command line's words (and, optionally, what stdin holds)."""

    def __init__(self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
        self.capsys, self.monkeypatch = capsys, monkeypatch

    def __call__(self, *args: str, stdin: str = "") -> tuple[int, str, str]:
        self.capsys.readouterr()  # only this run's output is returned
        self.monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        with pytest.raises(SystemExit) as exited:
            main(list(args))
        out = self.capsys.readouterr()
        return int(exited.value.code or 0), out.out, out.err
