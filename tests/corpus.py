"""The bad corpus: one broken marketplace per rule, built on the factory's valid one.

Each case names the files it changes; `build(case, root)` makes the tree. The unit test pins every
diagnostic exactly; the Claude Code test checks that whatever Claude Code rejects, we reject too.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from factory import make_marketplace, marketplace_json, plugin_json, skill_md

from skillport_build.repo.scaffold import PLACEHOLDER_DESCRIPTION

SKILL = "plugins/tools/skills/hello/SKILL.md"
SKILL_DIR = "plugins/tools/skills/hello"
PLUGIN = "plugins/tools/.claude-plugin/plugin.json"
MARKET = ".claude-plugin/marketplace.json"
ACCESS = ".skillport/access.yaml"
CONFIG = ".skillport/validate.yaml"
Expect = tuple[str, int | None, str, str, str]  # path, line, rule, severity, message


def fm(body: str = "# Hello\n", **keys: str) -> str:
    """A SKILL.md whose front matter is exactly `keys` (raw YAML values)."""
    lines = "".join(f"{k.replace('_', '-') if k == 'allowed_tools' else k}: {v}\n" for k, v in keys.items())
    return f"---\n{lines}---\n{body}"


def entry(**extra: Any) -> dict[str, Any]:
    """The factory's plugin entry with changes."""
    base: dict[str, Any] = {
        "name": "tools",
        "source": "./plugins/tools",
        "description": "Everyday tools.",
        "version": "1.0.0",
        "tags": ["surface:CALL"],
    }
    base.update(extra)
    return {k: v for k, v in base.items() if v is not None}


def cc_only(**extra: Any) -> dict[str, Any]:
    """marketplace.json whose one plugin is tagged Claude Code only."""
    return marketplace_json([entry(tags=["surface:CC"], **extra)])


@dataclass(frozen=True)
class Case:
    """One broken marketplace and every diagnostic it must produce."""

    id: str
    files: dict[str, Any]
    expect: list[Expect]
    setup: Callable[[Path], None] | None = None
    posix_only: bool = field(default=False)


def _symlinks(root: Path) -> None:
    os.symlink("/etc/hostname", root / SKILL_DIR / "host.txt")
    os.symlink("missing.md", root / SKILL_DIR / "dangling.md")


def _inner_symlink(root: Path) -> None:
    os.symlink("references/checklist.md", root / SKILL_DIR / "checklist.md")


def _fifo(root: Path) -> None:
    os.mkfifo(root / SKILL_DIR / "pipe")


def _collide(root: Path) -> None:
    (root / SKILL_DIR / "Notes.md").write_text("a\n")
    (root / SKILL_DIR / "notes.md").write_text("b\n")


ALIAS_BOMB = (
    'name: hello\ndescription: "x"\nmetadata:\n'
    "  a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    "  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    "  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
    "  d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
)
GITHUB_TOKEN = "ghp_" + "Zt4q8Lr2Vx9Kp3Nm7Wc1Hy6Bd5Fj0Ga2Es8Ui"


def case(
    id: str, files: dict[str, Any], *expect: Expect, setup: Callable[[Path], None] | None = None
) -> Case:
    return Case(id, files, list(expect), setup)


