"""Turn pydantic validation errors into diagnostics with a rule id, a line and a plain message."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from skillport_build.models.base import Model, type_name
from skillport_build.models.names import did_you_mean
from skillport_build.repo.diagnostics import Diagnostic
from skillport_build.repo.documents import JsonDocument, Loc, YamlDocument
from skillport_build.repo.rules import RULES

M = TypeVar("M", bound=Model)
Document = JsonDocument | YamlDocument

_EXPECTED = {
    "string_type": "a string",
    "list_type": "a list",
    "tuple_type": "a list",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
    "bool_type": "true or false",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
}


def check(
    model: type[M], data: Any, doc: Document, *, prefix: Loc = (), label: str = ""
) -> tuple[M | None, list[Diagnostic]]:
    """Validate `data` as `model`; on failure return None and one diagnostic per problem."""
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        seen: set[tuple[str, str]] = set()
        found = []
        for error in exc.errors():
            diagnostic = _diagnostic(model, error, doc, tuple(prefix), label)
            if (diagnostic.rule, diagnostic.message) not in seen:
                seen.add((diagnostic.rule, diagnostic.message))
                found.append(diagnostic)
        return None, found


def dotted(loc: Sequence[str | int]) -> str:
    """Write a key path the way an author reads it: `plugins[2].author.name`."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _diagnostic(
    model: type[Model],
    error: ErrorDetails,
    doc: Document,
    prefix: tuple[str | int, ...],
    label: str,
) -> Diagnostic:
    loc = tuple(error["loc"])
    top = str(loc[0]) if loc else ""
    rule_id = error["type"] if error["type"] in RULES else model.rule_for(top)
    if error["type"] in RULES:  # our own check: its message is complete; say where when nested
        message = (f"{dotted(loc[:-1])}: " if len(loc) > 1 else "") + error["msg"]
    else:
        message = _humanise(model, error, doc)
    line = doc.line(prefix + loc)
    return RULES[rule_id](doc.path, line, label + message)


def _humanise(model: type[Model], error: ErrorDetails, doc: Document) -> str:
    loc = tuple(error["loc"])
    field = dotted(loc) or "the document"
    kind = error["type"]
    if kind == "missing":
        return f"`{field}` is required{_hint(model, loc)}"
    if kind == "extra_forbidden":
        known = {f.alias or name for name, f in model.model_fields.items()} if len(loc) == 1 else set()
        return f"unknown key `{field}`{did_you_mean(str(loc[-1]), known)}"
    if kind in _EXPECTED:
        expected = _EXPECTED[kind]
        if isinstance(doc, YamlDocument) and expected == "an object":
            expected = "a mapping"
        return f"`{field}` must be {expected}, not {type_name(error['input'])}"
    if kind == "string_too_short":
        return f"`{field}` must not be empty{_hint(model, loc)}"
    if kind in {"string_pattern_mismatch", "literal_error"}:
        return f"`{field}` {error['input']!r} is not valid{_hint(model, loc)}"
    return f"`{field}`: {error['msg']}"


def _hint(model: type[Model], loc: tuple[str | int, ...]) -> str:
    if len(loc) != 1:
        return ""
    for name, info in model.model_fields.items():
        if loc[0] in {name, info.alias} and info.description:
            return f" ({info.description})"
    return ""
