"""The build's search texts documents (format: models/texts.py), written beside the bundles.

A shard whose skills are the ones of the previous catalog's shard, still in OUT and of the current
format (with the texts' term counts), is kept as it is.
In the others, a text comes from the source SKILL.md the build read, else from an earlier shard in
OUT holding the same bundle (same sha256, same text), else from the bundle in OUT; so a rebuild
after one change writes one or two small documents and opens no zip.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

from skillport_build.errors import BuildError, CatalogError, SignatureError
from skillport_build.models.catalog import Bundle
from skillport_build.models.texts import (
    PREFIX,
    check_texts,
    decode_texts,
    encode_texts,
    is_current,
    shard_index,
    shard_of,
)
from skillport_build.release.bundle import SEARCH_TEXT_LIMIT, search_text
from skillport_build.release.files import write_atomic

Bodies = dict[str, str]  # bundle sha256 -> SKILL.md body, for the skills the build read from source


class TextSkill(Protocol):
    """What a shard needs of a skill (a SkillRecord has it): its name and its bundle."""

    @property
    def name(self) -> str: ...
    @property
    def bundle(self) -> Bundle: ...


class PreviousTexts(Protocol):
    """What a shard needs of the previous catalog (a Catalog has it): its shards and skills."""

    @property
    def texts(self) -> tuple[Bundle, ...] | None: ...
    @property
    def skills(self) -> Iterable[TextSkill]: ...


def write_texts(
    out: Path, skills: Iterable[TextSkill], bodies: Bodies, previous: PreviousTexts | None
) -> tuple[Bundle, ...]:
    """Write OUT/texts/ for `skills` (whose bundles are in OUT); the catalog's references."""
    wanted: defaultdict[int, dict[str, TextSkill]] = defaultdict(dict)
    for skill in skills:
        wanted[shard_of(skill.bundle.sha256)][skill.bundle.sha256] = skill
    kept = _kept_shards(out, previous)
    refs: list[Bundle] = []
    for shard in sorted(wanted):
        members = wanted[shard]
        if shard in kept and kept[shard][1] == members.keys():
            refs.append(kept[shard][0])
            continue
        earlier: dict[str, str] | None = None  # a text lives in its bundle's shard: read that one's
        texts: dict[str, str] = {}
        for sha256, skill in sorted(members.items()):
            if sha256 in bodies:
                texts[sha256] = bodies[sha256][:SEARCH_TEXT_LIMIT]
                continue
            if earlier is None:
                earlier = _earlier_texts(out, shard)
            texts[sha256] = earlier[sha256] if sha256 in earlier else _read(out, skill)
        blob, ref = encode_texts(shard, texts)
        if not (out / ref.path).is_file():
            write_atomic(out / ref.path, blob)
        refs.append(ref)
    named = {out / ref.path for ref in refs}
    for stale in (out / PREFIX).glob("*.json.zst"):
        if stale not in named:
            stale.unlink(missing_ok=True)
    return tuple(refs)


def _kept_shards(out: Path, previous: PreviousTexts | None) -> dict[int, tuple[Bundle, set[str]]]:
    """The previous catalog's shards still in OUT unchanged, with the bundles each holds."""
    if previous is None or not previous.texts:
        return {}
    members: defaultdict[int, set[str]] = defaultdict(set)
    for skill in previous.skills:
        members[shard_of(skill.bundle.sha256)].add(skill.bundle.sha256)
    kept = {}
    for ref in previous.texts:
        shard, path = shard_index(ref), out / ref.path
        if (
            shard is not None
            and path.is_file()
            and path.stat().st_size == ref.size
            and is_current(path.read_bytes())
        ):
            kept[shard] = (ref, members[shard])
    return kept


def _earlier_texts(out: Path, shard: int) -> dict[str, str]:
    """The texts of the documents of one shard earlier builds left in OUT (each named by its own
    sha256)."""
    known: dict[str, str] = {}
    for path in sorted((out / PREFIX).glob(f"{shard:02d}.*.json.zst")):
        blob = path.read_bytes()
        ref = Bundle(path=f"{PREFIX}{path.name}", sha256=path.name.split(".")[1], size=len(blob))
        try:
            known.update(decode_texts(check_texts(blob, ref), ref))
        except (CatalogError, SignatureError, IndexError):
            continue  # a damaged leftover: its texts are read from the bundles again
    return known


def _read(out: Path, skill: TextSkill) -> str:
    path = out / skill.bundle.path
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise BuildError(f"{path} is missing: the build must write every bundle before the texts") from None
    if hashlib.sha256(data).hexdigest() != skill.bundle.sha256:
        raise BuildError(f"{path} does not match its record; delete it and build again")
    return search_text(data, skill.name)
