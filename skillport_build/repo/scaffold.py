"""`skillport init` and `skillport new`: create marketplaces, plugins and skills that validate."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any

from skillport_build.errors import NotFound, ScaffoldError, UsageError
from skillport_build.models.marketplace import SURFACE_TAGS
from skillport_build.models.names import KEBAB, SKILL_NAME_MAX, reserved_marketplace_reason
from skillport_build.repo.documents import DocumentError, JsonDocument
from skillport_build.repo.jsonedit import append_to_array, set_value
from skillport_build.repo.paths import ACCESS_JSON, ACCESS_YAML, MARKETPLACE_JSON, PLUGIN_JSON

SKILL_TEMPLATE = """\
---
name: {name}
description: {description}
---

# {title}

Say in one or two sentences what this skill helps with.

## When to use

- The situations in which Claude should reach for this skill.

## Steps

1. The first thing to do.
2. The next thing to do.

## Examples

Show one short, realistic input and the output you expect.
"""
# What `new skill` writes without --description: valid, so the skill loads, but
# `validate --strict` flags it (skill-description-placeholder) until someone replaces it.
PLACEHOLDER_DESCRIPTION = (
    "TODO: describe what this skill does and when Claude should use it, in one or two sentences."
)


def template_dir() -> Path:
    """Locate marketplace-template/: beside the package in a checkout, inside it when installed."""
    checkout = Path(__file__).resolve().parents[2] / "marketplace-template"
    if checkout.is_dir():
        return checkout
    packaged = Path(str(resources.files("skillport_build") / "marketplace_template"))
    if packaged.is_dir():
        return packaged
    raise ScaffoldError("the marketplace template is missing from this installation; reinstall")


def _check_name(name: str, what: str) -> None:
    if not KEBAB.match(name) or len(name) > SKILL_NAME_MAX:
        raise UsageError(
            f"{what} name {name!r} must be lowercase letters, digits and single hyphens "
            f"(at most {SKILL_NAME_MAX} characters), e.g. `release-notes`"
        )


def init(dest: Path, name: str | None = None) -> Path:
    """Create a new marketplace repository at `dest` from the template; return its root."""
    name = name or dest.resolve().name.lower().replace("_", "-").replace(" ", "-")
    _check_name(name, "marketplace")
    if reason := reserved_marketplace_reason(name):
        raise UsageError(f"marketplace name {name!r} {reason}; pass --name with another name")
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise ScaffoldError(f"{dest} already exists and is not empty; choose a new folder")
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".skillport-init-", dir=dest.parent))
    try:
        tree = staging / "tree"
        shutil.copytree(template_dir(), tree, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        manifest = tree / MARKETPLACE_JSON
        manifest.write_text(set_value(manifest.read_text("utf-8"), "/name", name), "utf-8")
        if dest.exists():
            dest.rmdir()
        os.replace(tree, dest)  # all or nothing: a failure above leaves no half-made repo
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return dest


def _read_manifest(root: Path) -> tuple[str, dict[str, Any]]:
    path = root / MARKETPLACE_JSON
    if not path.is_file():
        raise ScaffoldError(
            f"{root} has no {MARKETPLACE_JSON}; run this inside a marketplace (see `skillport init`)"
        )
    raw = path.read_bytes()
    try:
        doc = JsonDocument.parse(MARKETPLACE_JSON, raw)
    except DocumentError as exc:
        raise ScaffoldError(f"{MARKETPLACE_JSON}:{exc.line}: {exc.message}; fix it first") from None
    if not isinstance(doc.data, dict) or not isinstance(doc.data.get("plugins"), list):
        raise ScaffoldError(f"{MARKETPLACE_JSON} has no `plugins` list; fix it first")
    return doc.text, doc.data


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)


def new_plugin(root: Path, name: str, *, description: str | None = None, surface: str = "CALL") -> list[Path]:
    """Add a plugin folder with plugin.json and list it in marketplace.json."""
    _check_name(name, "plugin")
    if surface not in SURFACE_TAGS:
        raise UsageError(f"surface {surface!r} is not one of {', '.join(SURFACE_TAGS)}")
    text, data = _read_manifest(root)
    if any(isinstance(p, dict) and p.get("name") == name for p in data["plugins"]):
        raise ScaffoldError(f"marketplace.json already lists a plugin named {name!r}")
    folder = root / "plugins" / name
    if folder.exists():
        raise ScaffoldError(f"{folder} already exists; choose another name")
    owner = data.get("owner")
    author = {"name": owner["name"]} if isinstance(owner, dict) and owner.get("name") else None
    description = description or f"Skills for {name.replace('-', ' ')}."
    manifest: dict[str, object] = {"name": name, "version": "0.1.0", "description": description}
    if author:
        manifest["author"] = author
    entry = {
        "name": name,
        "source": f"./plugins/{name}",
        "description": description,
        "version": "0.1.0",
        "tags": [f"surface:{surface}"],
    }
    plugin_json = folder / PLUGIN_JSON
    keep = folder / "skills" / ".gitkeep"
    _write_atomic(plugin_json, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    _write_atomic(keep, "")
    _write_atomic(root / MARKETPLACE_JSON, append_to_array(text, "/plugins", entry))
    return [plugin_json, keep, root / MARKETPLACE_JSON]


def new_skill(root: Path, name: str, plugin: str, *, description: str | None = None) -> list[Path]:
    """Create `skills/<name>/SKILL.md` in a listed plugin."""
    _check_name(name, "skill")
    _, data = _read_manifest(root)
    entries = [p for p in data["plugins"] if isinstance(p, dict)]
    entry = next((p for p in entries if p.get("name") == plugin), None)
    if entry is None or not isinstance(entry.get("source"), str):
        listed = ", ".join(str(p.get("name")) for p in entries) or "none"
        raise NotFound(f"no local plugin named {plugin!r} in marketplace.json (listed: {listed})")
    folder = root / str(entry["source"]) / "skills" / name
    if folder.exists():
        raise ScaffoldError(f"{folder} already exists; choose another name")
    description = description or PLACEHOLDER_DESCRIPTION
    if "<" in description or ">" in description:
        raise UsageError("a skill description must not contain `<` or `>`")
    title = name.replace("-", " ").capitalize()
    skill_md = folder / "SKILL.md"
    _write_atomic(
        skill_md,
        SKILL_TEMPLATE.format(
            name=name, description=json.dumps(description, ensure_ascii=False), title=title
        ),
    )
    return [skill_md]


ACCESS_TEMPLATE = """\
# Who may read what: the proxy applies this to every page, answer and download (docs/access-policy.md).
# Principals: "*" (any signed-in user), "user:<email>", "domain:<domain>", "group:<name>".
# The most specific rule wins: a skill's over its plugin's, a plugin's over the defaults.

defaults:
  read: ["*"]

# plugins:
#   finance-kit:
#     read: ["group:finance"]
# skills:
#   budget-guard:
#     read: ["group:finance-leads"]

# Admins see everything and the proxy's admin page.
# admins: ["group:platform"]
"""


def new_access(root: Path) -> Path:
    """Write a starting `.skillport/access.yaml` that lets every signed-in user read everything."""
    _read_manifest(root)  # a marketplace root, not any folder
    path = root / ACCESS_YAML
    if path.exists() or (root / ACCESS_JSON).exists():
        raise ScaffoldError(f"{path.parent} already holds an access policy; edit it instead")
    _write_atomic(path, ACCESS_TEMPLATE)
    return path
