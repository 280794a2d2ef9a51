"""Build marketplace trees for tests: a small valid repo, then the change a test needs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
TEMPLATE = REPO / "marketplace-template"

SKILL_MD = """\
---
name: {name}
description: "{description}"
---

# {title}

Use this skill to {purpose}.

## Steps

1. Read the request.
2. Follow the checklist in [the reference](references/checklist.md).
"""

ACCESS_YAML = """\
defaults:
  read: ["*"]
plugins:
  tools:
    read: ["group:engineering", "domain:example.com"]
admins: ["user:admin@example.com"]
"""


def marketplace_json(plugins: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    """A valid marketplace.json document."""
    doc: dict[str, Any] = {
        "name": "corp-skills",
        "owner": {"name": "Platform Team", "email": "platform@example.com"},
        "metadata": {"description": "Skills shared inside Example Corp."},
        "plugins": plugins
        if plugins is not None
        else [
            {
                "name": "tools",
                "source": "./plugins/tools",
                "description": "Everyday tools.",
                "version": "1.0.0",
                "tags": ["surface:CALL"],
            }
        ],
    }
    doc.update(extra)
    return doc


def plugin_json(name: str = "tools", **extra: Any) -> dict[str, Any]:
    """A valid plugin.json document."""
    doc: dict[str, Any] = {
        "name": name,
        "version": "1.0.0",
        "description": "Everyday tools.",
        "author": {"name": "Platform Team", "email": "platform@example.com"},
    }
    doc.update(extra)
    return doc


def skill_md(name: str = "hello", description: str | None = None) -> str:
    """A valid SKILL.md."""
    return SKILL_MD.format(
        name=name,
        description=description or f"Greets people politely. Use when asked to {name}.",
        title=name.replace("-", " ").capitalize(),
        purpose=f"handle {name} requests",
    )


def write(root: Path, files: dict[str, str | bytes | dict[str, Any] | list[Any] | None]) -> Path:
    """Write files under `root`: dicts and lists as JSON, None deletes."""
    for rel, content in files.items():
        path = root / rel
        if content is None:
            shutil.rmtree(path) if path.is_dir() else path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, dict | list):
            path.write_text(json.dumps(content, indent=2) + "\n", "utf-8")
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, "utf-8")
    return root


def make_marketplace(root: Path, files: dict[str, Any] | None = None) -> Path:
    """A valid one-plugin, one-skill marketplace at `root`, with `files` written on top."""
    base: dict[str, Any] = {
        ".claude-plugin/marketplace.json": marketplace_json(),
        ".skillport/access.yaml": ACCESS_YAML,
        "plugins/tools/.claude-plugin/plugin.json": plugin_json(),
        "plugins/tools/skills/hello/SKILL.md": skill_md(),
        "plugins/tools/skills/hello/references/checklist.md": "# Checklist\n\n- Be kind.\n",
    }
    root.mkdir(parents=True, exist_ok=True)
    write(root, base)
    return write(root, files or {})
