"""The static site's search index: small files a browser fetches a few at a time, never the catalog.

    search/<digest>/index.json        the head: how many skills, each term shard's first term, the
                                      filters' values, the surfaces' labels, the scoring rules
    search/<digest>/terms/<i>.bin     a run of the sorted vocabulary with its posting lists
    search/<digest>/words.json        every term (read only to correct a typo)
    search/<digest>/plugin-of.bin     each skill's plugin (uint32 per skill)
    search/<digest>/filters/<kind>-<i>.bin   one filter value's skills, a bitset
    search/<digest>/plugins/<c>.json  PLUGIN_CHUNK plugins: name, version, description
    search/<digest>/skills/<n>.json   one skill's card and its SKILL.md search text

Skills are numbered by (name, plugin), the order ties are broken in; plugins in catalog order. A
term shard is `SPX1`, the header's length (uint32), a JSON header (its terms, each one's posting
count, and the names and refs that fall in its range, for a name typed in full), then every
posting's skill number (uint32) and weight (float32), little-endian. `<digest>` is the sha256 of
everything in the folder, so a browser never mixes files of two generations, and the same skills
give the same bytes. Only the skills given (one audience's) are read: nothing else reaches a file.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import struct
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from skillport_build.models.catalog import PluginRecord, SkillRecord
from skillport_build.site.scoring import RULES, Inverted, invert, js_order

FORMAT = 1
FOLDER = "search"
SHARD_BYTES = 64 * 1024  # postings a term shard holds before the next one starts (one term at least)
PLUGIN_CHUNK = 64
MAGIC = b"SPX1"


@dataclass
class _Folder:
    """Files written under one temporary folder, hashed in the order written."""

    root: Path
    digest: Any = field(default_factory=hashlib.sha256)
    written: list[str] = field(default_factory=list)

    def put(self, name: str, data: bytes) -> None:
        target = self.root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        self.digest.update(f"{name}\0{len(data)}\0".encode())
        self.digest.update(data)
        self.written.append(name)


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def write_search_index(
    out: Path,
    skills: Sequence[SkillRecord],
    plugins: Sequence[PluginRecord],
    texts: Mapping[str, str],
    labels: Mapping[str, str],
) -> tuple[str, list[Path]]:
    """Write the index of `skills` (sorted by name, plugin) and `plugins` (catalog order, those
    holding one of them) under out/search/; its head's path relative to `out`, and every file."""
    base = out / FOLDER
    work = base / ".partial"
    shutil.rmtree(work, ignore_errors=True)
    folder = _Folder(work)
    inverted = invert([(s, texts.get(s.ref, "")) for s in skills])
    firsts = _term_shards(folder, inverted, _names(skills))
    folder.put("words.json", _json(inverted.terms))
    place = {p.name: i for i, p in enumerate(plugins)}
    folder.put("plugin-of.bin", np.array([place[s.plugin] for s in skills], "<u4").tobytes())
    values = _filters(folder, skills)
    for start in range(0, len(plugins), PLUGIN_CHUNK):
        chunk = plugins[start : start + PLUGIN_CHUNK]
        folder.put(
            f"plugins/{start // PLUGIN_CHUNK}.json",
            _json([[p.name, p.version, p.description] for p in chunk]),
        )
    for n, skill in enumerate(skills):
        folder.put(f"skills/{n}.json", _json(_card(skill, texts.get(skill.ref, ""))))
    head = {
        "format": FORMAT,
        "skills": len(skills),
        "plugins": len(plugins),
        "plugin_chunk": PLUGIN_CHUNK,
        "shards": firsts,
        "filters": values,
        "surfaces": dict(labels),
        "rules": RULES,
    }
    folder.put("index.json", _json(head))
    digest = folder.digest.hexdigest()[:16]
    final = base / digest
    for old in base.iterdir():  # an earlier generation's index, never mixed with this one
        if old != work:
            shutil.rmtree(old) if old.is_dir() else old.unlink()
    work.rename(final)
    return f"{FOLDER}/{digest}/index.json", [final / name for name in folder.written]


def _names(skills: Sequence[SkillRecord]) -> dict[str, list[int]]:
    """Each name and ref, lower-cased: the skills it names."""
    found: dict[str, list[int]] = {}
    for n, skill in enumerate(skills):
        for key in dict.fromkeys((skill.name.lower(), skill.ref.lower())):
            found.setdefault(key, []).append(n)
    return found


def _term_shards(folder: _Folder, inverted: Inverted, names: dict[str, list[int]]) -> list[str]:
    """Cut the sorted vocabulary into shards of about SHARD_BYTES of postings; their first terms."""
    starts = inverted.starts.tolist()
    cuts = [0]
    for t in range(1, len(inverted.terms)):
        if (starts[t] - starts[cuts[-1]]) * 8 >= SHARD_BYTES:
            cuts.append(t)
    firsts = [inverted.terms[c] for c in cuts] if inverted.terms else [""]
    held: list[dict[str, list[int]]] = [{} for _ in firsts]
    for key in sorted(names, key=js_order):  # a name lives in the shard whose range covers it
        held[max(0, bisect_right(firsts, js_order(key), key=js_order) - 1)][key] = names[key]
    for i, (a, z) in enumerate(zip(cuts, [*cuts[1:], len(inverted.terms)], strict=True)):
        terms = inverted.terms[a:z]
        counts = [starts[t + 1] - starts[t] for t in range(a, z)]
        header = _json({"terms": terms, "counts": counts, "names": held[i]})
        header += b" " * (-(len(header) + 8) % 4)  # the arrays start 4-byte aligned
        lo, hi = starts[a], starts[z] if z < len(starts) else starts[-1]
        folder.put(
            f"terms/{i}.bin",
            MAGIC
            + struct.pack("<I", len(header))
            + header
            + inverted.skills[lo:hi].astype("<u4").tobytes()
            + inverted.weights[lo:hi].astype("<f4").tobytes(),
        )
    return firsts


def _filters(folder: _Folder, skills: Sequence[SkillRecord]) -> dict[str, list[str]]:
    """One bitset per filter value (bit n: skill n passes); each filter's values."""
    values = {
        "category": sorted({s.category for s in skills if s.category}),
        "tag": sorted({t for s in skills for t in s.tags}),
        "surface": sorted({x for s in skills for x in s.surfaces}),
    }
    for kind, offered in values.items():
        for i, value in enumerate(offered):
            bits = np.array([_passes(kind, s, value) for s in skills], np.bool_)
            folder.put(f"filters/{kind}-{i}.bin", np.packbits(bits, bitorder="little").tobytes())
    return values


def _passes(kind: str, skill: SkillRecord, value: str) -> bool:
    """Whether a skill passes one filter, as the proxy decides (category and tag ignore case)."""
    if kind == "category":
        return (skill.category or "").lower() == value.lower()
    if kind == "tag":
        return value.lower() in (t.lower() for t in skill.tags)
    return value in skill.surfaces


def _card(skill: SkillRecord, text: str) -> dict[str, Any]:
    """What a result shows of a skill, and the text its snippet is cut from."""
    return {
        "ref": skill.ref,
        "slug": skill.slug,
        "name": skill.name,
        "plugin": skill.plugin,
        "version": skill.version,
        "description": skill.description,
        "tags": list(skill.tags),
        "category": skill.category or "",
        "surfaces": list(skill.surfaces),
        "deprecated": bool(skill.deprecated),
        "text": text,
    }
