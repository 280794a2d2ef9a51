"""Typed models of the files a marketplace repository holds."""

from skillport_build.models.access import AccessPolicy, AccessRule, Identity
from skillport_build.models.config import ValidateConfig
from skillport_build.models.marketplace import MarketplaceManifest, PluginEntry
from skillport_build.models.plugin import PluginManifest
from skillport_build.models.skill import SkillFrontMatter

__all__ = [
    "AccessPolicy",
    "AccessRule",
    "Identity",
    "MarketplaceManifest",
    "PluginEntry",
    "PluginManifest",
    "SkillFrontMatter",
    "ValidateConfig",
]
