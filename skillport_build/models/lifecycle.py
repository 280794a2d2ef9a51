"""`.skillport/lifecycle.yaml`: versions withdrawn (yanked) and skills or plugins on their way out.

`skillport yank` and `skillport deprecate` write it; the next build records it in the catalog.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import ConfigDict, Field, field_validator

from skillport_build.models.base import Model
from skillport_build.models.plugin import check_semver


class Yank(Model):
    """One withdrawn version: still listed in history, never offered for install."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    DEFAULT_RULE: ClassVar[str] = "lifecycle-schema"

    name: str = Field(min_length=1, description="a skill or plugin name")
    version: str = Field(description="the published version withdrawn")
    reason: str = Field(min_length=1, description="shown to people who have it installed")

    @field_validator("version", mode="before")
    @classmethod
    def _version(cls, value: Any) -> str | None:
        return check_semver(value, "lifecycle-schema", "version")


class Deprecation(Model):
    """A skill or plugin that still works but should no longer be installed."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    DEFAULT_RULE: ClassVar[str] = "lifecycle-schema"

    name: str = Field(min_length=1, description="a skill or plugin name")
    reason: str = Field(min_length=1, description="why, and what to do instead")
    replacement: str | None = Field(default=None, description="the skill or plugin to use instead")


class Lifecycle(Model):
    """Every yank and deprecation of the marketplace."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    DEFAULT_RULE: ClassVar[str] = "lifecycle-schema"

    yanked: tuple[Yank, ...] = ()
    deprecated: tuple[Deprecation, ...] = ()

    def yank_reason(self, name: str, version: str) -> str | None:
        """Why `name@version` was yanked, if it was."""
        return next((y.reason for y in self.yanked if (y.name, y.version) == (name, version)), None)

    def deprecation(self, name: str) -> Deprecation | None:
        """The deprecation of a skill or plugin, if any."""
        return next((d for d in self.deprecated if d.name == name), None)
