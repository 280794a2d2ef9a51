"""Parsed JSON and YAML documents that remember where each value came from.

Line numbers are worked out lazily: a clean tree never pays for a source map.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cached_property
from typing import Any

import yaml

Loc = Sequence[str | int]

# A front matter whose aliases would expand to more nodes than this is refused (billion laughs).
MAX_YAML_NODES = 10_000

# libyaml is much faster; PyYAML's wheels ship it, a source build may not.
_YamlLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class DocumentError(ValueError):
    """A document that cannot be parsed; `line` is 1-based where the parser knows it."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def decode_text(raw: bytes) -> str:
    """Decode UTF-8 text (a BOM is allowed), refusing binary data."""
    if b"\x00" in raw:
        raise DocumentError("is binary, not text (it contains NUL bytes)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DocumentError(
            f"is not valid UTF-8 (byte 0x{raw[exc.start]:02x}); save it as UTF-8", line
        ) from None
    return text


class JsonDocument:
    """A JSON file's data with a lazily computed map from key paths to lines."""

    def __init__(self, path: str, text: str, data: Any) -> None:
        self.path = path
        self.text = text
        self.data = data

    @classmethod
    def parse(cls, path: str, raw: bytes) -> JsonDocument:
        """Parse JSON bytes, raising DocumentError with the line of a syntax error."""
        text = decode_text(raw)
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DocumentError(f"is not valid JSON: {exc.msg} (column {exc.colno})", exc.lineno) from None
        except RecursionError:
            raise DocumentError("is not valid JSON: nested too deeply") from None
        return cls(path, text, data)

    @cached_property
    def _source_map(self) -> dict[str, Any]:
        from json_source_map import calculate

        try:
            return dict(calculate(self.text))
        except Exception:  # the map is a nicety; never let it hide the real diagnostic
            return {}

    def line(self, loc: Loc) -> int | None:
        """Return the 1-based line of the deepest part of `loc` present in the document."""
        entries = self._source_map
        parts = [str(p) for p in loc]  # json_source_map does not escape pointer parts
        while True:
            entry = entries.get("".join("/" + p for p in parts))
            if entry is not None:
                start = entry.key_start or entry.value_start
                return int(start.line) + 1
            if not parts:
                return None
            parts.pop()


class YamlDocument:
    """A YAML mapping's data with the node tree kept for line lookups."""

    def __init__(self, path: str, data: Any, root: yaml.Node | None, first_line: int) -> None:
        self.path = path
        self.data = data
        self.root = root
        self._first_line = first_line

    @classmethod
    def parse(cls, path: str, text: str, first_line: int = 1) -> YamlDocument:
        """Parse YAML text safely; `first_line` is where the text starts in its file."""
        loader = _YamlLoader(text)
        try:
            root = loader.get_single_node()
            if root is not None:
                _refuse_alias_bombs(root, first_line)
            data = loader.construct_document(root) if root is not None else None
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = first_line + mark.line if mark is not None else None
            problem = exc.problem or exc.context or "syntax error"
            raise DocumentError(f"is not valid YAML: {problem}", line) from None
        except yaml.YAMLError as exc:
            raise DocumentError(f"is not valid YAML: {exc}", first_line) from None
        except RecursionError:
            raise DocumentError("is not valid YAML: nested too deeply", first_line) from None
        finally:
            loader.dispose()
        if isinstance(root, yaml.MappingNode):
            _refuse_keys_that_are_not_text(root, data, first_line)
        return cls(path, data, root, first_line)

    def line(self, loc: Loc) -> int | None:
        """Return the 1-based line of the deepest part of `loc` present in the document."""
        node = self.root
        if node is None:
            return self._first_line
        for part in loc:
            child = _yaml_child(node, part)
            if child is None:
                break
            node = child
        return self._first_line + node.start_mark.line


def _refuse_keys_that_are_not_text(root: yaml.MappingNode, data: Any, first_line: int) -> None:
    """A top-level key like `?` (null), `1` or `true` is no field name; say which line holds it."""
    for key_node, _ in root.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        if isinstance(data, dict) and not any(isinstance(k, str) and k == key_node.value for k in data):
            line = first_line + key_node.start_mark.line
            shown = key_node.value if key_node.value else "null (an empty `?` key)"
            raise DocumentError(
                f"has a key that is not a name: {shown}; keys are names like `description`", line
            )


def _yaml_child(node: yaml.Node, part: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                return value if isinstance(value, yaml.CollectionNode) else key
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        child: yaml.Node = node.value[part]
        return child
    return None


def _refuse_alias_bombs(root: yaml.Node, first_line: int) -> None:
    """Count nodes as they would be after alias expansion; refuse past MAX_YAML_NODES."""
    count = 0
    stack: list[yaml.Node] = [root]
    while stack:
        node = stack.pop()
        count += 1
        if count > MAX_YAML_NODES:
            raise DocumentError(
                f"is refused: its aliases expand to more than {MAX_YAML_NODES:,} values; "
                "write the values out instead of using anchors and aliases",
                first_line,
            )
        if isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.append(key)
                stack.append(value)
