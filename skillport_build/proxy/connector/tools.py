"""What the connector's tools do, apart from MCP: each takes the caller's identity and answers from
the proxy's verified catalog, filtered by what that person may read. A skill the caller may not
read is answered exactly like one that does not exist, in every tool.

Answers are small on purpose: they land in the model's context.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from skillport_build.errors import ToolRefused
from skillport_build.models.access import Identity
from skillport_build.models.catalog import SkillRecord
from skillport_build.models.marketplace import ALL_SURFACES, SURFACE_LABELS
from skillport_build.proxy.access import View
from skillport_build.proxy.connector.install import one_click
from skillport_build.proxy.connector.skills_ext import SkillFiles
from skillport_build.proxy.search import Filters
from skillport_build.proxy.service import Proxy

MAX_LIMIT = 50
DESCRIPTION_CHARS = 300
LINK_FIELDS = {"name", "version", "url", "sha256", "size", "expires"}
MAX_LINKS = 20  # newer versions that get a ready command in one check_updates answer
UPDATE_STEPS = [
    "For each update with an install command, run it as install_skill's steps say, present the new "
    ".skill file with present_files, and tell the person to click 'Copy to your skills' (it replaces "
    "the old version).",
]


class Tools:
    """The connector's operations over one proxy."""

    def __init__(self, proxy: Proxy, files: SkillFiles) -> None:
        self.proxy, self.files = proxy, files

    def _audit(self, event: str, identity: Identity, detail: dict[str, Any]) -> None:
        self.proxy.state.audit(event, identity.email, {**detail, "via": "mcp"})

    def _visible(self, view: View, name: str) -> SkillRecord:
        skill = view.skill(name)
        if skill is None:
            raise ToolRefused(f"no skill named {name!r}; use search_skills to find one")
        return skill

    def search(
        self, identity: Identity, query: str, surface: str | None, category: str | None, limit: int
    ) -> dict[str, Any]:
        """Ranked skills matching `query` (all skills when empty), with the total count."""
        if surface is not None and surface not in ALL_SURFACES:
            raise ToolRefused(f"surface must be one of {', '.join(sorted(ALL_SURFACES))}")
        view = self.proxy.view(identity)
        limit = max(1, min(limit, MAX_LIMIT))
        total, hits = self.proxy.hits(view, query.strip(), Filters(surface, category), 0, limit)
        self._audit("list", identity, {"q": query[:200]} if query else {})
        return {
            "total": total,
            "skills": [
                {
                    "name": s.ref,
                    "version": s.version,
                    "plugin": s.plugin,
                    "description": _short(s.description),
                    "surfaces": list(s.surfaces),
                    **({"deprecated": True} if s.deprecated else {}),
                }
                for s, _ in hits
            ],
        }

    def get(self, identity: Identity, name: str) -> dict[str, Any]:
        """One skill: metadata, its SKILL.md and its files."""
        skill = self._visible(self.proxy.view(identity), name)
        detail = self.proxy.detail(skill).dump()
        self._audit("read", identity, {"skill": skill.name, "version": skill.version})
        return {
            key: detail[key]
            for key in (
                "name",
                "plugin",
                "version",
                "description",
                "category",
                "tags",
                "surfaces",
                "license",
                "compatibility",
                "allowed_tools",
                "deprecated",
                "page",
            )
            if detail.get(key) not in (None, [], "")
        } | {
            "versions": [r["version"] for r in detail["history"] if not r["yanked"]][-5:],
            "files": self.files.manifest(skill),
            "skill_md": detail["skill_md"],
        }

    def install_steps(self, identity: Identity, name: str, surface: str) -> dict[str, Any]:
        """A signed download link and the steps that install the skill on `surface`."""
        if surface not in ALL_SURFACES:
            raise ToolRefused(f"surface must be one of {', '.join(sorted(ALL_SURFACES))}")
        view = self.proxy.view(identity)
        skill = self._visible(view, name)
        link = self.proxy.link(view, skill, identity.email)
        self._audit("link", identity, {"skill": skill.name, "version": skill.version, "surface": surface})
        base = self.proxy.config.base_url
        answer: dict[str, Any] = link.model_dump(include=LINK_FIELDS)
        if surface not in skill.surfaces:  # the same story as the website and the CLI
            where = " and ".join(SURFACE_LABELS[s] for s in skill.surfaces)
            answer["note"] = (
                f"{skill.ref} is offered for {where} only, not {SURFACE_LABELS[surface]}: these are the "
                f"steps for {where}. Tell the person before installing it."
            )
            surface = "claude-code" if skill.surfaces == ("claude-code",) else "claude-ai"
        if surface == "claude-code":
            plugin = next((p for p in view.plugins if p.name == skill.plugin), None)
            answer["steps"] = [
                f"Run: skillport login {base}  (once; opens the browser to sign in)",
                f"Run: skillport install {skill.ref} --claude-code  (verifies the sha256, installs into "
                f"~/.claude/skills/{skill.name}/)",
                f"For other agents on the machine: skillport install {skill.ref} --agent AGENT (codex, "
                "cursor, gemini-cli, github-copilot, opencode …; add --project for the current project only)",
                *(
                    [
                        f"Or the whole plugin: skillport claude-code sync, then claude plugin install "
                        f"{plugin.name}@{view.catalog.marketplace.name}"
                    ]
                    if plugin is not None
                    else []
                ),
            ]
            return answer
        return answer | one_click(link, skill.ref, base)

    def updates(
        self, identity: Identity, installed: Mapping[str, str], surface: str | None = None
    ) -> dict[str, Any]:
        """Which installed skills (name -> version or sha256 digest) have news; on Claude.ai and
        Desktop each newer version comes with the command that installs it, as install_skill's."""
        if surface is not None and surface not in ALL_SURFACES:
            raise ToolRefused(f"surface must be one of {', '.join(sorted(ALL_SURFACES))}")
        items = [
            {"name": name, "digest": value}
            if value.startswith("sha256:")
            else {"name": name, "version": value}
            for name, value in installed.items()
        ]
        view = self.proxy.view(identity)
        results = self.proxy.updates(view, identity, items)
        self._audit("updates", identity, {"checked": len(items)})
        updates = [r.dump() for r in results if r.status != "current"]
        answer: dict[str, Any] = {"updates": updates, "current": _current(results)}
        if surface in ("claude-ai", "desktop") and self._add_commands(
            identity, view, updates[:MAX_LINKS], surface
        ):
            answer["steps"] = UPDATE_STEPS
        return answer

    def _add_commands(
        self, identity: Identity, view: View, updates: list[dict[str, Any]], surface: str
    ) -> bool:
        """Give each newer version the one-click command; whether any got one."""
        added = False
        for update in updates:
            skill = view.skill(update["name"]) if update["status"] in ("update", "yanked") else None
            if skill is None or not update.get("latest"):
                continue
            link = self.proxy.link(view, skill, identity.email)
            self._audit("link", identity, {"skill": skill.name, "version": skill.version, "surface": surface})
            one = one_click(link, skill.ref, self.proxy.config.base_url)
            update["install"] = {"command": one["command"], "file": one["file"]} | link.model_dump(
                include={"url", "sha256", "expires"}
            )
            added = True
        return added


def _current(results: list[Any]) -> list[str]:
    return sorted(r.name for r in results if r.status == "current")


def _short(text: str) -> str:
    return text if len(text) <= DESCRIPTION_CHARS else text[: DESCRIPTION_CHARS - 1].rstrip() + "…"
