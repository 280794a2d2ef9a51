"""Rules about marketplace.json as a whole and across the repo (rules 27-30, 35, 38-40, 42)."""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterable, Iterator
from functools import partial

from skillport_build.models.marketplace import KNOWN_KEYS, METADATA_KEYS, SOURCE_TYPES, UPLOAD_SURFACES
from skillport_build.models.names import (
    KEBAB,
    did_you_mean,
    reserved_marketplace_reason,
    unsafe_characters,
)
from skillport_build.models.text import human_size
from skillport_build.repo.diagnostics import Diagnostic, Severity
from skillport_build.repo.marketplace import FileEntry, Marketplace
from skillport_build.repo.npmsource import is_exact
from skillport_build.repo.paths import LIFECYCLE_YAML, MARKETPLACE_JSON, PLUGIN_JSON
from skillport_build.repo.rules import rule
from skillport_build.validate.plugins import reserved_name


def check_marketplace(market: Marketplace) -> Iterator[Diagnostic]:
    """Check marketplace.json beyond its model: names, entries, renames."""
    manifest, doc = market.manifest, market.manifest_doc
    if manifest is None or doc is None:
        return
    line = doc.line
    if reason := reserved_marketplace_reason(manifest.name):
        yield rule("marketplace-name-reserved")(
            MARKETPLACE_JSON, line(("name",)), f"`name` {manifest.name!r} {reason}; choose another"
        )
    elif not KEBAB.match(manifest.name):
        yield rule("marketplace-name-kebab")(
            MARKETPLACE_JSON, line(("name",)), f"`name` {manifest.name!r} should be kebab-case"
        )
    if not manifest.plugins:
        yield rule("marketplace-empty")(
            MARKETPLACE_JSON, line(("plugins",)), "`plugins` is empty; add a plugin"
        )
    if not manifest.summary:
        yield rule("marketplace-description")(
            MARKETPLACE_JSON,
            line(("name",)),
            'no description; add "metadata": {"description": "..."} so people know what this is',
        )
    for key in manifest.model_extra or {}:
        yield rule("marketplace-unknown-key")(
            MARKETPLACE_JSON, line((key,)), f"unknown key `{key}`{did_you_mean(key, KNOWN_KEYS)}"
        )
    for key in (manifest.metadata.model_extra or {}) if manifest.metadata else {}:
        yield rule("marketplace-unknown-key")(
            MARKETPLACE_JSON,
            line(("metadata", key)),
            f"unknown key `metadata.{key}`{did_you_mean(key, METADATA_KEYS)}",
        )
    if len(manifest.name) > 128:
        yield rule("marketplace-name")(
            MARKETPLACE_JSON,
            line(("name",)),
            "`name` is longer than 128 characters; shorten it",
            Severity.WARNING,
        )
    for index, raw in enumerate(manifest.plugins):
        if isinstance(raw, dict) and isinstance(raw.get("name"), str):
            where = partial(line, ("plugins", index, "name"))
            yield from reserved_name(raw["name"], MARKETPLACE_JSON, where, f"plugins[{index}]: ")
    yield from _duplicates(market)
    yield from _renames(market)
    yield from _remote(market)


def _remote(market: Marketplace) -> Iterator[Diagnostic]:
    """Say, once, which entries live elsewhere: their shape is checked, their files are not."""
    assert market.manifest is not None and market.manifest_doc is not None
    remote = [
        (index, raw)
        for index, raw in enumerate(market.manifest.plugins)
        if isinstance(raw, dict)
        and isinstance(raw.get("source"), dict)
        and raw["source"].get("source") in SOURCE_TYPES
    ]
    if not remote:
        return
    names = ", ".join(
        f"{raw.get('name', f'plugins[{i}]')} ({raw['source'].get('source')})" for i, raw in remote
    )
    count = f"{len(remote)} remote entr{'y' if len(remote) == 1 else 'ies'}"
    yield rule("remote-entries")(
        MARKETPLACE_JSON,
        market.manifest_doc.line(("plugins", remote[0][0], "source")),
        f"{count}: checked for shape here: {names}; `skillport build` fetches github, url, git-subdir "
        "and npm sources at their commit or version and validates their files (archive and command "
        "sources are not built)",
    )
    for index, raw in remote:
        source = raw["source"]
        ref = source.get("ref")
        commit = isinstance(ref, str) and len(ref) == 40 and all(c in "0123456789abcdef" for c in ref)
        git = source.get("source") in ("github", "url", "git-subdir") and not (source.get("sha") or commit)
        npm = source.get("source") == "npm" and not is_exact(source.get("version"))
        if git or npm:
            yield rule("remote-unpinned")(
                MARKETPLACE_JSON,
                market.manifest_doc.line(("plugins", index, "source")),
                f"plugins[{index}] ({raw.get('name', '?')}): not pinned, so each build takes what its "
                + ("version range or tag" if npm else "ref")
                + " names then; "
                + ("give an exact `version`" if npm else "add `sha` (the 40-hex commit)")
                + " for a build anyone can reproduce (`skillport build --strict` refuses unpinned entries)",
            )


def _duplicates(market: Marketplace) -> Iterator[Diagnostic]:
    assert market.manifest is not None and market.manifest_doc is not None
    seen: dict[str, int] = {}
    for index, raw in enumerate(market.manifest.plugins):
        name = raw.get("name") if isinstance(raw, dict) else None
        if not isinstance(name, str):
            continue
        if name in seen:
            yield rule("entry-duplicate")(
                MARKETPLACE_JSON,
                market.manifest_doc.line(("plugins", index, "name")),
                f"plugins[{index}]: {name!r} is already listed at plugins[{seen[name]}]; "
                "each plugin must be listed once",
            )
        else:
            seen[name] = index


