"""Shared fixtures: a valid marketplace tree built fresh for each test."""

from __future__ import annotations

from pathlib import Path

import pytest
from factory import make_marketplace

REPO = Path(__file__).resolve().parent.parent
TEMPLATE = REPO / "marketplace-template"


@pytest.fixture
def market(tmp_path: Path) -> Path:
    """A valid one-plugin, one-skill marketplace."""
    return make_marketplace(tmp_path / "market")
