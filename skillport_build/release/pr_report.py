"""The pull-request report: validation, what merging would publish, bundle sizes, front-matter diffs.

It is one Markdown document; the pull-request workflow posts it as a single comment (updated in
place on every push) and into the job summary.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from skillport_build.models.catalog import Catalog, SkillRecord
from skillport_build.models.text import human_size
from skillport_build.release.bundle import deflate, zip_deflated
from skillport_build.release.plan import Change, Plan, make_plan
from skillport_build.release.render_plan import as_markdown
from skillport_build.repo.diagnostics import Report
from skillport_build.repo.loader import load
from skillport_build.repo.marketplace import Skill
from skillport_build.repo.remote import RemoteSources
from skillport_build.validate import validate

MARKER = "<!-- skillport-report -->"
MAX_FINDINGS = 50


@dataclass(frozen=True)
class PullRequestReport:
    """The comment's Markdown, and whether the check fails."""

    markdown: str
    failed: bool
    report: Report
    plan: Plan | None


def pull_request_report(
    root: Path, previous: Catalog | None, level: str = "patch", remote: RemoteSources | None = None
) -> PullRequestReport:
    """Validate the branch and, if it is valid, say what merging it would publish (with `remote`,
    remote entries are fetched, validated and planned too: a new commit shows as a change)."""
    market = load(root, None, remote)
    report = validate(market)
    out = [MARKER, "## Skillport", "", *validation_markdown(report)]
    plan = None
    if not report.errors:
        plan = make_plan(market, previous, level)
        out += ["", as_markdown(plan).replace("### Skillport release plan", "### What merging publishes", 1)]
        out += _skill_details(plan, {s.name: s for s in market.skills}, previous)
    if market.remote.skipped:
        out += ["", "**Remote entries not built:** " + "; ".join(market.remote.skipped)]
    failed = bool(report.errors) or bool(plan and plan.problems)
    return PullRequestReport("\n".join(out).rstrip() + "\n", failed, report, plan)


def validation_markdown(report: Report) -> list[str]:
    """A validation report as Markdown lines: a verdict, then a table of the findings."""
    if not report.diagnostics:
        found = f"{_count(report.plugins, 'plugin')}, {_count(report.skills, 'skill')}"
        return [f"✅ **Validation passed**: {found}, no findings."]
    counts = f"**{len(report.errors)} error(s)**, {len(report.warnings)} warning(s)"
    head = (
        f"❌ {counts}: fix the errors before merging."
        if report.errors
        else f"⚠️ {counts}; nothing blocks the merge."
    )
    rows = [
        f"| {d.severity} | `{d.location()}` | `{d.rule}` | {_cell(d.message)} |" for d in report.diagnostics
    ]
    more = len(rows) - MAX_FINDINGS
    table = ["| | where | rule | what to do |", "|---|---|---|---|", *rows[:MAX_FINDINGS]]
    return [head, "", *table, *(["", f"… and {more} more (run `skillport validate`)."] if more > 0 else [])]


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _skill_details(plan: Plan, skills: dict[str, Skill], previous: Catalog | None) -> list[str]:
    changed = [i for i in plan.items if i.kind == "skill" and i.change in (Change.NEW, Change.CHANGED)]
    if not changed:
        return []
    out = ["", "**Changed skills**", "", "| skill | bundle size | front matter |", "|---|---|---|"]
    for item in changed:
        skill = skills[item.name]
        old = previous.skill(item.name) if previous else None
        out.append(
            f"| `{item.name}` | {human_size(_bundle_size(skill))} | {_front_matter_diff(skill, old)} |"
        )
    return out


def _bundle_size(skill: Skill) -> int:
    """About what the upload zip will weigh (the build adds a few bytes of metadata)."""
    entries = [(f"{skill.name}/{f.path}", deflate(f.data or b""), f.executable) for f in skill.files]
    return len(zip_deflated(entries, 0))


def _front_matter_diff(skill: Skill, old: SkillRecord | None) -> str:
    front = skill.front_matter
    if front is None:
        return ""
    if old is None:
        return "new"
    tools = front.allowed_tools
    now = _fields(
        front.description,
        front.license,
        front.compatibility,
        " ".join(tools) if isinstance(tools, list) else tools,
        front.metadata,
    )
    before = _fields(old.description, old.license, old.compatibility, old.allowed_tools, old.metadata)
    changes = [
        f"`{key}`: {_cell(_short(before[key]))} → {_cell(_short(now[key]))}"
        for key in now
        if now[key] != before[key]
    ]
    return "<br>".join(changes) or "unchanged"


def _fields(
    description: str, license: str | None, compatibility: str | None, tools: str | None, metadata: Any
) -> dict[str, Any]:
    """The front-matter fields a reviewer cares about, as the report compares them."""
    return {
        "description": description,
        "license": license,
        "compatibility": compatibility,
        "allowed-tools": tools,
        "metadata": dict(metadata or {}),
    }


def _short(value: Any) -> str:
    text = str(value) if value not in (None, {}) else "—"
    return text if len(text) <= 80 else text[:77] + "…"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
