"""One skill folder of a plugin: its files and its SKILL.md, front matter and body."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from skillport_build.models import SkillFrontMatter
from skillport_build.models.skill import split_front_matter
from skillport_build.repo.diagnostics import Diagnostic
from skillport_build.repo.documents import DocumentError, YamlDocument, decode_text
from skillport_build.repo.marketplace import FileEntry, Skill
from skillport_build.repo.rules import rule
from skillport_build.repo.schema import check
from skillport_build.repo.tree import TreeReader


def load_skill(
    reader: TreeReader,
    plugin: str,
    plugin_dir: Path,
    skill_dir: Path,
    plugin_files: list[FileEntry],
    problems: list[Diagnostic],
) -> Skill:
    """The skill in `skill_dir`, from the plugin's files already read."""
    prefix = Path(os.path.relpath(skill_dir, plugin_dir)).as_posix()
    prefix = "" if prefix == "." else prefix + "/"
    files = tuple(
        FileEntry(f.path[len(prefix) :], f.size, f.sha256, f.executable, f.data)
        for f in plugin_files
        if f.path.startswith(prefix) and not (prefix == "" and f.path.startswith(".claude-plugin/"))
    )
    rel = reader.rel(skill_dir)
    skill_md = next((f for f in files if f.path == "SKILL.md"), None)
    empty = Skill(skill_dir.name, plugin, rel, files, None, None, "", "", 1)
    if skill_md is None:
        problems.append(
            rule("skill-md-missing")(
                rel,
                None,
                f"skill folder has no SKILL.md; add one (`skillport new skill {skill_dir.name} "
                f"--plugin {plugin}`) or move the folder out of skills/",
            )
        )
        return empty
    if skill_md.data is None:
        return empty  # over the size limit: the file-size rule says so
    return _parse_skill(empty, skill_md.data, problems)


def _parse_skill(skill: Skill, raw: bytes, problems: list[Diagnostic]) -> Skill:
    path = skill.skill_md
    try:
        text = decode_text(raw)
    except DocumentError as exc:
        problems.append(rule("skill-md-encoding")(path, exc.line, f"SKILL.md {exc.message}"))
        return skill
    split = split_front_matter(text)
    if isinstance(split, str):
        problems.append(rule("frontmatter-missing")(path, 1, split))
        return skill
    fm_text, body, body_line = split
    try:
        doc = YamlDocument.parse(path, fm_text, first_line=2)
    except DocumentError as exc:
        hint = ""
        if "mapping values are not allowed" in exc.message:
            hint = "; put values that contain `: ` in quotes"
        problems.append(rule("frontmatter-syntax")(path, exc.line, f"front matter {exc.message}{hint}"))
        return _replace(skill, fm_text, body, body_line, None, None)
    if not isinstance(doc.data, dict) or not all(isinstance(k, str) for k in doc.data):
        problems.append(
            rule("frontmatter-not-mapping")(
                path, 2, "front matter must be a mapping of names to values (`name: my-skill`)"
            )
        )
        return _replace(skill, fm_text, body, body_line, None, doc)
    front_matter, found = check(SkillFrontMatter, doc.data, doc)
    problems.extend(found)
    return _replace(skill, fm_text, body, body_line, front_matter, doc)


def _replace(
    skill: Skill,
    fm_text: str,
    body: str,
    body_line: int,
    front_matter: SkillFrontMatter | None,
    doc: YamlDocument | None,
) -> Skill:
    return dataclasses.replace(
        skill,
        front_matter_text=fm_text,
        body=body,
        body_line=body_line,
        front_matter=front_matter,
        front_matter_doc=doc,
    )
