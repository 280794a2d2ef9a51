"""Rules for one skill folder and its SKILL.md (FORMATS.md rules 3-17)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import PurePosixPath

import yaml

from skillport_build.models.config import ValidateConfig
from skillport_build.models.names import did_you_mean
from skillport_build.models.skill import PORTABLE_KEYS
from skillport_build.models.text import MB, human_size
from skillport_build.repo.diagnostics import Diagnostic, Severity
from skillport_build.repo.marketplace import Plugin, Skill
from skillport_build.repo.rules import rule
from skillport_build.repo.scaffold import PLACEHOLDER_DESCRIPTION

BODY_MAX_LINES = 500
BODY_MAX_TOKENS = 5_000
LISTING_MAX = 1_536
UPLOAD_SOFT_LIMIT = 30 * MB
_RESERVED_WORDS = ("anthropic", "claude")
# [text](target) and ![alt](target), and reference definitions `[id]: target`.
_LINK = re.compile(
    r"!?\[[^\]\n]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)|^\s*\[[^\]\n]+\]:\s+(\S+)", re.M
)
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_FENCE = re.compile(r"^(```|~~~)")
_LICENSE_FILE = re.compile(r"\b((?:LICEN[CS]E|COPYING|NOTICE)[\w.-]*|[\w./-]+\.(?:txt|md))\b")
_YAML11_WORDS = frozenset({"yes", "no", "on", "off", "y", "n"})


def check_skill(
    skill: Skill, plugin: Plugin, upload_bound: bool, config: ValidateConfig
) -> Iterator[Diagnostic]:
    """Run every per-skill rule that needs more than the front-matter model."""
    yield from _front_matter_keys(skill, upload_bound)
    yield from _name(skill, upload_bound)
    yield from _allowed_tools(skill)
    yield from _license(skill)
    yield from _lengths(skill)
    yield from _placeholder(skill)
    yield from _links(skill, plugin, upload_bound)
    yield from _ambiguous_yaml(skill)
    yield from _bundle(skill, config)


def _raw(skill: Skill) -> dict[str, object]:
    doc = skill.front_matter_doc
    return doc.data if doc is not None and isinstance(doc.data, dict) else {}


def _line(skill: Skill, key: str) -> int | None:
    return skill.front_matter_doc.line((key,)) if skill.front_matter_doc else None


def _front_matter_keys(skill: Skill, upload_bound: bool) -> Iterator[Diagnostic]:
    for key in _raw(skill):
        if key in PORTABLE_KEYS:
            continue
        if key == "version":
            fix = 'put it under `metadata` (metadata: {version: "1.0.0"}) or in plugin.json'
        else:
            fix = "remove it or move it under `metadata`" + did_you_mean(key, PORTABLE_KEYS)
        if upload_bound:
            message = (
                f"`{key}` is not a portable key and Claude.ai and Desktop refuse the upload; {fix} "
                "(or tag the plugin surface:CC if it is for Claude Code only)"
            )
        else:
            message = (
                f"`{key}` is a Claude Code extension, not a portable key; it stops the skill "
                "from being shared with Claude.ai or Desktop"
            )
        severity = Severity.ERROR if upload_bound else Severity.WARNING
        yield rule("frontmatter-unknown-key")(skill.skill_md, _line(skill, key), message, severity)


def _name(skill: Skill, upload_bound: bool) -> Iterator[Diagnostic]:
    name = _raw(skill).get("name")
    if not isinstance(name, str):
        return
    line = _line(skill, "name")
    if name != skill.name:
        yield rule("skill-name-mismatch")(
            skill.skill_md,
            line,
            f"`name` is {name!r} but the folder is {skill.name!r}; rename one so they match",
        )
    if word := next((w for w in _RESERVED_WORDS if w in name.lower()), None):
        yield rule("skill-name-reserved")(
            skill.skill_md,
            line,
            f"`name` contains {word!r}, which Claude.ai refuses on upload; choose another name",
            Severity.ERROR if upload_bound else Severity.WARNING,
        )


def _allowed_tools(skill: Skill) -> Iterator[Diagnostic]:
    value = _raw(skill).get("allowed-tools")
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        yield rule("skill-allowed-tools")(
            skill.skill_md,
            _line(skill, "allowed-tools"),
            "`allowed-tools` is a list; Claude Code accepts it but the Agent Skills reference "
            f'validator does not: write it as one string ("{" ".join(value)}")',
            Severity.WARNING,
        )


def _license(skill: Skill) -> Iterator[Diagnostic]:
    value = _raw(skill).get("license")
    if not isinstance(value, str):
        return
    for match in _LICENSE_FILE.finditer(value):
        name = match.group(1)
        if skill.file(name) is None and not _is_spdx_like(name, value):
            yield rule("skill-license")(
                skill.skill_md,
                _line(skill, "license"),
                f"`license` names {name!r}, which is not in the skill folder; add the file",
            )


def _is_spdx_like(name: str, value: str) -> bool:
    return "." not in name and "/" not in name and value.strip() != name


def _lengths(skill: Skill) -> Iterator[Diagnostic]:
    lines = skill.body.count("\n")
    tokens = len(skill.body) // 4
    if lines > BODY_MAX_LINES or tokens > BODY_MAX_TOKENS:
        yield rule("skill-body-length")(
            skill.skill_md,
            skill.body_line,
            f"the body has {lines} lines (~{tokens:,} tokens); keep it under {BODY_MAX_LINES} lines "
            "and move detail into references/ files it links to",
        )
    raw = _raw(skill)
    listing = sum(len(v) for k in ("description", "when_to_use") if isinstance(v := raw.get(k), str))
    if listing > LISTING_MAX:
        yield rule("skill-listing-length")(
            skill.skill_md,
            _line(skill, "description"),
            f"description and when_to_use have {listing} characters; Claude Code cuts the listing "
            f"at {LISTING_MAX}: shorten them",
        )


def _placeholder(skill: Skill) -> Iterator[Diagnostic]:
    description = _raw(skill).get("description")
    if isinstance(description, str) and description.strip() == PLACEHOLDER_DESCRIPTION:
        yield rule("skill-description-placeholder")(
            skill.skill_md,
            _line(skill, "description"),
            "`description` is still the placeholder `skillport new skill` wrote; say what the skill "
            "does and when Claude should use it (Claude picks skills by this sentence)",
        )


def _links(skill: Skill, plugin: Plugin, upload_bound: bool) -> Iterator[Diagnostic]:
    in_fence = False
    for offset, text in enumerate(skill.body.splitlines()):
        if _FENCE.match(text.lstrip()):
            in_fence = not in_fence
        if in_fence:
            continue
        for match in _LINK.finditer(text):
            target = match.group(1) or match.group(2)
            problem = _link_problem(skill, target)
            if problem is _LEAVES_SKILL:
                problem = _plugin_link_problem(skill, plugin, target, upload_bound)
            if problem:
                yield rule("skill-link")(skill.skill_md, skill.body_line + offset, *problem)


_LEAVES_SKILL = ("", Severity.ERROR)  # a link above the skill folder: where it lands decides


def _plugin_link_problem(
    skill: Skill, plugin: Plugin, target: str, upload_bound: bool
) -> tuple[str, Severity] | None:
    """A link that leaves the skill folder: Claude Code follows it inside the plugin; the upload
    zip holds the skill folder alone; outside the plugin it leads nowhere once installed."""
    base = (
        PurePosixPath(skill.path).relative_to(plugin.path)
        if plugin.path != "."
        else PurePosixPath(skill.path)
    )
    parts = list(base.parts)
    for part in PurePosixPath(target.split("#", 1)[0].split("?", 1)[0]).parts:
        if part == "..":
            if not parts:
                return (f"link {target!r} points outside the plugin folder", Severity.ERROR)
            parts.pop()
        elif part != ".":
            parts.append(part)
    resolved = "/".join(parts)
    if not any(f.path == resolved or f.path.startswith(resolved + "/") for f in plugin.files):
        return (f"link {target!r} points to a file that is not in the plugin", Severity.WARNING)
    if not upload_bound:
        return None
    return (
        f"link {target!r} points outside the skill folder, to a file of the plugin: Claude Code "
        "follows it, but the upload zip for Claude.ai and Desktop holds the skill folder only; "
        "move the file into the skill, or tag the plugin surface:CC",
        Severity.WARNING,
    )


def _link_problem(skill: Skill, target: str) -> tuple[str, Severity] | None:
    if _SCHEME.match(target) or target.startswith("#"):
        return None
    path = target.split("#", 1)[0].split("?", 1)[0]
    if not path:
        return None
    if "\\" in path:
        return (f"link {target!r} uses backslashes; use forward slashes", Severity.WARNING)
    if path.startswith("/"):
        return (f"link {target!r} is absolute; link relative to SKILL.md", Severity.ERROR)
    parts: list[str] = []
    for part in PurePosixPath(path).parts:
        if part == "..":
            if not parts:
                return _LEAVES_SKILL
            parts.pop()
        elif part != ".":
            parts.append(part)
    resolved = "/".join(parts)
    if skill.file(resolved) is None and not any(f.path.startswith(resolved + "/") for f in skill.files):
        return (f"link {target!r} points to a file that is not in the skill", Severity.WARNING)
    return None


def _ambiguous_yaml(skill: Skill) -> Iterator[Diagnostic]:
    """Warn on plain values that YAML 1.1, YAML 1.2 and lenient readers read differently."""
    doc = skill.front_matter_doc
    if doc is None or doc.root is None:
        return
    lines = skill.front_matter_text.splitlines()
    for node in _plain_scalars(doc.root):
        rest = lines[node.end_mark.line][node.end_mark.column :] if node.end_mark.line < len(lines) else ""
        if node.value.lower() in _YAML11_WORDS:
            problem = "is a boolean to some YAML readers and a string to others"
        elif rest.strip().startswith("#"):
            problem = "is followed by ` #`, which starts a comment: the rest of the line is dropped"
        else:
            continue
        yield rule("yaml-ambiguous")(
            skill.skill_md,
            2 + node.start_mark.line,
            f"unquoted value {node.value!r} {problem}; put the whole value in quotes",
        )


def _plain_scalars(node: yaml.Node | None) -> Iterator[yaml.ScalarNode]:
    if isinstance(node, yaml.MappingNode):
        for _key, value in node.value:
            yield from _plain_scalars(value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _plain_scalars(item)
    elif isinstance(node, yaml.ScalarNode) and not node.style:  # plain: None, or '' from libyaml
        yield node


def _bundle(skill: Skill, config: ValidateConfig) -> Iterator[Diagnostic]:
    if any(f.path.startswith("evals/") for f in skill.files):
        yield rule("bundle-junk")(
            f"{skill.path}/evals",
            None,
            "evals/ is left out of the upload bundle (Claude.ai refuses it); keep evals elsewhere "
            "if they should ship",
        )
    for f in skill.files:
        if f.path.startswith(".claude-plugin/") or f.path == ".claude-plugin":
            yield rule("plugin-layout")(
                f"{skill.path}/{f.path}",
                None,
                "a skill folder must not contain .claude-plugin/; plugin manifests belong at the plugin root",
            )
    total = sum(f.size for f in skill.files)
    if total > config.max_bundle_bytes:
        yield rule("bundle-size")(
            skill.path,
            None,
            f"the skill's files add up to {human_size(total)}, over the "
            f"{human_size(config.max_bundle_bytes)} upload limit; move large data out of the skill",
        )
    elif total > UPLOAD_SOFT_LIMIT:
        yield rule("bundle-size")(
            skill.path,
            None,
            f"the skill's files add up to {human_size(total)}, over the Skills API's 30 MB limit "
            "(Claude.ai allows 50 MB); consider trimming it",
            Severity.WARNING,
        )