def _renames(market: Marketplace) -> Iterator[Diagnostic]:
    assert market.manifest is not None and market.manifest_doc is not None
    renames = market.manifest.renames or {}
    listed = market.manifest.entry_names()
    reported: set[frozenset[str]] = set()
    for old in renames:
        chain, current = [old], renames[old]
        while current is not None and current in renames and current not in chain:
            chain.append(current)
            current = renames[current]
        where = market.manifest_doc.line(("renames", old))
        if current is not None and current in chain:
            if frozenset(chain) in reported:
                continue
            reported.add(frozenset(chain))
            yield rule("marketplace-renames")(
                MARKETPLACE_JSON, where, f"`renames` loops: {' -> '.join([*chain, current])}"
            )
        elif current is not None and current not in listed:
            yield rule("marketplace-renames")(
                MARKETPLACE_JSON,
                where,
                f"`renames` sends {old!r} to {current!r}, which is not a listed plugin; "
                "end the chain at a listed plugin or null",
            )


def check_unlisted(market: Marketplace) -> Iterator[Diagnostic]:
    """Warn about plugin folders under plugins/ that marketplace.json does not list."""
    base = market.root / "plugins"
    if market.manifest is None or not base.is_dir():
        return
    listed = {
        raw["source"].removeprefix("./").rstrip("/")
        for raw in market.manifest.plugins
        if isinstance(raw, dict) and isinstance(raw.get("source"), str)
    }
    for child in sorted(os.scandir(base), key=lambda e: e.name):
        rel = f"plugins/{child.name}"
        if child.is_dir() and rel not in listed and os.path.isfile(f"{child.path}/{PLUGIN_JSON}"):
            yield rule("plugin-unlisted")(
                rel,
                None,
                "has a plugin.json but is not listed in marketplace.json; add an entry or delete it",
            )


def check_skill_names(market: Marketplace) -> Iterator[Diagnostic]:
    """Two plugins may share a skill name (Claude Code says plugin:skill); Claude.ai and Desktop
    keep one skill per name, so a person installing both there gets one of them."""
    first: dict[str, tuple[str, bool]] = {}
    for plugin in market.plugins:
        upload = bool(plugin.entry.surfaces & UPLOAD_SURFACES)
        for skill in plugin.skills:
            if skill.name not in first:
                first[skill.name] = (skill.ref, upload)
                continue
            other, other_upload = first[skill.name]
            if upload and other_upload:
                yield rule("skill-name-duplicate")(
                    skill.skill_md,
                    None,
                    f"skill {skill.name!r} is in another plugin too: Claude Code installs both (as "
                    f"{other} and {skill.ref}), but Claude.ai and Desktop keep one skill per name, so "
                    "a person who uploads both keeps only one; rename one, or tag one plugin surface:CC",
                    Severity.WARNING,
                )


def check_paths(owner: str, files: Iterable[FileEntry], market: Marketplace) -> Iterator[Diagnostic]:
    """Check file names, sizes and case collisions inside one bundle (a plugin folder)."""
    by_folded: dict[str, list[str]] = defaultdict(list)
    allowed_large = set(market.config.large_files)
    for f in files:
        full = f.path if owner == "." else f"{owner}/{f.path}"
        if bad := unsafe_characters(f.path):
            yield rule("file-name-chars")(
                full,
                None,
                f"path contains invisible or control characters ({', '.join(bad)}); rename it",
            )
        by_folded[f.path.casefold()].append(f.path)
        if f.size > market.config.max_file_bytes and full not in allowed_large:
            yield rule("file-size")(
                full,
                None,
                f"is {human_size(f.size)}, over the {human_size(market.config.max_file_bytes)} limit; "
                "shrink it or list it under `large_files` in .skillport/validate.yaml",
            )
    for paths in by_folded.values():
        if len(paths) > 1:
            first, *rest = sorted(paths)
            for other in rest:
                full = other if owner == "." else f"{owner}/{other}"
                yield rule("path-case-collision")(
                    full,
                    None,
                    f"differs from {first!r} only by case; the two collide on macOS and Windows "
                    "and in zip extraction: rename one",
                )


def check_access_targets(market: Marketplace) -> Iterator[Diagnostic]:
    """Every plugin and skill the policy names must exist (a typo would silently open access)."""
    policy, doc = market.access, market.access_doc
    if policy is None or doc is None or market.manifest is None:
        return
    plugins = {p.name for p in market.plugins} | market.manifest.entry_names()
    skills = {s.name for s in market.skills}
    for kind, names, known in (
        ("plugin", policy.plugins, plugins),
        ("skill", policy.skills, skills),
    ):
        for name in names:
            if name not in known:
                hint = did_you_mean(name, frozenset(known))
                yield rule("access-unknown-target")(
                    doc.path,
                    doc.line((f"{kind}s", name)),
                    f"names {kind} {name!r}, which does not exist{hint}; fix the name or remove "
                    "the rule (a typo here would leave the real one unprotected)",
                )


def check_lifecycle_targets(market: Marketplace) -> Iterator[Diagnostic]:
    """Yanks and deprecations should name a skill or plugin of this marketplace."""
    known = {s.name for s in market.skills} | {p.name for p in market.plugins}
    named = [("yanked", i, y.name) for i, y in enumerate(market.lifecycle.yanked)]
    named += [("deprecated", i, d.name) for i, d in enumerate(market.lifecycle.deprecated)]
    for kind, index, name in named:
        if name not in known:
            yield rule("lifecycle-unknown-target")(
                LIFECYCLE_YAML,
                None,
                f"`{kind}[{index}]` names {name!r}, which is not a skill or plugin here"
                f"{did_you_mean(name, frozenset(known))}; fix or remove it",
            )
