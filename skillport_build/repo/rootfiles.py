"""The marketplace's own files: .claude-plugin/marketplace.json and, in .skillport/, the
validation settings, the lifecycle and the access policy (or the reference Skillport's access.json)."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from skillport_build.models import AccessPolicy, MarketplaceManifest, ValidateConfig
from skillport_build.models.access import from_legacy_json
from skillport_build.models.lifecycle import Lifecycle
from skillport_build.repo.diagnostics import Diagnostic
from skillport_build.repo.documents import JsonDocument, YamlDocument
from skillport_build.repo.parsing import parse_json, parse_yaml, read_small
from skillport_build.repo.paths import (
    ACCESS_JSON,
    ACCESS_YAML,
    LIFECYCLE_YAML,
    MARKETPLACE_JSON,
    VALIDATE_YAML,
)
from skillport_build.repo.rules import rule
from skillport_build.repo.schema import check

S = TypeVar("S", ValidateConfig, Lifecycle)


def load_manifest(
    root: Path, problems: list[Diagnostic]
) -> tuple[JsonDocument | None, MarketplaceManifest | None]:
    """marketplace.json as a document and as a manifest (None where it cannot be one)."""
    path = root / MARKETPLACE_JSON
    if not path.exists():
        problems.append(
            rule("marketplace-missing")(
                MARKETPLACE_JSON,
                None,
                "no marketplace manifest; run `skillport init` or create .claude-plugin/marketplace.json",
            )
        )
        return None, None
    raw = read_small(path, MARKETPLACE_JSON, problems, "marketplace-json-syntax")
    doc = parse_json(MARKETPLACE_JSON, raw, problems, "marketplace-json-syntax") if raw else None
    if doc is None:
        return None, None
    if not isinstance(doc.data, dict):
        problems.append(rule("marketplace-json-syntax")(MARKETPLACE_JSON, 1, "must hold a JSON object"))
        return doc, None
    manifest, found = check(MarketplaceManifest, doc.data, doc)
    problems.extend(found)
    return doc, manifest


def load_config(root: Path, problems: list[Diagnostic]) -> ValidateConfig:
    """.skillport/validate.yaml, or the defaults."""
    return _load_settings(root, VALIDATE_YAML, ValidateConfig, problems, "config-syntax")


def load_lifecycle(root: Path, problems: list[Diagnostic]) -> Lifecycle:
    """.skillport/lifecycle.yaml, or no yanked or deprecated versions."""
    return _load_settings(root, LIFECYCLE_YAML, Lifecycle, problems, "lifecycle-syntax")


def _load_settings(root: Path, rel: str, model: type[S], problems: list[Diagnostic], syntax_rule: str) -> S:
    """An optional YAML file of `.skillport/`: its defaults when absent or unreadable."""
    path = root / rel
    if not path.exists():
        return model()
    raw = read_small(path, rel, problems, syntax_rule)
    doc = parse_yaml(rel, raw, problems, syntax_rule) if raw else None
    if doc is None:
        return model()
    value, found = check(model, doc.data or {}, doc)
    problems.extend(found)
    return value or model()


def load_access(
    root: Path, problems: list[Diagnostic]
) -> tuple[AccessPolicy | None, JsonDocument | YamlDocument | None]:
    """The access policy and its document: access.yaml, else the reference's access.json."""
    if (root / ACCESS_YAML).exists():
        raw = read_small(root / ACCESS_YAML, ACCESS_YAML, problems, "access-syntax")
        doc: JsonDocument | YamlDocument | None = (
            parse_yaml(ACCESS_YAML, raw, problems, "access-syntax") if raw else None
        )
        data = doc.data if doc else None
        rel = ACCESS_YAML
    elif (root / ACCESS_JSON).exists():
        raw = read_small(root / ACCESS_JSON, ACCESS_JSON, problems, "access-syntax")
        doc = parse_json(ACCESS_JSON, raw, problems, "access-syntax") if raw else None
        data = from_legacy_json(doc.data) if doc and isinstance(doc.data, dict) else None
        rel = ACCESS_JSON
    else:
        problems.append(
            rule("access-missing")(
                ACCESS_YAML,
                None,
                "no access policy yet: Claude Code does not need one, but `skillport build` and the "
                "proxy refuse to go on without it (they fail closed); `skillport new access` writes "
                "one that lets every signed-in user read everything, to edit from there",
            )
        )
        return None, None
    if doc is None:
        return None, None
    if not isinstance(data, dict):
        problems.append(rule("access-schema")(rel, 1, "the access policy must be a mapping"))
        return None, doc
    policy, found = check(AccessPolicy, data, doc)
    problems.extend(found)
    return policy, doc
