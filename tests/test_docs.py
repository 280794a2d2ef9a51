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


def _architecture_tree() -> set[str]:
    """The paths the package map in docs/architecture.md names, rebuilt from its indentation."""
    text = (REPO / "docs/architecture.md").read_text()
    block = next(b for b in text.split("```")[1::2] if b.lstrip().startswith("skillport_build/"))
    paths: set[str] = set()
    stack: list[str] = []
    for line in block.strip().splitlines():
        depth = (len(line) - len(line.lstrip())) // 2
        name = line.split()[0]
        del stack[depth:]
        stack.append(name.rstrip("/"))
        paths.add("/".join(stack))
    return paths


def test_the_architecture_page_maps_every_module() -> None:
    listed = _architecture_tree()
    modules = {
        str(p.relative_to(REPO))
        for p in (REPO / "skillport_build").rglob("*.py")
        if p.name != "__init__.py" and "marketplace_template" not in p.parts
    }
    assert modules - listed == set(), "add these modules to docs/architecture.md"
    assert {p for p in listed if p.endswith(".py")} - modules - {
        str(p.relative_to(REPO)) for p in (REPO / "skillport_build").rglob("__init__.py")
    } == set(), "docs/architecture.md names modules that do not exist"
