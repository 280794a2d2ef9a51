"""Realistic marketplace layouts, one per family that real repositories use, written for these tests.

Each is a whole repository the pinned Claude Code installs without complaint. The suite checks that
Skillport validates each with no error, builds it, and that every plugin zip installs in Claude Code
with the components the source install has (tests/integration/test_layouts.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from factory import write


def skill(name: str, body: str = "", description: str | None = None, extra: str = "") -> str:
    """A SKILL.md with a realistic front matter and body."""
    about = description or f"Helps with {name.replace('-', ' ')} work. Use when the user asks about {name}."
    return (
        f"---\nname: {name}\ndescription: {about}\n{extra}---\n\n# {name}\n\n{body or 'Follow the steps.'}\n"
    )


COMMAND = "---\ndescription: {what}\nargument-hint: [target]\n---\n\n{what} for $ARGUMENTS.\n"
AGENT = "---\nname: {name}\ndescription: {what}\ntools: Read, Grep\n---\n\nYou are {what}.\n"
OWNER = {"name": "Platform Team", "email": "platform@example.com"}


@dataclass(frozen=True)
class Layout:
    """A repository layout and what it is an example of."""

    id: str
    about: str
    files: dict[str, Any]

    def write(self, root: Path) -> Path:
        """Write the repository under `root`."""
        root.mkdir(parents=True, exist_ok=True)
        return write(root, self.files)


def _market(name: str, plugins: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "owner": OWNER,
        "metadata": {"description": f"{name} plugins"},
        "plugins": plugins,
        **extra,
    }


# A fork of a public skills collection: one repository, skills at its root, entries that each
# offer some of them (`source: "./"`, `strict: false`, component lists in the entry).
SHARED_ROOT = Layout(
    "shared-root",
    "entries sharing the repository root, each listing its skills",
    {
        ".claude-plugin/marketplace.json": _market(
            "acme-skills",
            [
                {
                    "name": "document-skills",
                    "description": "Work with office documents.",
                    "source": "./",
                    "strict": False,
                    "skills": ["./skills/xlsx", "./skills/docx"],
                },
                {
                    "name": "example-skills",
                    "description": "Examples of what skills can do.",
                    "source": "./",
                    "strict": False,
                    "skills": ["./skills/brand-guidelines", "./skills/canvas-design"],
                },
            ],
        ),
        "README.md": "# Acme skills\n\nA fork of a public collection.\n",
        "skills/xlsx/SKILL.md": skill("xlsx", "Run `python scripts/recalc.py` after editing formulas."),
        "skills/xlsx/scripts/recalc.py": "import sys\n\nprint(sys.argv)\n",
        "skills/docx/SKILL.md": skill("docx", "See [the OOXML notes](ooxml.md)."),
        "skills/docx/ooxml.md": "# OOXML\n",
        "skills/brand-guidelines/SKILL.md": skill("brand-guidelines"),
        "skills/canvas-design/SKILL.md": skill("canvas-design"),
        "skills/canvas-design/fonts/OFL.txt": "SIL Open Font License\n",
        "spec/agent-skills-spec.md": "# Spec\n",
    },
)

# A team marketplace whose plugins are defined by their entries alone (no plugin.json).
ENTRY_DEFINED = Layout(
    "entry-defined",
    "plugins defined by marketplace entries, no plugin.json",
    {
        ".claude-plugin/marketplace.json": _market(
            "team-tools",
            [
                {
                    "name": "review-kit",
                    "description": "Code review helpers.",
                    "version": "0.3.0",
                    "author": {"name": "DevEx"},
                    "source": "./plugins/review-kit",
                    "strict": False,
                    "skills": ["./extra-skills"],
                    "commands": ["./commands/review.md"],
                    "agents": ["./agents/reviewer.md"],
                    "category": "development",
                },
                {
                    "name": "notes",
                    "description": "Meeting notes.",
                    "version": "1.2.0",
                    "source": "./plugins/notes",
                    "strict": False,
                },
            ],
        ),
        "plugins/review-kit/skills/review-checklist/SKILL.md": skill("review-checklist"),
        "plugins/review-kit/extra-skills/style-guide/SKILL.md": skill("style-guide"),
        "plugins/review-kit/commands/review.md": COMMAND.format(what="Review the diff"),
        "plugins/review-kit/agents/reviewer.md": AGENT.format(
            name="reviewer", what="a careful code reviewer"
        ),
        "plugins/notes/skills/meeting-notes/SKILL.md": skill("meeting-notes"),
        "plugins/notes/commands/summarise.md": COMMAND.format(what="Summarise the meeting"),
    },
)

# `claude plugin init`: the skill's SKILL.md at the plugin root.
PLUGIN_ROOT_SKILL = Layout(
    "plugin-root-skill",
    "a SKILL.md at the plugin root",
    {
        ".claude-plugin/marketplace.json": _market(
            "solo-plugins",
            [
                {"name": "commit-helper", "source": "./plugins/commit-helper", "description": "Commits."},
                {"name": "pdf-tools", "source": "./plugins/pdf-tools", "description": "PDFs."},
            ],
        ),
        "plugins/commit-helper/.claude-plugin/plugin.json": {
            "name": "commit-helper",
            "version": "0.1.0",
            "description": "Writes commit messages.",
            "author": OWNER,
            "skills": ["./"],
        },
        "plugins/commit-helper/SKILL.md": skill("commit-helper", "Read [the conventions](conventions.md)."),
        "plugins/commit-helper/conventions.md": "# Conventions\n",
        "plugins/pdf-tools/.claude-plugin/plugin.json": {
            "name": "pdf-tools",
            "version": "2.0.0",
            "description": "Fills PDF forms.",
            "author": OWNER,
        },
        "plugins/pdf-tools/SKILL.md": skill("pdf-tools"),
        "plugins/pdf-tools/forms.md": "# Forms\n",
    },
)

# Links that stay inside the plugin, and the path variables Claude Code expands.
IN_PLUGIN_LINKS = Layout(
    "in-plugin-links",
    "`../` links inside the plugin, ${CLAUDE_SKILL_DIR} and {baseDir} paths",
    {
        ".claude-plugin/marketplace.json": _market(
            "docs-plugins", [{"name": "writing", "source": "./plugins/writing", "description": "Writing."}]
        ),
        "plugins/writing/.claude-plugin/plugin.json": {
            "name": "writing",
            "version": "1.0.0",
            "description": "Writing help.",
            "author": OWNER,
        },
        "plugins/writing/shared/style.md": "# House style\n",
        "plugins/writing/skills/blog-post/SKILL.md": skill(
            "blog-post",
            "Follow [the house style](../../shared/style.md).\n\n"
            "Run `${CLAUDE_SKILL_DIR}/scripts/wordcount.sh draft.md`, then read {baseDir}/outline.md.\n",
        ),
        "plugins/writing/skills/blog-post/outline.md": "# Outline\n",
        "plugins/writing/skills/blog-post/scripts/wordcount.sh": '#!/bin/sh\nwc -w "$1"\n',
    },
)

# A plugin with hooks, MCP and LSP servers and an output style: the Claude Code-only parts.
HOOKS_MCP_LSP = Layout(
    "hooks-mcp-lsp",
    "hooks, MCP and LSP servers, output styles",
    {
        ".claude-plugin/marketplace.json": _market(
            "infra-plugins",
            [
                {
                    "name": "go-dev",
                    "source": "./plugins/go-dev",
                    "description": "Go development.",
                    "tags": ["surface:CC"],
                }
            ],
        ),
        "plugins/go-dev/.claude-plugin/plugin.json": {
            "name": "go-dev",
            "version": "1.4.0",
            "description": "Formats Go code, serves docs and a language server.",
            "author": OWNER,
            "outputStyles": "./styles",
        },
        "plugins/go-dev/hooks/hooks.json": {
            "hooks": {
                "PostToolUse": [
                    {
                        "matcher": "Edit|Write",
                        "hooks": [{"type": "command", "command": "${CLAUDE_PLUGIN_ROOT}/scripts/gofmt.sh"}],
                    }
                ]
            }
        },
        "plugins/go-dev/scripts/gofmt.sh": "#!/bin/sh\ngofmt -w .\n",
        "plugins/go-dev/.mcp.json": {
            "mcpServers": {
                "go-docs": {"command": "node", "args": ["${CLAUDE_PLUGIN_ROOT}/server/index.js"]},
                "issues": {"type": "http", "url": "https://issues.example.com/mcp"},
            }
        },
        "plugins/go-dev/server/index.js": "console.log('docs')\n",
        "plugins/go-dev/.lsp.json": {"go": {"command": "gopls", "extensionToLanguage": {".go": "go"}}},
        "plugins/go-dev/styles/terse.md": "---\nname: Terse\ndescription: Short answers\n---\n\nBe brief.\n",
        "plugins/go-dev/skills/go-testing/SKILL.md": skill(
            "go-testing", extra="when_to_use: when writing Go tests\nargument-hint: [package]\n"
        ),
    },
)

# Shapes that look like secrets and are not: references to the environment, identifiers, calls,
# placeholders (and a symlinked copy that must be scanned once).
FALSE_SECRETS = Layout(
    "false-secrets",
    "environment references, identifiers, calls and placeholders that are not secrets",
    {
        ".claude-plugin/marketplace.json": _market(
            "bot-plugins",
            [{"name": "discord-bot", "source": "./plugins/discord-bot", "description": "Bots."}],
        ),
        "plugins/discord-bot/.claude-plugin/plugin.json": {
            "name": "discord-bot",
            "version": "0.9.0",
            "description": "Builds Discord bots.",
            "author": OWNER,
        },
        "plugins/discord-bot/skills/bot-setup/SKILL.md": skill(
            "bot-setup",
            "```js\nconst token = process.env.DISCORD_BOT_TOKEN;\nclient.login(token);\n```\n\n"
            "```python\ntokenizer = AutoTokenizer.from_pretrained(model_name)\n"
            "api_key = os.environ['OPENAI_API_KEY']\npassword = getpass.getpass()\n```\n\n"
            "```c\nint token_id = next_token(stream);\n```\n\n"
            'Set `Authorization: Bearer eyJhbGciOi...` and `"secret": "<your-secret-here>"`.\n'
            "export GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
        ),
        "plugins/discord-bot/skills/bot-setup/config.example.env": (
            "DISCORD_BOT_TOKEN=your-token-here\nAPI_KEY=${API_KEY}\nSECRET_KEY=changeme\n"
        ),
    },
)

# A team's marketplace as it grew: extra skill paths in plugin.json and in the entry, a changelog
# inside .claude-plugin/, an entry version that lags plugin.json, and no access policy yet.
TEAM_MARKETPLACE = Layout(
    "team-marketplace",
    "extra skill paths, stray .claude-plugin files, a lagging entry version, no access policy",
    {
        ".claude-plugin/marketplace.json": _market(
            "data-team",
            [
                {
                    "name": "analytics",
                    "source": "./plugins/analytics",
                    "version": "1.0.0",
                    "skills": ["./experimental"],
                    "description": "Analytics.",
                }
            ],
        ),
        ".claude-plugin/CHANGELOG.md": "# Changes\n",
        "plugins/analytics/.claude-plugin/plugin.json": {
            "name": "analytics",
            "version": "1.1.0",
            "description": "SQL and dashboards.",
            "author": OWNER,
            "skills": "./more-skills",
        },
        "plugins/analytics/.claude-plugin/CHANGELOG.md": "# 1.1.0\n",
        "plugins/analytics/skills/sql-review/SKILL.md": skill("sql-review"),
        "plugins/analytics/more-skills/dashboards/SKILL.md": skill("dashboards"),
        "plugins/analytics/experimental/forecasts/SKILL.md": skill("forecasts"),
    },
)

# Entries whose plugins live elsewhere, beside a local one: their hosts do not exist, so this layout
# checks their shape and is built with `--remote skip` (tests/remotes.py has reachable ones).
REMOTE_ENTRIES = Layout(
    "remote-entries",
    "github, url, git-subdir and npm sources beside a local plugin",
    {
        ".claude-plugin/marketplace.json": _market(
            "aggregate",
            [
                {"name": "local-one", "source": "./plugins/local-one", "description": "Local."},
                {
                    "name": "from-github",
                    "source": {"source": "github", "repo": "acme/plugin-a", "sha": "a" * 40},
                    "description": "A GitHub plugin.",
                },
                {
                    "name": "from-git",
                    "source": {"source": "url", "url": "https://git.example.com/b.git", "ref": "v1.2.0"},
                    "description": "A git plugin.",
                },
                {
                    "name": "from-subdir",
                    "source": {
                        "source": "git-subdir",
                        "url": "https://git.example.com/mono.git",
                        "path": "plugins/c",
                        "sha": "b" * 40,
                    },
                    "description": "A folder of a monorepo.",
                },
                {
                    "name": "from-npm",
                    "source": {"source": "npm", "package": "@acme/plugin-d", "version": "1.0.0"},
                    "description": "An npm plugin.",
                },
            ],
        ),
        "plugins/local-one/.claude-plugin/plugin.json": {
            "name": "local-one",
            "version": "1.0.0",
            "description": "A local plugin.",
            "author": OWNER,
        },
        "plugins/local-one/skills/local-skill/SKILL.md": skill("local-skill"),
    },
)

# Two plugins that each hold a skill called `start`: Claude Code installs both as plugin:skill.
REPEATED_NAMES = Layout(
    "repeated-names",
    "the same skill name in two plugins",
    {
        ".claude-plugin/marketplace.json": _market(
            "company",
            [
                {"name": "onboarding", "source": "./plugins/onboarding", "description": "New starters."},
                {"name": "support", "source": "./plugins/support", "description": "Support desk."},
            ],
        ),
        "plugins/onboarding/.claude-plugin/plugin.json": {
            "name": "onboarding",
            "version": "1.0.0",
            "description": "For new starters.",
            "author": OWNER,
        },
        "plugins/onboarding/skills/start/SKILL.md": skill(
            "start", "Set up the laptop, then read the handbook."
        ),
        "plugins/support/.claude-plugin/plugin.json": {
            "name": "support",
            "version": "2.1.0",
            "description": "For the support desk.",
            "author": OWNER,
        },
        "plugins/support/skills/start/SKILL.md": skill("start", "Open the queue and take the oldest ticket."),
        "plugins/support/skills/escalate/SKILL.md": skill("escalate"),
    },
)

LAYOUTS = [
    SHARED_ROOT,
    ENTRY_DEFINED,
    PLUGIN_ROOT_SKILL,
    IN_PLUGIN_LINKS,
    HOOKS_MCP_LSP,
    FALSE_SECRETS,
    TEAM_MARKETPLACE,
    REMOTE_ENTRIES,
    REPEATED_NAMES,
]
