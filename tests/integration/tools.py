"""Third-party tools the integration tests drive: installed by `make test`, skipped outside it."""

from __future__ import annotations

import os
import shutil

import pytest


def require(tool: str) -> str:
    """The path of `tool`; under `make test` (SKILLPORT_INTEGRATION=1) a missing tool fails."""
    path = shutil.which(tool)
    if path:
        return path
    if os.environ.get("SKILLPORT_INTEGRATION") == "1":
        pytest.fail(f"{tool} is not installed; `make tools` installs it")
    pytest.skip(f"{tool} not installed: run the suite with `make test`")
