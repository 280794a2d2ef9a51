"""Render a release plan as text, JSON, or the Markdown the pull-request comment shows."""

from __future__ import annotations

import json
from collections.abc import Callable

from skillport_build.release.plan import Change, Item, Plan, next_version

_ICON = {
    Change.NEW: "🆕 new",
    Change.CHANGED: "✏️ changed",
    Change.VERSION_ONLY: "🔖 version only",
    Change.UNCHANGED: "unchanged",
    Change.REMOVED: "🗑️ removed",
}


def _target(item: Item) -> str:
    return _version_target(item) + _commit(item)


def _commit(item: Item) -> str:
    """A remote plugin's commit, and the one it was published from when that moved."""
    if item.commit is None:
        return ""
    if item.published_commit and item.published_commit != item.commit:
        return f" · commit {item.published_commit[:12]} → {item.commit[:12]}"
    return f" · commit {item.commit[:12]}"


def _version_target(item: Item) -> str:
    if item.change is Change.REMOVED:
        return f"{item.published} → removed"
    if item.bump and item.version:
        return f"{item.version} → {next_version(item.version, item.bump)} ({item.bump} bump needed)"
    if item.published and item.version and item.published != item.version:
        return f"{item.published} → {item.version}"
    return item.version or "?"


def headline(plan: Plan) -> str:
    """One sentence: what a build would publish."""
    changed = [i for i in plan.items if i.change is not Change.UNCHANGED]
    if plan.problems:
        return f"✗ {len(plan.problems)} problem(s) stop the release"
    if not changed:
        return "Nothing to publish: every skill and plugin matches the published catalog."
    counts = {c: sum(1 for i in changed if i.change is c) for c in Change}
    parts = [f"{n} {c.value}" for c, n in counts.items() if n]
    return f"Publishing catalog {plan.catalog_version}: {', '.join(parts)}."


def as_text(plan: Plan) -> str:
    """A line per item that is not unchanged, then problems, then the headline."""
    lines = [
        f"{i.kind:<6} {i.name:<32} {_ICON[i.change]:<16} {_target(i)}"
        for i in plan.items
        if i.change is not Change.UNCHANGED
    ]
    lines += [f"error: {i.problem}" for i in plan.problems]
    unchanged = sum(1 for i in plan.items if i.change is Change.UNCHANGED)
    if unchanged:
        lines.append(f"({unchanged} unchanged)")
    return "\n".join([*lines, headline(plan)]) + "\n"


def as_json(plan: Plan) -> str:
    """Every item, the catalog versions and the problems, as one object."""
    return (
        json.dumps(
            {
                "catalog_version": plan.catalog_version,
                "previous_version": plan.previous_version,
                "ok": not plan.problems,
                "items": [
                    {
                        "kind": i.kind,
                        "name": i.name,
                        "plugin": i.plugin,
                        "change": i.change.value,
                        "version": i.version,
                        "published": i.published,
                        "bump": i.bump,
                        "next_version": next_version(i.version, i.bump) if i.bump and i.version else None,
                        "digest": i.digest,
                        "problem": i.problem,
                        "commit": i.commit,
                        "published_commit": i.published_commit,
                    }
                    for i in plan.items
                ],
            },
            indent=2,
        )
        + "\n"
    )


def as_markdown(plan: Plan) -> str:
    """The pull-request comment: headline, a table per kind, problems, unchanged count."""
    out = ["### Skillport release plan", "", headline(plan), ""]
    if plan.problems:
        out += ["**Problems (the release job will refuse to publish):**", ""]
        out += [f"- {i.problem}" for i in plan.problems] + [""]
    for kind, title in (("plugin", "Plugins"), ("skill", "Skills")):
        rows = [i for i in plan.items if i.kind == kind and i.change is not Change.UNCHANGED]
        if not rows:
            continue
        out += [f"**{title}**", "", f"| {kind} | change | version |", "|---|---|---|"]
        out += [f"| `{i.name}` | {_ICON[i.change]} | {_target(i)} |" for i in rows] + [""]
    unchanged = sum(1 for i in plan.items if i.change is Change.UNCHANGED)
    if unchanged:
        out.append(f"<sub>{unchanged} unchanged item(s) keep their published bundles.</sub>")
    return "\n".join(out).rstrip() + "\n"


RENDERERS: dict[str, Callable[[Plan], str]] = {"text": as_text, "json": as_json, "markdown": as_markdown}
