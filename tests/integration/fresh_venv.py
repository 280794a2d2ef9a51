"""skillport installed from a wheel into a fresh virtual environment, as a person installs it:
its own `skillport` script, none of our SKILLPORT_/PYTHON*/XDG_ variables, HOME in the test's folder.

Offline, pip cannot fetch the dependencies: the new environment borrows ours (the folder only, so
our editable skillport's .pth is not read) and installs the wheel with --no-deps."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class FreshVenv:
    """A virtual environment in `root`; commands run in `cwd` with `env`."""

    root: Path
    cwd: Path
    env: dict[str, str]

    @property
    def python(self) -> Path:
        return self.root / "bin" / "python"

    def install(self, wheel: str | Path) -> None:
        """pip-install `wheel` (a file or a URL) without its dependencies."""
        pip = [self.python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", str(wheel)]
        subprocess.run(pip, check=True, env=self.env, cwd=self.cwd)

    def command(self, *args: str) -> list[str]:
        """The installed `skillport` with `args`."""
        return [str(self.root / "bin" / "skillport"), *args]

    def skillport(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run the installed `skillport`; the caller checks the exit code."""
        return self.run(self.command(*args))

    def python_code(self, code: str, *args: str) -> subprocess.CompletedProcess[str]:
        """Run `code` with the environment's Python; the caller checks the exit code."""
        return self.run([str(self.python), "-c", code, *args])

    def run(self, command: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            command, capture_output=True, text=True, env=self.env, cwd=self.cwd, check=False
        )

    def imported_from(self) -> str:
        """The file `import skillport_build` loads in this environment."""
        return self.python_code("import skillport_build; print(skillport_build.__file__)").stdout.strip()


def fresh_venv(folder: Path) -> FreshVenv:
    """A new virtual environment in folder/venv, with our dependencies and nothing of skillport;
    HOME is folder/home and commands run in `folder`."""
    root = folder / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(root)], check=True)
    purelib = subprocess.run(
        [root / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    Path(purelib, "zz-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "SKILLPORT_", "XDG_"))}
    env |= {"HOME": str(folder / "home"), "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    return FreshVenv(root, folder, env)
