"""The catalog's bytes from its head and its records, each record encoded or copied as bytes.

The document is a dict of sorted keys written key by key, so writing it this way is canonical:
the same bytes as `Catalog.to_bytes`, with unchanged records cut from the previous catalog and
only the rest serialised.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from skillport_build.models.catalog import Catalog, PluginRecord, SkillRecord, canonical_json


@dataclass(frozen=True)
class Entry:
    """One record of the catalog: where it sorts, its key (plugin:<name>, skill:<ref>), and the
    record or its canonical bytes."""

    order: Any  # plugins sort by name, skills by (name, plugin)
    key: str
    value: PluginRecord | SkillRecord | bytes


def assemble(
    head: Catalog, plugins: list[Entry], skills: list[Entry]
) -> tuple[bytes, dict[str, tuple[int, int]], list[int]]:
    """The catalog's canonical bytes; (offset, length) of every record by key; and where the
    contents of the plugins and skills arrays start and end."""
    fields = head.model_dump(mode="json", by_alias=True, exclude_none=True, exclude={"plugins", "skills"})
    arrays = {"plugins": plugins, "skills": skills}
    out, spans, layout = bytearray(b"{"), {}, []
    for key in sorted([*fields, *arrays]):
        out += canonical_json(key) + b":"
        if key not in arrays:
            out += canonical_json(fields[key]) + b","
            continue
        out += b"["
        layout.append(len(out))
        for entry in sorted(arrays[key], key=lambda e: e.order):
            value = entry.value
            part = value if isinstance(value, bytes) else _encoded(value)
            spans[entry.key] = (len(out), len(part))
            out += part + b","
        if out.endswith(b","):
            del out[-1]
        layout.append(len(out))
        out += b"],"
    out[-1:] = b"}"
    return bytes(out), spans, layout


def _encoded(record: PluginRecord | SkillRecord) -> bytes:
    return canonical_json(record.model_dump(mode="json", by_alias=True, exclude_none=True))
