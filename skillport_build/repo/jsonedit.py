"""Edit JSON text in place with the smallest diff: key order, spacing and style are kept."""

from __future__ import annotations

import json
import re
from typing import Any

from json_source_map import calculate

_INDENT = re.compile(r"^([ \t]+)\S", re.M)


def _indent_unit(text: str) -> str:
    match = _INDENT.search(text)
    return match.group(1) if match else "  "


def _line_indent(text: str, position: int) -> str:
    start = text.rfind("\n", 0, position) + 1
    return re.match(r"[ \t]*", text[start:]).group(0)  # type: ignore[union-attr]


def _render(value: Any, unit: str, indent: str) -> str:
    dumped = json.dumps(value, indent=unit, ensure_ascii=False)
    return dumped.replace("\n", "\n" + indent)


def append_to_array(text: str, pointer: str, value: Any) -> str:
    """Append `value` to the array at JSON pointer `pointer`, matching the file's layout."""
    source = calculate(text)
    array = source[pointer]
    close = array.value_end.position - 1  # the `]`
    unit = _indent_unit(text)
    count = sum(
        1 for key in source if key.startswith(pointer + "/") and key.count("/") == pointer.count("/") + 1
    )
    if count:
        last = source[f"{pointer}/{count - 1}"]
        indent = _line_indent(text, last.value_start.position)
        insert = f",\n{indent}{_render(value, unit, indent)}"
        return text[: last.value_end.position] + insert + text[last.value_end.position :]
    base = _line_indent(text, array.value_start.position)
    indent = base + unit
    insert = f"\n{indent}{_render(value, unit, indent)}\n{base}"
    start = array.value_start.position + 1
    return text[:start] + insert + text[close:]


def set_value(text: str, pointer: str, value: Any) -> str:
    """Replace the value at `pointer` (which must exist) with `value`, touching nothing else."""
    entry = calculate(text)[pointer]
    start, end = entry.value_start.position, entry.value_end.position
    indent = _line_indent(text, start)
    return text[:start] + _render(value, _indent_unit(text), indent) + text[end:]


def set_key(text: str, pointer: str, key: str, value: Any) -> str:
    """Set `key` of the object at `pointer`: replace its value, or add it after the last key."""
    source = calculate(text)
    if f"{pointer}/{key}" in source:
        return set_value(text, f"{pointer}/{key}", value)
    members = [k for k in source if k.startswith(pointer + "/") and k.count("/") == pointer.count("/") + 1]
    unit = _indent_unit(text)
    if not members:
        start = source[pointer].value_start.position + 1
        base = _line_indent(text, source[pointer].value_start.position)
        rendered = _render(value, unit, base + unit)
        return f"{text[:start]}\n{base}{unit}{json.dumps(key)}: {rendered}\n{base}{text[start:].lstrip()}"
    last = max((source[k] for k in members), key=lambda e: e.value_end.position)
    end = last.value_end.position
    if "\n" not in text[source[pointer].value_start.position : end]:  # a one-line object stays one line
        return f"{text[:end]}, {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}{text[end:]}"
    indent = _line_indent(text, (last.key_start or last.value_start).position)
    rendered = _render(value, unit, indent)
    return f"{text[:end]},\n{indent}{json.dumps(key)}: {rendered}{text[end:]}"
