from __future__ import annotations

import subprocess
import sys

from factory import REPO


def test_rules_table_in_the_docs_is_current() -> None:
    table = subprocess.run(
        [sys.executable, "-m", "skillport_build", "rules", "--format", "markdown"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert table in (REPO / "docs/validation.md").read_text()


def test_readme_quickstart_is_the_two_commands() -> None:
    readme = (REPO / "README.md").read_text()
    quickstart = readme.split("## Quickstart", 1)[1].split("##", 1)[0]
    commands = [line.split("#")[0].strip() for line in quickstart.splitlines() if line.startswith("make ")]
    assert commands == ["make demo", "make test"]
