"""The one jinja environment: autoescape on, undefined names are errors, filters registered here."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from skillport_build.models.text import human_size


def templates_dir() -> Path:
    """templates/: beside the package in a checkout, inside it when installed from a wheel."""
    checkout = Path(__file__).resolve().parents[2] / "templates"
    if checkout.is_dir():
        return checkout
    return Path(str(resources.files("skillport_build") / "_templates"))


@lru_cache(maxsize=4)
def environment(root: Path | None = None) -> Environment:
    """The environment every page is rendered with, made once (it compiles each template once:
    the proxy renders an audience's index in the request)."""
    env = Environment(
        loader=FileSystemLoader(str(root or templates_dir())),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["size"] = human_size
    return env
