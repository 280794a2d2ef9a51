from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
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


# Pages whose shell blocks are executed: a block runs when the line before its fence is
# `<!-- test: run -->`; a `<!-- test: output -->` block is the exact stdout of the run block
# before it, `<!-- test: output-start -->` how it begins (the spaces between columns collapsed).
# `<!-- test: setup: COMMAND -->` runs first, unseen. Each page runs in its own temporary folder,
# blocks in order; the folder a block ends in is where the next one starts.


@dataclass
class Block:
    kind: str  # run, output, output-start
    text: str
    line: int


def doc_blocks(page: Path) -> tuple[list[str], list[Block]]:
    """The setup commands and the marked blocks of a page."""
    text = page.read_text()
    setups, blocks = [], []
    for found in re.finditer(
        r"<!-- test: (?P<kind>run|output-start|output|setup)(?:: (?P<rest>[^\n]*?))? -->\n", text
    ):
        line = text.count("\n", 0, found.start()) + 1
        if found["kind"] == "setup":
            setups.append(found["rest"] or "")
            continue
        fence = re.match(r"```[a-z]*\n(.*?)```", text[found.end() :], re.S)
        assert fence, f"{page.name}:{line}: a test marker must stand right above a fenced block"
        blocks.append(Block(found["kind"], fence[1], line))
    return setups, blocks


def shell(script: str, cwd: Path, env: dict[str, str]) -> tuple[subprocess.CompletedProcess[str], Path]:
    """Run `script` in bash from `cwd`; the result and the folder it ended in."""
    where = Path(env["HOME"]).parent / ".cwd"
    where.unlink(missing_ok=True)
    wrapped = f"set -euo pipefail\n{script}\npwd > {shlex.quote(str(where))}\n"
    done = subprocess.run(
        ["bash", "-c", wrapped], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    return done, Path(where.read_text().strip()) if where.exists() else cwd


def doc_env(tmp_path: Path) -> dict[str, str]:
    bin_dir = str(Path(sys.executable).parent)
    return {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(REPO),
        "HOME": str(tmp_path / "home"),
        "GIT_AUTHOR_NAME": "Docs Test",
        "GIT_AUTHOR_EMAIL": "docs@acme.example",
        "GIT_COMMITTER_NAME": "Docs Test",
        "GIT_COMMITTER_EMAIL": "docs@acme.example",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "LANG": "C.UTF-8",
    }


def run_page(page: Path, tmp_path: Path, env: dict[str, str]) -> int:
    """Execute a page's marked blocks, comparing the outputs it shows; the number of blocks run."""
    setups, blocks = doc_blocks(page)
    cwd = tmp_path / "work"
    cwd.mkdir(parents=True)
    (tmp_path / "home").mkdir(exist_ok=True)
    for command in setups:
        done, cwd = shell(command, cwd, env)
        assert done.returncode == 0, f"{page.name}: setup {command!r} failed:\n{done.stdout}{done.stderr}"
    last: subprocess.CompletedProcess[str] | None = None
    ran = 0
    for block in blocks:
        if block.kind == "run":
            last, cwd = shell(block.text, cwd, env)
            ran += 1
            assert last.returncode == 0, (
                f"{page.name}:{block.line}: the block failed (exit {last.returncode}):\n"
                f"{block.text}\n--- stdout\n{last.stdout}--- stderr\n{last.stderr}"
            )
            continue
        assert last is not None, f"{page.name}:{block.line}: an output block needs a run block before it"
        shown, got = block.text, last.stdout
        if block.kind == "output-start":  # how it begins, spaces between columns collapsed
            shown = _squeeze(block.text)
            got = _squeeze(last.stdout)[: len(shown)]
        assert got == shown, (
            f"{page.name}:{block.line}: the page shows\n{shown}\nbut the commands print\n{got}"
        )
    return ran


def _squeeze(text: str) -> str:
    return "\n".join(" ".join(line.split()) for line in text.strip("\n").splitlines())


@pytest.mark.parametrize("name", ["quickstart.md", "creator-guide.md"])
def test_the_walkthroughs_run_as_written(name: str, tmp_path: Path) -> None:
    assert run_page(REPO / "docs" / name, tmp_path, doc_env(tmp_path)) >= 3


def test_the_numbers_the_quickstart_quotes_are_the_templates() -> None:
    from skillport_build.repo.loader import load

    market = load(REPO / "marketplace-template")
    text = (REPO / "docs/quickstart.md").read_text()
    words = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight"}
    assert f"The template holds {words[len(market.plugins)]} example plugins" in text


def test_the_mcp_by_hand_page_runs_against_a_live_proxy(tmp_path: Path) -> None:
    from proxy.live_server import live_proxy

    with live_proxy(tmp_path / "proxy") as live:
        env = doc_env(tmp_path) | {"SKILLPORT_URL": live.url, "TOKEN": live.tokens["anyone"]}
        assert run_page(REPO / "docs/mcp-by-hand.md", tmp_path, env) == 3
