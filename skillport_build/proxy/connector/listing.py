"""The order of a person's `skills/list`, so the first page holds what they most likely want.

Claude Code keeps at most 100 skills and 512 KiB of listing per server, so the order matters more
than the length: first the skills the person has installed (downloaded a bundle of the skill, or of
its plugin, as the audit log records), newest update first; then the skills updated in the last
30 days, newest first; then the rest by downloads (all people, all versions), then by name. Pages
are cut at 100 entries or `PAGE_BYTES` of entries, whichever comes first; everything past the first
page is still listed on later pages, found by `search_skills` and answered by `skills/get`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from skillport_build.models.catalog import SkillRecord

PAGE = 100
PAGE_BYTES = 480 * 1024  # under Claude Code's 512 KiB with room for the envelope
RECENT = timedelta(days=30)


@dataclass(frozen=True)
class Usage:
    """What the order is worked out from."""

    mine: Mapping[tuple[str, str], str]
    """(kind, name) -> when this person last downloaded that skill or plugin bundle."""
    downloads: Mapping[str, int]
    """skill ref -> downloads of every version, by everyone."""
    now: datetime


def ordered(skills: Sequence[SkillRecord], usage: Usage) -> list[SkillRecord]:
    """The skills in listing order (see the module's docstring)."""
    since = usage.now - RECENT

    def key(skill: SkillRecord) -> tuple[int, float, int, str]:
        updated = _updated(skill)
        installed = ("skill", skill.ref) in usage.mine or ("plugin", skill.plugin) in usage.mine
        tier = 0 if installed else 1 if updated >= since else 2
        newest_first = -updated.timestamp() if tier < 2 else 0.0
        return tier, newest_first, -usage.downloads.get(skill.ref, 0), skill.ref

    return sorted(skills, key=key)


def downloads_per_skill(counts: Mapping[tuple[str, str], int]) -> dict[str, int]:
    """(skill, version) -> count, summed per skill."""
    total: dict[str, int] = {}
    for (skill, _), count in counts.items():
        total[skill] = total.get(skill, 0) + count
    return total


def page(
    skills: Sequence[SkillRecord], start: int, entry: Callable[[SkillRecord], dict[str, Any] | None]
) -> tuple[list[dict[str, Any]], int | None]:
    """The entries of the page starting at `start` and where the next one starts (None at the end).

    `entry` gives None for a skill not served through the extension (over its limits); such skills
    take no room. A page holds at least one entry, however large."""
    entries: list[dict[str, Any]] = []
    size, at = 0, start
    while at < len(skills) and len(entries) < PAGE:
        found = entry(skills[at])
        if found is not None:
            cost = len(json.dumps(found, separators=(",", ":"))) + 1  # \u escapes: bytes either way
            if entries and size + cost > PAGE_BYTES:
                break
            entries.append(found)
            size += cost
        at += 1
    return entries, at if at < len(skills) else None


def _updated(skill: SkillRecord) -> datetime:
    release = skill.release(skill.version) or (skill.history[-1] if skill.history else None)
    if release is None:
        return datetime.fromtimestamp(0, UTC)
    return datetime.fromisoformat(release.published_at.replace("Z", "+00:00"))
