"""`.skillport/validate.yaml`: limits and reviewed exceptions for `skillport validate`."""

from __future__ import annotations

from typing import ClassVar

from pydantic import ConfigDict, Field

from skillport_build.models.base import Model
from skillport_build.models.text import MB


class SecretWaiver(Model):
    """A reviewed finding of the secret scanner that may stay (e.g. a documented test key)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    DEFAULT_RULE: ClassVar[str] = "config-schema"

    path: str = Field(min_length=1, description="repo-relative path of the file")
    fingerprint: str = Field(min_length=8, description="the fingerprint the finding printed")
    reason: str = Field(min_length=1, description="why this is not a secret")


class ValidateConfig(Model):
    """Limits for file and bundle sizes, and the reviewed exceptions."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    DEFAULT_RULE: ClassVar[str] = "config-schema"

    max_file_mb: float = Field(default=10, gt=0, description="largest file in a skill or plugin")
    max_bundle_mb: float = Field(default=50, gt=0, description="largest bundle, uncompressed")
    large_files: tuple[str, ...] = Field(default=(), description="repo paths allowed past the file limit")
    secrets_allow: tuple[SecretWaiver, ...] = Field(default=(), description="waived secret findings")

    @property
    def max_file_bytes(self) -> int:
        """The file size limit in bytes."""
        return int(self.max_file_mb * MB)

    @property
    def max_bundle_bytes(self) -> int:
        """The bundle size limit in bytes."""
        return int(self.max_bundle_mb * MB)
