"""`.claude-plugin/plugin.json`: a Claude Code plugin's manifest."""

from __future__ import annotations

import functools
from typing import Any, ClassVar

import semver
from pydantic import Field, field_validator

from skillport_build.models.base import Model, fail, type_name
from skillport_build.models.names import PLUGIN_NAME, unsafe_characters

# Component keys whose value is a path (or list of paths) inside the plugin.
PATH_COMPONENTS = ("commands", "agents", "skills", "outputStyles")
# Component keys whose value is a path to a JSON config, a list of them, or the config inline.
CONFIG_COMPONENTS = ("hooks", "mcpServers", "lspServers")
COMPONENT_KEYS = PATH_COMPONENTS + CONFIG_COMPONENTS

# Keys Claude Code 2.1.332 reads in plugin.json, plus listing keys it accepts silently.
KNOWN_KEYS = frozenset(
    {
        "$schema",
        "name",
        "displayName",
        "version",
        "description",
        "author",
        "homepage",
        "repository",
        "license",
        "keywords",
        "defaultEnabled",
        "dependencies",
        "metadata",
        "engines",
        "network",
        "themes",
        "workflows",
        "channels",
        "monitors",
        "settings",
        "types",
        "userConfig",
        "binaries",
        "experimental",
        *COMPONENT_KEYS,
        # listing keys
        "icon",
        "screenshots",
        "classification",
        "privacyPolicyUrl",
        "supportUrl",
        "termsOfServiceUrl",
        "documentationUrl",
    }
)
# Keys that belong in the marketplace entry, not in plugin.json.
ENTRY_ONLY_KEYS = frozenset(
    {"category", "source", "tags", "strict", "id", "relevance", "headers", "headersHelper"}
)


def listed_paths(value: Any) -> list[str]:
    """The paths a component value lists: one path, a list of them, or none (inline or absent)."""
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


class Components(Model):
    """Where a plugin's components are, beyond their default folders (plugin.json or its entry)."""

    commands: str | list[str] | None = None
    agents: str | list[str] | None = None
    skills: str | list[str] | None = None
    outputStyles: str | list[str] | None = None
    hooks: str | list[str] | dict[str, Any] | None = None
    mcpServers: str | list[str] | dict[str, Any] | None = None
    lspServers: str | list[str] | dict[str, Any] | None = None

    @field_validator(*PATH_COMPONENTS, mode="before")
    @classmethod
    def _path_component(cls, value: Any) -> Any:
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return value
        fail("plugin-component-path", 'must be a path such as "./extra" or a list of paths')

    @field_validator(*CONFIG_COMPONENTS, mode="before")
    @classmethod
    def _config_component(cls, value: Any) -> Any:
        if value is None or isinstance(value, str | dict):
            return value
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return value
        fail(
            "plugin-component-path",
            "must be a path to a .json file, a list of such paths, or the configuration object",
        )

    def component_paths(self, key: str) -> list[str]:
        """The paths listed under a component key (none when it is absent or inline)."""
        return listed_paths(getattr(self, key))

    @property
    def declared_components(self) -> list[str]:
        """The component keys this document sets."""
        return [key for key in COMPONENT_KEYS if getattr(self, key) is not None]


class Author(Model):
    """Who made the plugin or marketplace."""

    DEFAULT_RULE: ClassVar[str] = "plugin-field"

    name: str = Field(min_length=1, description="a person or team name")
    email: str | None = Field(default=None, description="a contact address")
    url: str | None = Field(default=None, description="a web page")


def check_name(value: Any, rule: str, what: str) -> str:
    """Check a plugin or marketplace name the way Claude Code does."""
    if not isinstance(value, str) or not value.strip():
        fail(rule, f"`name` is required and must be a non-empty string naming the {what}")
    if bad := unsafe_characters(value):
        fail(rule, f"`name` contains invisible or control characters ({', '.join(bad)})")
    if " " in value:
        fail(rule, f"`name` {value!r} must not contain spaces; use hyphens (e.g. `my-{what}`)")
    if not PLUGIN_NAME.match(value):
        fail(
            rule,
            f"`name` {value!r} may only use letters, digits, `-`, `.` and `_`, "
            "starting with a letter or digit",
        )
    return value


def check_semver(value: Any, rule: str, where: str) -> str | None:
    """Check that a version is a semver string such as 1.2.3 or 2.0.0-rc.1."""
    if value is None:
        return None
    if not isinstance(value, str):
        fail(rule, f'`{where}` must be a string such as "1.0.0", not {type_name(value)}')
    if not _is_semver(value):
        fail(rule, f"`{where}` {value!r} is not a semantic version; use MAJOR.MINOR.PATCH (1.0.0)")
    return value


@functools.lru_cache(maxsize=4096)
def _is_semver(value: str) -> bool:
    """semver's own check, remembered: it builds a Version each time, and every plugin's version
    is checked twice (plugin.json and its entry) on every load."""
    return bool(semver.Version.is_valid(value))


class PluginManifest(Components):
    """The plugin manifest; unknown keys are kept so that rules can warn about them."""

    FIELD_RULES: ClassVar[dict[str, str]] = {
        "name": "plugin-name",
        "version": "plugin-version",
        **dict.fromkeys(COMPONENT_KEYS, "plugin-component-path"),
    }
    DEFAULT_RULE: ClassVar[str] = "plugin-field"

    name: str = Field(description="the plugin's identifier, kebab-case")
    version: str | None = Field(default=None, description="semantic version of record")
    description: str | None = Field(default=None, description="one sentence for listings")
    author: Author | None = Field(default=None, description="who maintains the plugin")
    homepage: str | None = Field(default=None, description="documentation URL")
    repository: str | None = Field(default=None, description="source repository URL")
    license: str | None = Field(default=None, description="SPDX licence identifier")
    keywords: list[str] | None = Field(default=None, description="search keywords")

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, value: Any) -> str:
        return check_name(value, "plugin-name", "plugin")

    @field_validator("version", mode="before")
    @classmethod
    def _version(cls, value: Any) -> str | None:
        return check_semver(value, "plugin-version", "version")

    @field_validator("homepage", mode="before")
    @classmethod
    def _homepage(cls, value: Any) -> Any:
        if value is not None and (
            not isinstance(value, str) or not value.startswith(("https://", "http://"))
        ):
            fail("plugin-field", "`homepage` must be an http(s) URL")
        return value
