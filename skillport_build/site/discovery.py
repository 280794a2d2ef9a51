"""The Agent Skills discovery index of a static site, for the `skills` CLI and agents like it.

    .well-known/skills/index.json          {"$schema": …/discovery/0.2.0/schema.json, "skills": [...]}
    .well-known/agent-skills/index.json    the same, at the path newer clients try first
    .well-known/skills/<name>/<name>-<version>.zip

Each entry is `{name, description, type: "archive", url, digest: "sha256:<hex>"}`; a client resolves
`url` against the index's own address and refuses bytes whose sha256 differs from `digest`. The
`skills` CLI 1.7.4 (npm) reads an archive's files from its root (`SKILL.md` at the top), while a
skill bundle holds one folder named after the skill (the layout Claude.ai uploads take), so each
skill gets an agent archive: the bundle's files and bytes, one level up, zipped reproducibly.

The index is written only into a static site, which has no sign-in: the `skills` CLI sends no
credentials, so a catalog behind the proxy is installed with `skillport install --agent` instead.
"""

from __future__ import annotations

import calendar
import hashlib
import io
import json
import zipfile
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from skillport_build.errors import BuildError
from skillport_build.models.api import DiscoveryEntry, DiscoveryIndex
from skillport_build.models.catalog import Catalog, SkillRecord
from skillport_build.release.bundle import ZIP_MIN_EPOCH, Entry, zip_bytes
from skillport_build.site.render import BundleReader

SCHEMA = "https://schemas.agentskills.io/discovery/0.2.0/schema.json"
INDEX_PATHS = (".well-known/skills", ".well-known/agent-skills")
ARCHIVES = ".well-known/skills"


def agent_archive(bundle: bytes, name: str) -> bytes:
    """The files of a skill bundle (one top folder `name/`) as a zip with SKILL.md at its root."""
    top = f"{name}/"
    entries, epoch = [], ZIP_MIN_EPOCH
    with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            if not info.filename.startswith(top):
                raise BuildError(f"{name}: bundle entry {info.filename!r} is outside {top}")
            executable = bool((info.external_attr >> 16) & 0o111)
            entries.append(Entry(info.filename[len(top) :], archive.read(info), executable))
            epoch = max(epoch, calendar.timegm((*info.date_time, 0, 0, 0)))
    return zip_bytes(entries, epoch)


def archive_path(skill: SkillRecord) -> str:
    """Where a skill's agent archive sits in the site."""
    return f"{ARCHIVES}/{skill.name}/{skill.name}-{skill.version}.zip"


def listed(skills: Iterable[SkillRecord]) -> list[SkillRecord]:
    """The skills an index can name: a client installs by bare name, so a name two plugins share is
    left out rather than letting one shadow the other."""
    chosen = list(skills)
    counts = Counter(skill.name for skill in chosen)
    return sorted((s for s in chosen if counts[s.name] == 1), key=lambda s: s.name)


def write_discovery(
    catalog: Catalog, reader: BundleReader, out: Path, only: Iterable[str] | None = None
) -> int:
    """Write the discovery index and one agent archive per listed skill into the site at `out`;
    how many skills it lists."""
    visible = set(only) if only is not None else None
    skills = listed(s for s in catalog.skills if visible is None or s.ref in visible)
    entries: list[tuple[SkillRecord, str]] = []
    for skill in skills:
        data = agent_archive(reader(skill.bundle), skill.name)
        target = out / archive_path(skill)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        entries.append((skill, hashlib.sha256(data).hexdigest()))
    for folder in INDEX_PATHS:
        index = _index(entries, folder)
        (out / folder).mkdir(parents=True, exist_ok=True)
        text = json.dumps(index.dump(), indent=2, ensure_ascii=False) + "\n"
        (out / folder / "index.json").write_text(text, "utf-8")
    return len(entries)


def _index(entries: list[tuple[SkillRecord, str]], folder: str) -> DiscoveryIndex:
    """The index as served from `folder`: archive URLs relative to it, so the site works under any
    base path."""
    up = "" if folder == ARCHIVES else "../skills/"
    return DiscoveryIndex(
        schema_=SCHEMA,
        skills=[
            DiscoveryEntry(
                name=skill.name,
                type="archive",
                description=skill.description,
                url=up + archive_path(skill).removeprefix(f"{ARCHIVES}/"),
                digest=f"sha256:{sha}",
            )
            for skill, sha in entries
        ],
    )
