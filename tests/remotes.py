"""Plugin repositories that live outside the marketplace, at several commits, and a marketplace whose
entries point at them: `github`, `url` and `git-subdir` sources beside a local plugin.

The states are realistic: a plugin repository whose head has moved past the pinned commit, a
monorepo whose plugins are folders next to files that are not theirs. Tests serve them from a
real git server (tests/integration/gitserver.py) or from file:// URLs (the unit suite).
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from layouts import OWNER, skill

GIT_ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_AUTHOR_NAME": "Plugin Author",
    "GIT_AUTHOR_EMAIL": "author@example.com",
    "GIT_COMMITTER_NAME": "Plugin Author",
    "GIT_COMMITTER_EMAIL": "author@example.com",
}


def git(cwd: Path, *args: str, env: Mapping[str, str] | None = None) -> str:
    """Run git in `cwd` with a clean configuration; its output."""
    result = subprocess.run(
        ["git", *args],
        cwd=cwd,
        env={"PATH": os.environ["PATH"], "HOME": str(cwd), **GIT_ENV, **(env or {})},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def plugin_repository(bare: Path, states: list[Mapping[str, str | None]]) -> list[str]:
    """A bare repository at `bare` whose `main` holds one commit per state (path -> text; None
    deletes), oldest first; the commits' ids, in order. Dates are fixed, so ids are stable."""
    work = bare.with_name(bare.name + ".work")
    work.mkdir(parents=True)
    git(work, "init", "--quiet", "--initial-branch=main")
    commits = []
    for number, state in enumerate(states, 1):
        for rel, text in state.items():
            path = work / rel
            if text is None:
                path.unlink()
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        git(work, "add", "--all")
        stamp = {
            "GIT_AUTHOR_DATE": f"2026-10-0{number}T12:00:00Z",
            "GIT_COMMITTER_DATE": f"2026-10-0{number}T12:00:00Z",
        }
        git(work, "commit", "--quiet", "-m", f"state {number}", env=stamp)
        commits.append(git(work, "rev-parse", "HEAD"))
    bare.parent.mkdir(parents=True, exist_ok=True)
    git(work, "clone", "--quiet", "--bare", str(work), str(bare))
    return commits


def _plugin_json(name: str, version: str, description: str) -> str:
    return json.dumps({"name": name, "version": version, "description": description, "author": OWNER}) + "\n"


# Review tooling in its own repository: the marketplace pins state 1; state 2 is the branch head.
REVIEW_STATES: list[dict[str, str | None]] = [
    {
        ".claude-plugin/plugin.json": _plugin_json("code-review", "1.4.0", "Review checklists."),
        "skills/review-checklist/SKILL.md": skill("review-checklist", "Check tests, naming and errors."),
        "skills/review-checklist/references/naming.md": "# Naming\n\nNames say what, not how.\n",
        "commands/review.md": "---\ndescription: Review the diff\n---\n\nReview the current diff.\n",
        "README.md": "# code-review\n",
    },
    {
        "skills/review-checklist/SKILL.md": skill("review-checklist", "HEAD ONLY: not the pinned commit."),
    },
]

# A monorepo: two plugins under plugins/, and files at its top that belong to neither.
MONOREPO_STATES: list[dict[str, str | None]] = [
    {
        "README.md": "# platform monorepo\n",
        "services/api/main.py": "print('not a plugin')\n",
        "plugins/oncall/.claude-plugin/plugin.json": _plugin_json("oncall", "2.0.0", "On-call runbooks."),
        "plugins/oncall/skills/incident-triage/SKILL.md": skill("incident-triage", "Page, assess, mitigate."),
        "plugins/billing/.claude-plugin/plugin.json": _plugin_json("billing", "0.3.0", "Billing helpers."),
        "plugins/billing/skills/invoice-check/SKILL.md": skill("invoice-check"),
    },
    {"services/api/main.py": "print('changed, still not a plugin')\n"},
]

# A plugin in a GitHub repository (served by the test server standing in for GitHub).
DESIGN_STATES: list[dict[str, str | None]] = [
    {
        ".claude-plugin/plugin.json": _plugin_json("design-system", "3.1.0", "Design tokens and review."),
        "skills/design-tokens/SKILL.md": skill("design-tokens", "Use the tokens, never raw colours."),
    },
]

# An open-source plugin, fetched without credentials.
OPEN_STATES: list[dict[str, str | None]] = [
    {
        ".claude-plugin/plugin.json": _plugin_json("writing-style", "1.0.0", "House writing style."),
        "skills/plain-words/SKILL.md": skill("plain-words", "Prefer short words."),
    },
]


def remote_marketplace(entries: list[dict[str, Any]]) -> dict[str, Any]:
    """A marketplace repository (files for factory.write) listing a local plugin and `entries`."""
    return {
        ".claude-plugin/marketplace.json": {
            "name": "platform-tools",
            "owner": OWNER,
            "metadata": {"description": "Our plugins, some from other repositories."},
            "plugins": [
                {"name": "local-notes", "source": "./plugins/local-notes", "description": "Local."},
                *entries,
            ],
        },
        "plugins/local-notes/.claude-plugin/plugin.json": _plugin_json("local-notes", "1.0.0", "Notes."),
        "plugins/local-notes/skills/meeting-notes/SKILL.md": skill("meeting-notes"),
        ".skillport/access.yaml": 'defaults:\n  read: ["*"]\n',
    }


def review_entry(url: str, sha: str) -> dict[str, Any]:
    """The code-review plugin as a `url` entry pinned to `sha`."""
    return {
        "name": "code-review",
        "source": {"source": "url", "url": url, "sha": sha},
        "description": "Review.",
    }


def oncall_entry(url: str, sha: str) -> dict[str, Any]:
    """The monorepo's on-call plugin as a `git-subdir` entry."""
    return {
        "name": "oncall",
        "source": {"source": "git-subdir", "url": url, "path": "plugins/oncall", "sha": sha},
        "description": "On-call.",
    }
