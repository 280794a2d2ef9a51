"""The catalog's bytes from its head and its records, each record encoded or copied as bytes.

The document is a dict of sorted keys written key by key, so writing it this way is canonical:
the same bytes as `Catalog.to_bytes`, with unchanged records cut from the previous catalog and
only the rest serialised. Copied records that sit side by side in the previous catalog as they do
in the new one are copied as one slice (a one-skill rebuild copies a few long runs, not a record
at a time).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from skillport_build.models.catalog import Catalog, PluginRecord, SkillRecord, canonical_json


@dataclass(frozen=True)
class Copied:
    """A record's canonical bytes where they sit in the previous catalog's bytes `raw`."""

    raw: bytes
    at: int
    length: int


@dataclass(frozen=True)
class Entry:
    """One record of the catalog: where it sorts, its key (plugin:<name>, skill:<ref>), and the
    record or its canonical bytes."""

    order: Any  # plugins sort by name, skills by (name, plugin)
    key: str
    value: PluginRecord | SkillRecord | bytes | Copied


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
        run: list[int] = []  # [start, end] in `source` of the copied records not yet written
        source = b""
        for entry in sorted(arrays[key], key=lambda e: e.order):
            value = entry.value
            if isinstance(value, Copied):
                if run and value.raw is source and value.at == run[1] + 1:  # the next one there
                    spans[entry.key] = (len(out) + value.at - run[0], value.length)
                    run[1] = value.at + value.length
                    continue
                if run:
                    out += source[run[0] : run[1]] + b","
                source, run = value.raw, [value.at, value.at + value.length]
                spans[entry.key] = (len(out), value.length)
                continue
            if run:
                out += source[run[0] : run[1]] + b","
                run = []
            part = value if isinstance(value, bytes) else _encoded(value)
            spans[entry.key] = (len(out), len(part))
            out += part + b","
        if run:
            out += source[run[0] : run[1]] + b","
        if out.endswith(b","):
            del out[-1]
        layout.append(len(out))
        out += b"],"
    out[-1:] = b"}"
    return bytes(out), spans, layout


def _encoded(record: PluginRecord | SkillRecord) -> bytes:
    return canonical_json(record.model_dump(mode="json", by_alias=True, exclude_none=True))
