"""Shared base for the format models: strict, frozen values whose errors carry rule ids."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar, NoReturn

from pydantic import BaseModel, ConfigDict
from pydantic_core import PydanticCustomError


class Model(BaseModel):
    """A frozen format model; `FIELD_RULES` maps a top-level key to the rule its errors break."""

    model_config = ConfigDict(frozen=True, extra="allow", populate_by_name=True)

    FIELD_RULES: ClassVar[dict[str, str]] = {}
    DEFAULT_RULE: ClassVar[str] = ""

    @classmethod
    def rule_for(cls, key: str) -> str:
        """Return the rule id for an error at top-level `key`."""
        return cls.FIELD_RULES.get(key, cls.DEFAULT_RULE)


def fail(rule: str, message: str) -> NoReturn:
    """Raise a validation error that reports under `rule` with `message` verbatim."""
    raise PydanticCustomError(rule, "{message}", {"message": message})


def type_name(value: Any) -> str:
    """Name a parsed value's type the way a JSON or YAML author thinks of it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic collector for the block (restored as it was). Reading a catalog or a
    marketplace makes hundreds of thousands of small objects, none in a reference cycle; the
    collector, left on, walks that whole growing heap again and again (a 10,000-skill rebuild
    spent about half its time there). What the block frees is freed by reference counting."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
