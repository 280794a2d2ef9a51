"""The front matter of a SKILL.md (Agent Skills specification)."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from pydantic import Field, field_validator

from skillport_build.models.base import Model, fail, type_name
from skillport_build.models.names import KEBAB, SKILL_NAME_MAX

PORTABLE_KEYS = frozenset({"name", "description", "license", "compatibility", "metadata", "allowed-tools"})
DESCRIPTION_MAX = 1024
COMPATIBILITY_MAX = 500
_XML_TAG = re.compile(r"<\s*/?\s*[A-Za-z][^<>]*>")


class SkillFrontMatter(Model):
    """The YAML mapping between the `---` lines at the top of SKILL.md."""

    FIELD_RULES: ClassVar[dict[str, str]] = {
        "name": "skill-name-format",
        "description": "skill-description",
        "license": "skill-license",
        "compatibility": "skill-compatibility",
        "metadata": "skill-metadata",
        "allowed-tools": "skill-allowed-tools",
    }
    DEFAULT_RULE: ClassVar[str] = "frontmatter-not-mapping"

    name: str = Field(description="lowercase letters, digits and hyphens; equals the folder name")
    description: str = Field(description="what the skill does and when to use it")
    license: str | None = Field(default=None, description="a licence name or a bundled file")
    compatibility: str | None = Field(default=None, description="environment requirements")
    metadata: dict[str, str] | None = Field(default=None, description="string keys and values")
    allowed_tools: str | list[str] | None = Field(
        default=None, alias="allowed-tools", description="space-separated tool names"
    )

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, value: Any) -> str:
        if not isinstance(value, str):
            fail("skill-name-format", f"`name` must be a string, not {type_name(value)}")
        if not 1 <= len(value) <= SKILL_NAME_MAX:
            fail(
                "skill-name-format",
                f"`name` must be 1-{SKILL_NAME_MAX} characters long (it has {len(value)})",
            )
        if _XML_TAG.search(value):
            fail("skill-xml-tags", "`name` must not contain XML tags")
        if not KEBAB.match(value):
            fail(
                "skill-name-format",
                f"`name` {value!r} must be lowercase letters, digits and single hyphens, "
                "not starting or ending with a hyphen (e.g. `pdf-tools`)",
            )
        return value

    @field_validator("description", mode="before")
    @classmethod
    def _description(cls, value: Any) -> str:
        if not isinstance(value, str):
            fail("skill-description", f"`description` must be a string, not {type_name(value)}")
        if not value.strip():
            fail(
                "skill-description",
                "`description` is empty: say what the skill does and when Claude should use it",
            )
        if len(value) > DESCRIPTION_MAX:
            fail(
                "skill-description",
                f"`description` has {len(value)} characters; the limit is {DESCRIPTION_MAX}: "
                "shorten it and move detail into the body",
            )
        if _XML_TAG.search(value):
            fail("skill-xml-tags", "`description` must not contain XML tags such as <example>")
        if "<" in value or ">" in value:
            fail(
                "skill-xml-tags",
                "`description` must not contain `<` or `>` (Anthropic's packager refuses them); "
                "write 'less than' / 'greater than' or rephrase",
            )
        return value

    @field_validator("compatibility", mode="before")
    @classmethod
    def _compatibility(cls, value: Any) -> Any:
        if value is None:
            return value
        if not isinstance(value, str) or not 1 <= len(value) <= COMPATIBILITY_MAX:
            fail(
                "skill-compatibility",
                f"`compatibility` must be a string of 1-{COMPATIBILITY_MAX} characters",
            )
        return value

    @field_validator("metadata", mode="before")
    @classmethod
    def _metadata(cls, value: Any) -> Any:
        if value is None:
            return value
        if not isinstance(value, dict):
            fail("skill-metadata", f"`metadata` must be a mapping, not {type_name(value)}")
        for key, item in value.items():
            if not isinstance(key, str) or not isinstance(item, str):
                fail(
                    "skill-metadata",
                    f'`metadata.{key}` must map a string to a string; quote the value (e.g. {key}: "{item}")',
                )
        return value

    @field_validator("allowed_tools", mode="before")
    @classmethod
    def _allowed_tools(cls, value: Any) -> Any:
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return value
        fail(
            "skill-allowed-tools",
            '`allowed-tools` must be a space-separated string of tool names (e.g. "Bash(git:*) Read")',
        )


def split_front_matter(text: str) -> tuple[str, str, int] | str:
    """Split SKILL.md into (front matter, body, body's first line), or say what is wrong."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip() != "---":
        return "SKILL.md must start with a `---` line, then YAML front matter, then `---`"
    for number, line in enumerate(lines[1:], start=1):
        if line.rstrip() == "---":
            return "".join(lines[1:number]), "".join(lines[number + 1 :]), number + 2
    return "the front matter is never closed: add a `---` line after it"
