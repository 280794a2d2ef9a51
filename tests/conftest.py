"""Shared fixtures: a valid marketplace tree built fresh for each test."""

from __future__ import annotations

from pathlib import Path

import pytest
from clirun import Run
from factory import make_marketplace


@pytest.fixture
def market(tmp_path: Path) -> Path:
    """A valid one-plugin, one-skill marketplace."""
    return make_marketplace(tmp_path / "market")


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Run:
    """The CLI in-process: `run("tokens", "list", stdin="")` gives exit code, stdout, stderr."""
    return Run(capsys, monkeypatch)
