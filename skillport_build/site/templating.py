"""The one jinja environment: autoescape on, undefined names are errors, filters registered here."""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from skillport_build.models.text import human_size

_STAMP = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?(?:Z|\+00:00)$")
_BREAK_AFTER = re.compile(r"([/._-])")


def templates_dir() -> Path:
    """templates/: beside the package in a checkout, inside it when installed from a wheel."""
    checkout = Path(__file__).resolve().parents[2] / "templates"
    if checkout.is_dir():
        return checkout
    return Path(str(resources.files("skillport_build") / "_templates"))


def when(value: object) -> str:
    """A UTC stamp as people read it (`2026-12-01 18:10 UTC`); anything else as it is."""
    text = "" if value is None else str(value)
    found = _STAMP.match(text)
    return f"{found[1]} {found[2]} UTC" if found else text


def breakable(value: object) -> Markup:
    """A path or name that may wrap after `/`, `.`, `_` or `-` (never mid-word) on a narrow screen."""
    return Markup("<wbr>").join(escape(part) for part in _BREAK_AFTER.sub("\\1\0", str(value)).split("\0"))


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
    env.filters["when"] = when
    env.filters["breakable"] = breakable
    return env
