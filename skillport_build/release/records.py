"""The catalog records a build makes: a skill's and a plugin's, their history, what was removed."""

from __future__ import annotations

from collections.abc import Callable

from skillport_build.models.catalog import (
    Author,
    Deprecation,
    FileRecord,
    Origin,
    PluginRecord,
    Release,
    Removed,
    SkillRecord,
)
from skillport_build.models.lifecycle import Lifecycle
from skillport_build.release.plan import Change, Plan
from skillport_build.release.previous import Previous
from skillport_build.repo.marketplace import Plugin, Skill

UPLOAD_EXCLUDED = ("evals/",)  # Claude.ai refuses a root evals/ folder in an upload


def skill_bundle_path(skill: Skill, version: str) -> str:
    """Where a skill's zip lives in the store (under plugin.skill where the name repeats)."""
    return f"bundles/{skill.slug}/{version}/{skill.name}-{version}.zip"


def plugin_bundle_path(name: str, version: str) -> str:
    """Where a plugin's zip lives in the store."""
    return f"plugins/{name}/{version}/{name}-{version}.zip"


def records_of(
    plugin: Plugin,
    previous: Previous | None,
    lifecycle: Lifecycle,
    release: Callable[[str, str, str], Release],
) -> tuple[PluginRecord, list[SkillRecord]]:
    """A plugin's record and its skills', made from its files; `release(version, digest, bundle
    path)` is the release this build adds where the version is new to the history."""
    version = plugin.release_version
    surfaces = tuple(sorted(plugin.entry.surfaces))
    skills = []
    for skill in plugin.skills:
        made = release(version, skill.digest, skill_bundle_path(skill, version))
        past = history(published(previous, "skill", skill.ref), made, skill.name, lifecycle)
        skills.append(skill_record(skill, plugin, made, surfaces, past, lifecycle))
    made = release(version, plugin.digest, plugin_bundle_path(plugin.name, version))
    past = history(published(previous, "plugin", plugin.name), made, plugin.name, lifecycle)
    return plugin_record(plugin, made, surfaces, past, lifecycle), skills


def history(
    history: tuple[Release, ...], release: Release, name: str, lifecycle: Lifecycle
) -> tuple[Release, ...]:
    if not any(r.version == release.version for r in history):
        history = (*history, release)
    if not lifecycle.yanked:
        return history
    return tuple(_yanked(r, lifecycle.yank_reason(name, r.version)) for r in history)


def _yanked(release: Release, reason: str | None) -> Release:
    return release.model_copy(update={"yanked": reason}) if reason and reason != release.yanked else release


def published(previous: Previous | None, kind: str, name: str) -> tuple[Release, ...]:
    """Every version of a skill or plugin published so far (also if it was removed since)."""
    if previous is None:
        return ()
    record = previous.skill(name) if kind == "skill" else previous.plugin(name)
    if record is not None:
        return record.history
    gone = next((r for r in previous.removed if (r.kind, r.name) == (kind, name)), None)
    return gone.history if gone else ()


def _deprecation(lifecycle: Lifecycle, name: str) -> Deprecation | None:
    found = lifecycle.deprecation(name)
    return Deprecation(reason=found.reason, replacement=found.replacement) if found else None


def skill_record(
    skill: Skill,
    plugin: Plugin,
    release: Release,
    surfaces: tuple[str, ...],
    history: tuple[Release, ...],
    lifecycle: Lifecycle,
) -> SkillRecord:
    front = skill.front_matter
    assert front is not None  # validation guarantees a valid front matter
    tools = front.allowed_tools
    return SkillRecord(
        name=skill.name,
        id=skill.ref if skill.ref != skill.name else None,
        plugin=plugin.name,
        version=release.version,
        description=front.description,
        license=front.license,
        compatibility=front.compatibility,
        metadata=dict(front.metadata or {}),
        allowed_tools=" ".join(tools) if isinstance(tools, list) else tools,
        surfaces=surfaces,
        category=plugin.entry.category,
        tags=tuple(t for t in plugin.entry.tags or () if not t.startswith("surface:")),
        digest=release.digest,
        bundle=release.bundle,
        files=tuple(
            FileRecord(path=f.path, sha256=f.sha256, size=f.size, executable=f.executable)
            for f in skill.files
            if not f.path.startswith(UPLOAD_EXCLUDED)
        ),
        history=history,
        deprecated=_deprecation(lifecycle, skill.name),
    )


def plugin_record(
    plugin: Plugin,
    release: Release,
    surfaces: tuple[str, ...],
    history: tuple[Release, ...],
    lifecycle: Lifecycle,
) -> PluginRecord:
    manifest, entry = plugin.manifest, plugin.entry
    author = (manifest.author if manifest else None) or entry.author
    return PluginRecord(
        name=plugin.name,
        version=release.version,
        description=(manifest.description if manifest else None) or entry.description,
        author=Author(name=author.name, email=author.email, url=author.url) if author else None,
        category=entry.category,
        tags=tuple(t for t in entry.tags or () if not t.startswith("surface:")),
        keywords=tuple((manifest.keywords if manifest else None) or entry.keywords or ()),
        homepage=(manifest.homepage if manifest else None) or entry.homepage,
        license=(manifest.license if manifest else None) or entry.license,
        surfaces=surfaces,
        digest=release.digest,
        bundle=release.bundle,
        skills=tuple(sorted(s.name for s in plugin.skills)),
        components=_components(plugin),
        history=history,
        deprecated=_deprecation(lifecycle, plugin.name),
        origin=_origin(plugin),
    )


def _origin(plugin: Plugin) -> Origin | None:
    found = plugin.origin
    if found is None:
        return None
    return Origin(
        source=found.kind, location=found.location, path=found.path, ref=found.ref, commit=found.commit
    )


def _components(plugin: Plugin) -> tuple[str, ...]:
    found = set()
    for f in plugin.files:
        top = f.path.split("/", 1)[0]
        if top in {"commands", "agents", "skills", "hooks", "output-styles"}:
            found.add(top)
        elif f.path == ".mcp.json":
            found.add("mcp")
        elif f.path == ".lsp.json":
            found.add("lsp")
    return tuple(sorted(found))


def removed_records(previous: Previous | None, plan: Plan) -> tuple[Removed, ...]:
    if previous is None:
        return ()
    back = {(i.kind, i.name) for i in plan.items if i.change is not Change.REMOVED}
    kept = [r for r in previous.removed if (r.kind, r.name) not in back]
    for item in plan.items:
        if item.change is Change.REMOVED and item.published is not None:
            record = previous.plugin(item.name) if item.kind == "plugin" else previous.skill(item.name)
            kept.append(
                Removed(
                    kind=item.kind,
                    name=item.name,
                    last_version=item.published,
                    removed_in=plan.catalog_version,
                    history=record.history if record else (),
                    readers=_readers_when_removed(previous, record),
                )
            )
    return tuple(sorted(kept, key=lambda r: (r.kind, r.name)))


def _readers_when_removed(previous: Previous, record: SkillRecord | PluginRecord | None) -> tuple[str, ...]:
    """Who could read a record as it left: its plugin's rule may leave the policy with it, so the
    update check of a removed skill must not fall back to the defaults (they may open it to all)."""
    if isinstance(record, SkillRecord):
        return previous.access.readers(record.plugin, record.name)
    if isinstance(record, PluginRecord):
        return previous.access.readers(record.name)
    return previous.access.admins