CASES: list[Case] = [
    case("skill-md-missing", {SKILL: None}),
    case("skill-md-not-utf8", {SKILL: b"---\nname: hello\ndescription: caf\xe9\n---\n"}),
    case("skill-md-binary", {SKILL: b"\x00\x01\x02binary"}),
    case("frontmatter-missing", {SKILL: "# Hello\n\nNo front matter.\n"}),
    case("frontmatter-unclosed", {SKILL: "---\nname: hello\ndescription: x\n"}),
    case("frontmatter-colon", {SKILL: fm(name="hello", description="Use this: when asked")}),
    case("frontmatter-alias-bomb", {SKILL: "---\n" + ALIAS_BOMB + "---\n# Hi\n"}),
    case("frontmatter-list", {SKILL: "---\n- name\n- hello\n---\n"}),
    case("frontmatter-version", {SKILL: fm(name="hello", description='"Greets."', version="1.0.0")}),
    case(
        "frontmatter-cc-key",
        {MARKET: cc_only(), SKILL: fm(name="hello", description='"Greets."', model="sonnet")},
    ),
    case("skill-name-format", {SKILL: fm(name="Hello_World", description='"Greets."')}),
    case("skill-name-missing", {SKILL: fm(description='"Greets."')}),
    case("skill-name-mismatch", {SKILL: fm(name="hello-there", description='"Greets."')}),
    case(
        "skill-name-reserved",
        {
            SKILL_DIR: None,
            "plugins/tools/skills/claude-helper/SKILL.md": fm(name="claude-helper", description='"Helps."'),
        },
    ),
    case("skill-xml-tags", {SKILL: fm(name="hello", description='"Greets <example>people</example>"')}),
    case("skill-angle-bracket", {SKILL: fm(name="hello", description='"Use when x > 3"')}),
    case("skill-description-empty", {SKILL: fm(name="hello", description='"  "')}),
    case("skill-description-long", {SKILL: fm(name="hello", description='"' + "x" * 1100 + '"')}),
    case("skill-description-missing", {SKILL: fm(name="hello")}),
    case("skill-compatibility", {SKILL: fm(name="hello", description='"Greets."', compatibility="12")}),
    case("skill-metadata", {SKILL: fm(name="hello", description='"Greets."', metadata="{version: 1.0}")}),
    case("skill-allowed-tools-type", {SKILL: fm(name="hello", description='"Greets."', allowed_tools="12")}),
    case(
        "skill-allowed-tools-list",
        {SKILL: fm(name="hello", description='"Greets."', allowed_tools="[Read, Bash]")},
    ),
    case(
        "skill-license-file",
        {SKILL: fm(name="hello", description='"Greets."', license='"Terms in LICENSE.txt"')},
    ),
    case(
        "skill-description-placeholder",
        {SKILL: fm(name="hello", description='"' + PLACEHOLDER_DESCRIPTION + '"')},
    ),
    case("skill-body-length", {SKILL: fm("line\n" * 600, name="hello", description='"Greets."')}),
    case(
        "skill-listing-length",
        {
            MARKET: cc_only(),
            SKILL: fm(name="hello", description='"' + "d" * 1000 + '"', when_to_use='"' + "w" * 600 + '"'),
        },
    ),
    case(
        "skill-link-missing",
        {SKILL: fm("See [notes](notes/missing.md).\n", name="hello", description='"Greets."')},
    ),
    case(
        "skill-link-escape",
        {SKILL: fm("See [x](../../../../README.md).\n", name="hello", description='"Greets."')},
    ),
    case(
        "skill-link-backslash",
        {SKILL: fm("See [x](references\\checklist.md).\n", name="hello", description='"Greets."')},
    ),
    case("yaml-ambiguous", {SKILL: fm(name="hello", description="Greets people  # politely", license="yes")}),
    case(
        "bundle-junk",
        {
            f"{SKILL_DIR}/.DS_Store": b"junk",
            f"{SKILL_DIR}/__pycache__/x.pyc": b"x",
            f"{SKILL_DIR}/evals/e.json": "{}",
        },
    ),
    case("bundle-size", {CONFIG: "max_bundle_mb: 0.0001\n"}),
    case("plugin-json-syntax", {PLUGIN: '{"name": "tools",\n "version": }\n'}),
    case("plugin-json-array", {PLUGIN: "[1, 2]\n"}),
    case(
        "plugin-name",
        {PLUGIN: plugin_json(name="my tools"), MARKET: marketplace_json([entry(name="my tools")])},
    ),
    case("plugin-name-missing", {PLUGIN: {"version": "1.0.0", "description": "x"}}),
    case(
        "plugin-name-kebab",
        {PLUGIN: plugin_json(name="Tools_Kit"), MARKET: marketplace_json([entry(name="Tools_Kit")])},
    ),
    case(
        "plugin-version",
        {PLUGIN: plugin_json(version="1.x"), MARKET: marketplace_json([entry(version=None)])},
    ),
    case(
        "plugin-version-missing",
        {PLUGIN: {"name": "tools", "description": "x"}, MARKET: marketplace_json([entry(version=None)])},
    ),
    case("plugin-author-string", {PLUGIN: plugin_json(author="Platform Team")}),
    case("plugin-keywords", {PLUGIN: plugin_json(keywords="a, b")}),
    case("plugin-homepage", {PLUGIN: plugin_json(homepage="example.com")}),
    case("plugin-component-relative", {PLUGIN: plugin_json(commands="commands")}),
    case("plugin-component-dotdot", {PLUGIN: plugin_json(agents="./../agents")}),
    case("plugin-component-missing", {PLUGIN: plugin_json(commands="./cmds")}),
    case(
        "plugin-component-hooks-ext",
        {PLUGIN: plugin_json(hooks="./hooks/hooks.yaml"), "plugins/tools/hooks/hooks.yaml": "x: 1\n"},
    ),
    case("plugin-layout-extra", {"plugins/tools/.claude-plugin/notes.md": "notes\n"}),
    case("plugin-layout-skill", {f"{SKILL_DIR}/.claude-plugin/plugin.json": plugin_json(name="hello")}),
    case("plugin-layout-claude-md", {"plugins/tools/CLAUDE.md": "# Notes\n"}),
    case("plugin-hooks-json", {"plugins/tools/hooks/hooks.json": '{"hooks": {\n'}),
    case("plugin-hooks-event", {"plugins/tools/hooks/hooks.json": {"hooks": {"BeforeToolUse": []}}}),
    case("plugin-mcp-json", {"plugins/tools/.mcp.json": "{nope}\n"}),
    case(
        "plugin-mcp-type",
        {"plugins/tools/.mcp.json": {"mcpServers": {"docs": {"url": "https://mcp.example.com"}}}},
    ),
    case("plugin-unknown-key", {PLUGIN: plugin_json(homepag="https://example.com")}),
    case("plugin-folder-missing", {MARKET: marketplace_json([entry(source="./plugins/nope")])}),
    case("plugin-unlisted", {"plugins/extra/.claude-plugin/plugin.json": plugin_json(name="extra")}),
    case("marketplace-missing", {MARKET: None}),
    case("marketplace-json-syntax", {MARKET: '{\n  "name": "corp-skills",\n  "plugins": [,]\n}\n'}),
    case("marketplace-json-array", {MARKET: "[]\n"}),
    case("marketplace-name", {MARKET: marketplace_json(name="corp skills")}),
    case("marketplace-name-slash", {MARKET: marketplace_json(name="corp/skills")}),
    case("marketplace-name-kebab", {MARKET: marketplace_json(name="Corp_Skills")}),
    case("marketplace-name-reserved", {MARKET: marketplace_json(name="claude-plugins-official")}),
    case("marketplace-name-impersonation", {MARKET: marketplace_json(name="anthropic-official-marketplace")}),
    case("marketplace-name-internal", {MARKET: marketplace_json(name="builtin")}),
    case(
        "marketplace-owner-missing", {MARKET: {k: v for k, v in marketplace_json().items() if k != "owner"}}
    ),
    case("marketplace-owner-name", {MARKET: marketplace_json(owner={"email": "a@example.com"})}),
    case("marketplace-plugins-type", {MARKET: marketplace_json(plugins={"tools": {}})}),
    case("marketplace-empty", {MARKET: marketplace_json([]), ACCESS: 'defaults: {read: ["*"]}\n'}),
    case(
        "marketplace-description", {MARKET: {k: v for k, v in marketplace_json().items() if k != "metadata"}}
    ),
    case("marketplace-field", {MARKET: marketplace_json(metadata="Skills")}),
    case("marketplace-unknown-key", {MARKET: marketplace_json(plugin=[])}),
    case("entry-name-missing", {MARKET: marketplace_json([entry(name=None)])}),
    case(
        "entry-name-mismatch",
        {MARKET: marketplace_json([entry(name="toolbox")]), ACCESS: 'defaults: {read: ["*"]}\n'},
    ),
    case("entry-duplicate", {MARKET: marketplace_json([entry(), entry()])}),
    case("entry-field", {MARKET: marketplace_json([entry(tags="surface:CALL")])}),
    case("entry-unknown-key", {MARKET: marketplace_json([entry(sauce="./x")])}),
    case("entry-source-missing", {MARKET: marketplace_json([entry(source=None)])}),
    case("entry-source-relative", {MARKET: marketplace_json([entry(source="plugins/tools")])}),
    case("entry-source-dotdot", {MARKET: marketplace_json([entry(source="./../tools")])}),
    case("entry-source-absolute", {MARKET: marketplace_json([entry(source="/srv/tools")])}),
    case(
        "entry-source-github",
        {MARKET: marketplace_json([entry(source={"source": "github", "repo": "not a repo"})])},
    ),
    case(
        "entry-source-sha",
        {
            MARKET: marketplace_json(
                [entry(source={"source": "github", "repo": "acme/tools", "sha": "abc123"})]
            )
        },
    ),
    case(
        "entry-source-archive",
        {MARKET: marketplace_json([entry(source={"source": "archive", "url": "http://example.com/t.zip"})])},
    ),
    case(
        "entry-source-archive-sha",
        {
            MARKET: marketplace_json(
                [entry(source={"source": "archive", "url": "https://example.com/t.zip", "sha256": "xyz"})]
            )
        },
    ),
    case(
        "entry-source-kind", {MARKET: marketplace_json([entry(source={"source": "ftp", "url": "ftp://x"})])}
    ),
    case(
        "entry-source-subdir",
        {
            MARKET: marketplace_json(
                [entry(source={"source": "git-subdir", "url": "https://example.com/r.git"})]
            )
        },
    ),
    case(
        "entry-strict-components",
        {
            MARKET: marketplace_json([entry(strict=False, commands="./commands")]),
            "plugins/tools/commands/go.md": "---\ndescription: Go\n---\nGo.\n",
        },
    ),
    case(
        "plugin-name-reserved",
        {PLUGIN: plugin_json(name="claude-tools"), MARKET: marketplace_json([entry(name="claude-tools")])},
    ),
    case(
        "plugin-name-lookalike",
        {
            PLUGIN: plugin_json(name="my-claude-kit"),
            MARKET: marketplace_json([entry(name="my-claude-kit")]),
            ACCESS: 'defaults: {read: ["*"]}\n',
        },
    ),
    case("plugin-metadata", {PLUGIN: {"name": "tools", "version": "1.0.0"}}),
    case("symlink-inside", {}, setup=_inner_symlink),
    case("plugin-hooks-unwrapped", {"plugins/tools/hooks/hooks.json": {"PreToolUse": []}}),
    case("plugin-mcp-bom", {"plugins/tools/.mcp.json": b"\xef\xbb\xbf{}"}),
    case(
        "plugin-mcp-kind",
        {
            "plugins/tools/.mcp.json": {
                "mcpServers": {"a": {"type": "grpc", "url": "https://x"}, "b": {"args": []}}
            }
        },
    ),
    case("plugin-component-skills-file", {PLUGIN: plugin_json(skills="./skills/hello/SKILL.md")}),
    case(
        "plugin-component-agents-folder",
        {PLUGIN: plugin_json(agents=["./agents"]), "plugins/tools/agents/reviewer.md": "---\nname: r\n---\n"},
    ),
    case(
        "plugin-component-listed-files",
        {
            PLUGIN: plugin_json(commands=["./commands/review.md"]),
            "plugins/tools/commands/review.md": "---\ndescription: Review\n---\nReview.\n",
        },
    ),
    case(
        "entry-component-missing",
        {MARKET: marketplace_json([{**marketplace_json()["plugins"][0], "skills": ["./more-skills"]}])},
    ),
    case(
        "marketplace-metadata-key",
        {MARKET: marketplace_json(metadata={"description": "x", "pluginroot": "./p"})},
    ),
    case("entry-version", {MARKET: marketplace_json([entry(version="one")])}),
    case("entry-version-mismatch", {MARKET: marketplace_json([entry(version="1.1.0")])}),
    case("marketplace-renames-loop", {MARKET: marketplace_json(renames={"a": "b", "b": "a"})}),
    case("marketplace-renames-dangling", {MARKET: marketplace_json(renames={"old-tools": "gone"})}),
    case("surface-tag", {MARKET: marketplace_json([entry(tags=["surface:WEB"])])}),
    case(
        "skill-name-duplicate",
        {
            MARKET: marketplace_json([entry(), entry(name="more", source="./plugins/more")]),
            "plugins/more/.claude-plugin/plugin.json": plugin_json(name="more"),
            "plugins/more/skills/hello/SKILL.md": skill_md(),
            "plugins/more/skills/hello/references/checklist.md": "# Checklist\n",
        },
    ),
    case("symlinks", {}, setup=_symlinks),
    case("file-name-chars", {f"{SKILL_DIR}/notes\u202etxt.md": "x\n"}),
    case("path-case-collision", {}, setup=_collide),
    case("file-unreadable", {}, setup=_fifo),
    case("file-size", {CONFIG: "max_file_mb: 0.00001\n"}),
    case(
        "file-size-allowed",
        {CONFIG: "max_file_mb: 0.0001\nlarge_files: [plugins/tools/skills/hello/SKILL.md]\n"},
    ),
    case(
        "secret",
        {f"{SKILL_DIR}/references/setup.md": f"Run with:\n\n    export GITHUB_TOKEN={GITHUB_TOKEN}\n"},
    ),
    case(
        "secret-private-key",
        {f"{SKILL_DIR}/key.pem": "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk=\n"},
    ),
    case("secret-assignment", {f"{SKILL_DIR}/config.py": 'API_KEY = "q8Zr4Lk2Vx9Tp3Nm7Wc1Hy6Bd5"\n'}),
    case("access-missing", {ACCESS: None}),
    case("access-syntax", {ACCESS: "defaults: {read: [*]\n"}),
    case("access-schema", {ACCESS: 'defaults:\n  reader: ["*"]\n'}),
    case("access-principal", {ACCESS: 'defaults:\n  read: ["bob@example.com", "group:"]\n'}),
    case(
        "access-unknown-target", {ACCESS: 'defaults: {read: ["*"]}\nskills:\n  helo: {read: ["group:sre"]}\n'}
    ),
    case(
        "access-legacy-json",
        {
            ACCESS: None,
            ".skillport/access.json": {
                "editors": [{"id": "google:123", "label": "a@b.c"}],
                "skills": {"nope": {"read": "*"}},
            },
        },
    ),
    case("lifecycle-syntax", {".skillport/lifecycle.yaml": "yanked: [\n"}),
    case(
        "lifecycle-schema",
        {".skillport/lifecycle.yaml": "yanked:\n  - {name: hello, version: one, reason: bad}\n"},
    ),
    case(
        "lifecycle-unknown-target",
        {".skillport/lifecycle.yaml": "deprecated:\n  - {name: helo, reason: old}\n"},
    ),
    case("config-syntax", {CONFIG: "max_file_mb: [\n"}),
    case("config-schema", {CONFIG: "max_file_mbs: 3\n"}),
]


def build(case: Case, root: Path) -> Path:
    """Make the case's tree at `root`."""
    make_marketplace(root, case.files)
    if case.setup is not None:
        case.setup(root)
    return root


__all__ = [
    "ACCESS",
    "ALIAS_BOMB",
    "CONFIG",
    "GITHUB_TOKEN",
    "MARKET",
    "PLUGIN",
    "SKILL",
    "SKILL_DIR",
    "Case",
    "build",
    "cc_only",
    "entry",
    "fm",
    "marketplace_json",
    "plugin_json",
    "skill_md",
]
