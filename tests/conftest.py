"""Shared fixtures: a valid marketplace tree built fresh for each test."""

from __future__ import annotations

from pathlib import Path

import pytest
from factory import make_marketplace


@pytest.fixture
def market(tmp_path: Path) -> Path:
    """A valid one-plugin, one-skill marketplace."""
    return make_marketplace(tmp_path / "market")
