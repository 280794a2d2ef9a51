"""Every diagnostic each corpus case must produce, pinned (regenerate only on purpose)."""

from __future__ import annotations

EXPECTED: dict[str, list[tuple[str, int | None, str, str, str]]] = {
    "skill-md-missing": [
        (
            "plugins/tools/skills/hello",
            None,
            "skill-md-missing",
            "error",
            "skill folder has no SKILL.md; add one (`skillport new skill hello --plugin tools`) or move the folder out of skills/",
        ),
    ],
    "skill-md-not-utf8": [
        (
            "plugins/tools/skills/hello/SKILL.md",
            3,
            "skill-md-encoding",
            "error",
            "SKILL.md is not valid UTF-8 (byte 0xe9); save it as UTF-8",
        ),
    ],
    "skill-md-binary": [
        (
            "plugins/tools/skills/hello/SKILL.md",
            None,
            "skill-md-encoding",
            "error",
            "SKILL.md is binary, not text (it contains NUL bytes)",
        ),
    ],
    "frontmatter-missing": [
        (
            "plugins/tools/skills/hello/SKILL.md",
            1,
            "frontmatter-missing",
            "error",
            "SKILL.md must start with a `---` line, then YAML front matter, then `---`",
        ),
    ],
    "frontmatter-unclosed": [
        (
            "plugins/tools/skills/hello/SKILL.md",
            1,
            "frontmatter-missing",
            "error",
            "the front matter is never closed: add a `---` line after it",
        ),
    ],
    "frontmatter-colon": [
        (
            "plugins/tools/skills/hello/SKILL.md",
            3,
            "frontmatter-syntax",
            "error",
            "front matter is not valid YAML: mapping values are not allowed in this context; put values that contain `: ` in quotes",
        ),
    ],
    "frontmatter-alias-bomb": [
        (
            "plugins/tools/skills/hello/SKILL.md",
            2,
            "frontmatter-syntax",
            "error",
            "front matter is refused: its aliases expand to more than 10,000 values; write the values out instead of using anchors and aliases",
        ),
    ],
    "frontmatter-list": [
        (
            "plugins/tools/skills/hello/SKILL.md",
            2,
            "frontmatter-not-mapping",
            "error",
            "front matter must be a mapping of names to values (`name: my-skill`)",
        ),
    ],
    "frontmatter-version": [
        (
            "plugins/tools/skills/hello/SKILL.md",
            4,
            "frontmatter-unknown-key",
            "error",
            '`version` is not a portable key and Claude.ai and Desktop refuse the upload; put it under `metadata` (metadata: {version: "1.0.0"}) or in plugin.json (or tag the plugin surface:CC if it is for Claude Code only)',
        ),
    ],
    "frontmatter-cc-key": [
        (
            "plugins/tools/skills/hello/SKILL.md",
            4,
            "frontmatter-unknown-key",
            "warning",
            "`model` is a Claude Code extension, not a portable key; it stops the skill from being shared with Claude.ai or Desktop",
        ),
    ],
    "skill-name-format": [
        (
            "plugins/tools/skills/hello/SKILL.md",
            2,
            "skill-name-format",
            "error",
            "`name` 'Hello_World' must be lowercase letters, digits and single hyphens, not starting or ending with a hyphen (e.g. `pdf-tools`)",
        ),
        (
            "plugins/tools/skills/hello/SKILL.md",
            2,
            "skill-name-mismatch",
            "error",
            "`name` is 'Hello_World' but the folder is 'hello'; rename one so they match",
        ),
    ],
    "skill-name-missing": [
        (
            "plugins/tools/skills/hello/SKILL.md",
            2,
            "skill-name-format",
            "error",
            "`name` is required (lowercase letters, digits and hyphens; equals the folder name)",
        ),
    ],
    "skill-name-mismatch": [
        (
            "plugins/tools/skills/hello/SKILL.md",
            2,
            "skill-name-mismatch",
            "error",
            "`name` is 'hello-there' but the folder is 'hello'; rename one so they match",
        ),
    ],
    "skill-name-reserved": [
        (
            "plugins/tools/skills/claude-helper/SKILL.md",
            2,
            "skill-name-reserved",
            "error",
            "`name` contains 'claude', which Claude.ai refuses on upload; choose another name",
        ),
    ],
    "skill-xml-tags": [
        (
            "plugins/tools/skills/hello/SKILL.md",
            3,
            "skill-xml-tags",
            "error",
            "`description` must not contain XML tags such as <example>",
        ),
    ],
    "skill-angle-bracket": [
        (
            "plugins/tools/skills/hello/SKILL.md",
            3,
            "skill-xml-tags",
            "error",
            "`description` must not contain `<` or `>` (Anthropic's packager refuses them); write 'less than' / 'greater than' or rephrase",
        ),
    ],
    "skill-description-empty": [
        (
            "plugins/tools/skills/hello/SKILL.md",
            3,
            "skill-description",
            "error",
            "`description` is empty: say what the skill does and when Claude should use it",
        ),
    ],
    "skill-description-long": [
        (
            "plugins/tools/skills/hello/SKILL.md",
            3,
            "skill-description",
            "error",
            "`description` has 1100 characters; the limit is 1024: shorten it and move detail into the body",
        ),
    ],
    "skill-description-missing": [
        (
            "plugins/tools/skills/hello/SKILL.md",
            2,
            "skill-description",
            "error",
            "`description` is required (what the skill does and when to use it)",
        ),
    ],
    "skill-compatibility": [
        (
            "plugins/tools/skills/hello/SKILL.md",
            4,
            "skill-compatibility",
            "error",
            "`compatibility` must be a string of 1-500 characters",
        ),
    ],
    "skill-metadata": [
        (
            "plugins/tools/skills/hello/SKILL.md",
            4,
            "skill-metadata",
            "error",
            '`metadata.version` must map a string to a string; quote the value (e.g. version: "1.0")',
        ),
    ],
    "skill-allowed-tools-type": [
        (
            "plugins/tools/skills/hello/SKILL.md",
            4,
            "skill-allowed-tools",
            "error",
            '`allowed-tools` must be a space-separated string of tool names (e.g. "Bash(git:*) Read")',
        ),
    ],
    "skill-allowed-tools-list": [
        (
            "plugins/tools/skills/hello/SKILL.md",
            4,
            "skill-allowed-tools",
            "warning",
            '`allowed-tools` is a list; Claude Code accepts it but the Agent Skills reference validator does not: write it as one string ("Read Bash")',
        ),
    ],
    "skill-license-file": [
        (
            "plugins/tools/skills/hello/SKILL.md",
            4,
            "skill-license",
            "error",
            "`license` names 'LICENSE.txt', which is not in the skill folder; add the file",
        ),
    ],
    "skill-description-placeholder": [
        (
            "plugins/tools/skills/hello/SKILL.md",
            3,
            "skill-description-placeholder",
            "warning",
            "`description` is still the placeholder `skillport new skill` wrote; say what the skill does and when Claude should use it (Claude picks skills by this sentence)",
        ),
    ],
    "skill-body-length": [
        (
            "plugins/tools/skills/hello/SKILL.md",
            5,
            "skill-body-length",
            "warning",
            "the body has 600 lines (~750 tokens); keep it under 500 lines and move detail into references/ files it links to",
        ),
    ],
    "skill-listing-length": [
        (
            "plugins/tools/skills/hello/SKILL.md",
            3,
            "skill-listing-length",
            "warning",
            "description and when_to_use have 1600 characters; Claude Code cuts the listing at 1536: shorten them",
        ),
        (
            "plugins/tools/skills/hello/SKILL.md",
            4,
            "frontmatter-unknown-key",
            "warning",
            "`when_to_use` is a Claude Code extension, not a portable key; it stops the skill from being shared with Claude.ai or Desktop",
        ),
    ],
    "skill-link-missing": [
        (
            "plugins/tools/skills/hello/SKILL.md",
            5,
            "skill-link",
            "warning",
            "link 'notes/missing.md' points to a file that is not in the skill",
        ),
    ],
    "skill-link-escape": [
        (
            "plugins/tools/skills/hello/SKILL.md",
            5,
            "skill-link",
            "error",
            "link '../../../../README.md' points outside the plugin folder",
        ),
    ],
    "skill-link-backslash": [
        (
            "plugins/tools/skills/hello/SKILL.md",
            5,
            "skill-link",
            "warning",
            "link 'references\\\\checklist.md' uses backslashes; use forward slashes",
        ),
    ],
    "yaml-ambiguous": [
        (
            "plugins/tools/skills/hello/SKILL.md",
            3,
            "yaml-ambiguous",
            "warning",
            "unquoted value 'Greets people' is followed by ` #`, which starts a comment: the rest of the line is dropped; put the whole value in quotes",
        ),
        (
            "plugins/tools/skills/hello/SKILL.md",
            4,
            "skill-license",
            "error",
            "`license` must be a string, not a boolean",
        ),
        (
            "plugins/tools/skills/hello/SKILL.md",
            4,
            "yaml-ambiguous",
            "warning",
            "unquoted value 'yes' is a boolean to some YAML readers and a string to others; put the whole value in quotes",
        ),
    ],
    "bundle-junk": [
        (
            "plugins/tools/skills/hello/.DS_Store",
            None,
            "bundle-junk",
            "warning",
            "file is left out of bundles; delete it and add it to .gitignore",
        ),
        (
            "plugins/tools/skills/hello/__pycache__",
            None,
            "bundle-junk",
            "warning",
            "folder is left out of bundles; delete it and add it to .gitignore",
        ),
        (
            "plugins/tools/skills/hello/evals",
            None,
            "bundle-junk",
            "warning",
            "evals/ is left out of the upload bundle (Claude.ai refuses it); keep evals elsewhere if they should ship",
        ),
    ],
    "bundle-size": [
        (
            "plugins/tools/skills/hello",
            None,
            "bundle-size",
            "error",
            "the skill's files add up to 260 bytes, over the 104 bytes upload limit; move large data out of the skill",
        ),
    ],
    "plugin-json-syntax": [
        (
            "plugins/tools/.claude-plugin/plugin.json",
            2,
            "plugin-json-syntax",
            "error",
            "plugins/tools/.claude-plugin/plugin.json is not valid JSON: Expecting value (column 13)",
        ),
    ],
    "plugin-json-array": [
        (
            "plugins/tools/.claude-plugin/plugin.json",
            1,
            "plugin-json-syntax",
            "error",
            "must hold a JSON object",
        ),
        (
            "plugins/tools/.claude-plugin/plugin.json",
            1,
            "plugin-metadata",
            "warning",
            'no `author`; add one ({"name": "Your Team"})',
        ),
        (
            "plugins/tools/.claude-plugin/plugin.json",
            1,
            "plugin-metadata",
            "warning",
            "no `description`; add one (one sentence for listings)",
        ),
    ],
    "plugin-name": [
        (
            ".claude-plugin/marketplace.json",
            12,
            "entry-name",
            "error",
            "plugins[0] (my tools): `name` 'my tools' must not contain spaces; use hyphens (e.g. `my-plugin`)",
        ),
        (
            ".skillport/access.yaml",
            5,
            "access-unknown-target",
            "error",
            "names plugin 'tools', which does not exist (did you mean `my tools`?); fix the name or remove the rule (a typo here would leave the real one unprotected)",
        ),
    ],
    "plugin-name-missing": [
        (
            "plugins/tools/.claude-plugin/plugin.json",
            1,
            "plugin-metadata",
            "warning",
            'no `author`; add one ({"name": "Your Team"})',
        ),
        (
            "plugins/tools/.claude-plugin/plugin.json",
            1,
            "plugin-name",
            "error",
            "`name` is required (the plugin's identifier, kebab-case)",
        ),
    ],
    "plugin-name-kebab": [
        (
            ".skillport/access.yaml",
            5,
            "access-unknown-target",
            "error",
            "names plugin 'tools', which does not exist; fix the name or remove the rule (a typo here would leave the real one unprotected)",
        ),
        (
            "plugins/tools/.claude-plugin/plugin.json",
            2,
            "plugin-name-kebab",
            "warning",
            "`name` 'Tools_Kit' is not kebab-case; Claude.ai organisation sync needs lowercase words joined by hyphens",
        ),
    ],
    "plugin-version": [
        (
            "plugins/tools/.claude-plugin/plugin.json",
            3,
            "plugin-version",
            "error",
            "`version` '1.x' is not a semantic version; use MAJOR.MINOR.PATCH (1.0.0)",
        ),
    ],
    "plugin-version-missing": [
        (
            "plugins/tools/.claude-plugin/plugin.json",
            2,
            "plugin-metadata",
            "warning",
            'no `author`; add one ({"name": "Your Team"})',
        ),
        (
            "plugins/tools/.claude-plugin/plugin.json",
            2,
            "plugin-version",
            "warning",
            'plugin tools has no `version`: Skillport builds it as 0.0.0, and the first bump writes 0.0.1 into it; add "version": "0.1.0" to choose where it starts',
        ),
    ],
    "plugin-author-string": [
        (
            "plugins/tools/.claude-plugin/plugin.json",
            5,
            "plugin-field",
            "error",
            "`author` must be an object, not a string",
        ),
    ],
    "plugin-keywords": [
        (
            "plugins/tools/.claude-plugin/plugin.json",
            9,
            "plugin-field",
            "error",
            "`keywords` must be a list, not a string",
        ),
    ],
    "plugin-homepage": [
        (
            "plugins/tools/.claude-plugin/plugin.json",
            9,
            "plugin-field",
            "error",
            "`homepage` must be an http(s) URL",
        ),
    ],
    "plugin-component-relative": [
        (
            "plugins/tools/.claude-plugin/plugin.json",
            9,
            "plugin-component-path",
            "error",
            "`commands` 'commands' must start with ./ (paths are relative to the plugin root)",
        ),
    ],
    "plugin-component-dotdot": [
        (
            "plugins/tools/.claude-plugin/plugin.json",
            9,
            "plugin-component-path",
            "error",
            "`agents` './../agents' must not contain `..`: a plugin may only use its own files",
        ),
    ],
    "plugin-component-missing": [
        (
            "plugins/tools/.claude-plugin/plugin.json",
            9,
            "plugin-component-path",
            "error",
            "`commands` './cmds' does not exist in the plugin folder",
        ),
    ],
    "plugin-component-hooks-ext": [
        (
            "plugins/tools/.claude-plugin/plugin.json",
            9,
            "plugin-component-path",
            "error",
            "`hooks` './hooks/hooks.yaml' must name a .json file",
        ),
        (
            "plugins/tools/hooks/hooks.yaml",
            1,
            "plugin-hooks",
            "error",
            "hooks/hooks.yaml is not valid JSON: Expecting value (column 1)",
        ),
    ],
    "plugin-layout-extra": [
        (
            "plugins/tools/.claude-plugin/notes.md",
            None,
            "plugin-layout",
            "warning",
            "only plugin.json belongs in .claude-plugin/ (Claude Code ignores the rest); move this file to the plugin root",
        ),
    ],
    "plugin-layout-skill": [
        (
            "plugins/tools/skills/hello/.claude-plugin/plugin.json",
            None,
            "plugin-layout",
            "error",
            "a skill folder must not contain .claude-plugin/; plugin manifests belong at the plugin root",
        ),
    ],
    "plugin-layout-claude-md": [
        (
            "plugins/tools/CLAUDE.md",
            None,
            "plugin-layout",
            "warning",
            "Claude Code ignores a plugin's CLAUDE.md; put the guidance in a skill instead",
        ),
    ],
    "plugin-hooks-json": [
        (
            "plugins/tools/hooks/hooks.json",
            2,
            "plugin-hooks",
            "error",
            "hooks/hooks.json is not valid JSON: Expecting property name enclosed in double quotes (column 1)",
        ),
    ],
    "plugin-hooks-event": [
        (
            "plugins/tools/hooks/hooks.json",
            3,
            "plugin-hooks",
            "error",
            "unknown hook event 'BeforeToolUse' (did you mean `PreToolUse`?)",
        ),
    ],
    "plugin-mcp-json": [
        (
            "plugins/tools/.mcp.json",
            1,
            "plugin-mcp",
            "error",
            ".mcp.json is not valid JSON: Expecting property name enclosed in double quotes (column 2)",
        ),
    ],
    "plugin-mcp-type": [
        (
            "plugins/tools/.mcp.json",
            3,
            "plugin-mcp",
            "error",
            'MCP server \'docs\' has a `url` but no `type`; add "type": "http" (or "sse")',
        ),
    ],
    "plugin-unknown-key": [
        (
            "plugins/tools/.claude-plugin/plugin.json",
            9,
            "plugin-unknown-key",
            "warning",
            "unknown key `homepag` (did you mean `homepage`?); remove it",
        ),
    ],
    "plugin-folder-missing": [
        (
            ".claude-plugin/marketplace.json",
            13,
            "plugin-folder-missing",
            "error",
            "plugins[0] (tools): `source` './plugins/nope' is not a folder in the repository; create it or fix the path",
        ),
        (
            "plugins/tools",
            None,
            "plugin-unlisted",
            "warning",
            "has a plugin.json but is not listed in marketplace.json; add an entry or delete it",
        ),
    ],
    "plugin-unlisted": [
        (
            "plugins/extra",
            None,
            "plugin-unlisted",
            "warning",
            "has a plugin.json but is not listed in marketplace.json; add an entry or delete it",
        ),
    ],
    "marketplace-missing": [
        (
            ".claude-plugin/marketplace.json",
            None,
            "marketplace-missing",
            "error",
            "no marketplace manifest; run `skillport init` or create .claude-plugin/marketplace.json",
        ),
    ],
    "marketplace-json-syntax": [
        (
            ".claude-plugin/marketplace.json",
            3,
            "marketplace-json-syntax",
            "error",
            ".claude-plugin/marketplace.json is not valid JSON: Expecting value (column 15)",
        ),
    ],
    "marketplace-json-array": [
        (".claude-plugin/marketplace.json", 1, "marketplace-json-syntax", "error", "must hold a JSON object"),
    ],
    "marketplace-name": [
        (
            ".claude-plugin/marketplace.json",
            2,
            "marketplace-name",
            "error",
            "`name` 'corp skills' must not contain spaces; use hyphens (e.g. `my-marketplace`)",
        ),
    ],
    "marketplace-name-slash": [
        (
            ".claude-plugin/marketplace.json",
            2,
            "marketplace-name",
            "error",
            "`name` 'corp/skills' may only use letters, digits, `-`, `.` and `_`, starting with a letter or digit",
        ),
    ],
    "marketplace-name-kebab": [
        (
            ".claude-plugin/marketplace.json",
            2,
            "marketplace-name-kebab",
            "warning",
            "`name` 'Corp_Skills' should be kebab-case",
        ),
    ],
    "marketplace-name-reserved": [
        (
            ".claude-plugin/marketplace.json",
            2,
            "marketplace-name-reserved",
            "error",
            "`name` 'claude-plugins-official' is reserved by Claude Code for an official marketplace; choose another",
        ),
    ],
    "marketplace-name-impersonation": [
        (
            ".claude-plugin/marketplace.json",
            2,
            "marketplace-name-reserved",
            "error",
            "`name` 'anthropic-official-marketplace' looks like an official Anthropic marketplace, which Claude Code refuses; choose another",
        ),
    ],
    "marketplace-name-internal": [
        (
            ".claude-plugin/marketplace.json",
            2,
            "marketplace-name-reserved",
            "error",
            "`name` 'builtin' is a name Claude Code uses internally; choose another",
        ),
    ],
    "marketplace-owner-missing": [
        (
            ".claude-plugin/marketplace.json",
            1,
            "marketplace-owner",
            "error",
            "`owner` is required (who maintains it)",
        ),
    ],
    "marketplace-owner-name": [
        (".claude-plugin/marketplace.json", 3, "marketplace-owner", "error", "`owner.name` is required"),
    ],
    "marketplace-plugins-type": [
        (
            ".claude-plugin/marketplace.json",
            10,
            "marketplace-plugins",
            "error",
            "`plugins` must be a list, not an object",
        ),
    ],
    "marketplace-empty": [
        (
            ".claude-plugin/marketplace.json",
            10,
            "marketplace-empty",
            "warning",
            "`plugins` is empty; add a plugin",
        ),
        (
            "plugins/tools",
            None,
            "plugin-unlisted",
            "warning",
            "has a plugin.json but is not listed in marketplace.json; add an entry or delete it",
        ),
    ],
    "marketplace-description": [
        (
            ".claude-plugin/marketplace.json",
            2,
            "marketplace-description",
            "warning",
            'no description; add "metadata": {"description": "..."} so people know what this is',
        ),
    ],
    "marketplace-field": [
        (
            ".claude-plugin/marketplace.json",
            7,
            "marketplace-field",
            "error",
            "`metadata` must be an object, not a string",
        ),
    ],
    "marketplace-unknown-key": [
        (
            ".claude-plugin/marketplace.json",
            21,
            "marketplace-unknown-key",
            "warning",
            "unknown key `plugin` (did you mean `plugins`?)",
        ),
    ],
    "entry-name-missing": [
        (
            ".claude-plugin/marketplace.json",
            11,
            "entry-name",
            "error",
            "plugins[0]: `name` is required (the plugin's name, as in its plugin.json)",
        ),
        (
            ".skillport/access.yaml",
            5,
            "access-unknown-target",
            "error",
            "names plugin 'tools', which does not exist; fix the name or remove the rule (a typo here would leave the real one unprotected)",
        ),
    ],
    "entry-name-mismatch": [
        (
            ".claude-plugin/marketplace.json",
            12,
            "entry-name",
            "error",
            "plugins[0] (toolbox): `name` differs from plugin.json's 'tools'; use the same name",
        ),
    ],
    "entry-duplicate": [
        (
            ".claude-plugin/marketplace.json",
            21,
            "entry-duplicate",
            "error",
            "plugins[1]: 'tools' is already listed at plugins[0]; each plugin must be listed once",
        ),
        (
            "plugins/tools/skills/hello/SKILL.md",
            None,
            "skill-name-duplicate",
            "warning",
            "skill 'hello' is in another plugin too: Claude Code installs both (as tools/hello and tools/hello), but Claude.ai and Desktop keep one skill per name, so a person who uploads both keeps only one; rename one, or tag one plugin surface:CC",
        ),
    ],
    "entry-field": [
        (
            ".claude-plugin/marketplace.json",
            16,
            "entry-field",
            "error",
            "plugins[0] (tools): `tags` must be a list, not a string",
        ),
    ],
    "entry-unknown-key": [
        (
            ".claude-plugin/marketplace.json",
            19,
            "entry-unknown-key",
            "warning",
            "plugins[0] (tools): unknown key `sauce` (did you mean `source`?); remove it",
        ),
    ],
    "entry-source-missing": [
        (
            ".claude-plugin/marketplace.json",
            11,
            "entry-source-path",
            "error",
            "plugins[0] (tools): `source` is required (./path inside the repo, or a source object)",
        ),
        (
            "plugins/tools",
            None,
            "plugin-unlisted",
            "warning",
            "has a plugin.json but is not listed in marketplace.json; add an entry or delete it",
        ),
    ],
    "entry-source-relative": [
        (
            ".claude-plugin/marketplace.json",
            13,
            "entry-source-path",
            "error",
            "plugins[0] (tools): `source` 'plugins/tools' must be a relative path starting with ./",
        ),
    ],
    "entry-source-dotdot": [
        (
            ".claude-plugin/marketplace.json",
            13,
            "entry-source-path",
            "error",
            "plugins[0] (tools): `source` './../tools' must not contain `..` or backslashes",
        ),
        (
            "plugins/tools",
            None,
            "plugin-unlisted",
            "warning",
            "has a plugin.json but is not listed in marketplace.json; add an entry or delete it",
        ),
    ],
    "entry-source-absolute": [
        (
            ".claude-plugin/marketplace.json",
            13,
            "entry-source-path",
            "error",
            "plugins[0] (tools): `source` '/srv/tools' must be a relative path starting with ./",
        ),
        (
            "plugins/tools",
            None,
            "plugin-unlisted",
            "warning",
            "has a plugin.json but is not listed in marketplace.json; add an entry or delete it",
        ),
    ],
    "entry-source-github": [
        (
            ".claude-plugin/marketplace.json",
            13,
            "entry-source-object",
            "error",
            "plugins[0] (tools): `repo` 'not a repo' must be OWNER/REPO (in a `github` source)",
        ),
        (
            ".claude-plugin/marketplace.json",
            13,
            "remote-entries",
            "note",
            "1 remote entry: checked for shape here: tools (github); `skillport build` fetches github, url, git-subdir and npm sources at their commit or version and validates their files (archive and command sources are not built)",
        ),
        (
            ".claude-plugin/marketplace.json",
            13,
            "remote-unpinned",
            "warning",
            "plugins[0] (tools): not pinned, so each build takes what its ref names then; add `sha` (the 40-hex commit) for a build anyone can reproduce (`skillport build --strict` refuses unpinned entries)",
        ),
        (
            "plugins/tools",
            None,
            "plugin-unlisted",
            "warning",
            "has a plugin.json but is not listed in marketplace.json; add an entry or delete it",
        ),
    ],
    "entry-source-sha": [
        (
            ".claude-plugin/marketplace.json",
            13,
            "entry-source-object",
            "error",
            "plugins[0] (tools): `sha` must be a full 40-character lowercase commit hash (in a `github` source)",
        ),
        (
            ".claude-plugin/marketplace.json",
            13,
            "remote-entries",
            "note",
            "1 remote entry: checked for shape here: tools (github); `skillport build` fetches github, url, git-subdir and npm sources at their commit or version and validates their files (archive and command sources are not built)",
        ),
        (
            "plugins/tools",
            None,
            "plugin-unlisted",
            "warning",
            "has a plugin.json but is not listed in marketplace.json; add an entry or delete it",
        ),
    ],
    "entry-source-archive": [
        (
            ".claude-plugin/marketplace.json",
            13,
            "entry-source-object",
            "error",
            "plugins[0] (tools): `url` must use https:// (in a `archive` source)",
        ),
        (
            ".claude-plugin/marketplace.json",
            13,
            "remote-entries",
            "note",
            "1 remote entry: checked for shape here: tools (archive); `skillport build` fetches github, url, git-subdir and npm sources at their commit or version and validates their files (archive and command sources are not built)",
        ),
        (
            "plugins/tools",
            None,
            "plugin-unlisted",
            "warning",
            "has a plugin.json but is not listed in marketplace.json; add an entry or delete it",
        ),
    ],
    "entry-source-archive-sha": [
        (
            ".claude-plugin/marketplace.json",
            13,
            "entry-source-object",
            "error",
            "plugins[0] (tools): `sha256` must be 64 lowercase hex characters (in a `archive` source)",
        ),
        (
            ".claude-plugin/marketplace.json",
            13,
            "remote-entries",
            "note",
            "1 remote entry: checked for shape here: tools (archive); `skillport build` fetches github, url, git-subdir and npm sources at their commit or version and validates their files (archive and command sources are not built)",
        ),
        (
            "plugins/tools",
            None,
            "plugin-unlisted",
            "warning",
            "has a plugin.json but is not listed in marketplace.json; add an entry or delete it",
        ),
    ],
    "entry-source-kind": [
        (
            ".claude-plugin/marketplace.json",
            13,
            "entry-source-object",
            "error",
            "plugins[0] (tools): `source.source` 'ftp' is not one of: archive, command, git-subdir, github, npm, url",
        ),
        (
            "plugins/tools",
            None,
            "plugin-unlisted",
            "warning",
            "has a plugin.json but is not listed in marketplace.json; add an entry or delete it",
        ),
    ],
    "entry-source-subdir": [
        (
            ".claude-plugin/marketplace.json",
            13,
            "entry-source-object",
            "error",
            "plugins[0] (tools): a `git-subdir` source needs `source.path`",
        ),
        (
            ".claude-plugin/marketplace.json",
            13,
            "remote-entries",
            "note",
            "1 remote entry: checked for shape here: tools (git-subdir); `skillport build` fetches github, url, git-subdir and npm sources at their commit or version and validates their files (archive and command sources are not built)",
        ),
        (
            ".claude-plugin/marketplace.json",
            13,
            "remote-unpinned",
            "warning",
            "plugins[0] (tools): not pinned, so each build takes what its ref names then; add `sha` (the 40-hex commit) for a build anyone can reproduce (`skillport build --strict` refuses unpinned entries)",
        ),
        (
            "plugins/tools",
            None,
            "plugin-unlisted",
            "warning",
            "has a plugin.json but is not listed in marketplace.json; add an entry or delete it",
        ),
    ],
    "entry-strict-components": [
        (
            ".claude-plugin/marketplace.json",
            19,
            "entry-strict-components",
            "error",
            "plugins[0] (tools): `strict: false` with commands in the entry while the plugin also has a plugin.json: Claude Code refuses to load these conflicting manifests; remove `strict: false` or move the components into plugin.json",
        ),
    ],
    "plugin-name-reserved": [
        (
            ".claude-plugin/marketplace.json",
            12,
            "plugin-name-reserved",
            "error",
            "plugins[0]: plugin name 'claude-tools' passes as one of Anthropic's own, which Claude Code refuses; name it for what it does",
        ),
        (
            ".skillport/access.yaml",
            5,
            "access-unknown-target",
            "error",
            "names plugin 'tools', which does not exist; fix the name or remove the rule (a typo here would leave the real one unprotected)",
        ),
        (
            "plugins/tools/.claude-plugin/plugin.json",
            2,
            "plugin-name-reserved",
            "error",
            "plugin name 'claude-tools' passes as one of Anthropic's own, which Claude Code refuses; name it for what it does",
        ),
    ],
    "plugin-name-lookalike": [
        (
            ".claude-plugin/marketplace.json",
            12,
            "plugin-name-reserved",
            "warning",
            "plugins[0]: plugin name 'my-claude-kit' reads as one of Anthropic's own; name it for what it does",
        ),
        (
            "plugins/tools/.claude-plugin/plugin.json",
            2,
            "plugin-name-reserved",
            "warning",
            "plugin name 'my-claude-kit' reads as one of Anthropic's own; name it for what it does",
        ),
    ],
    "plugin-metadata": [
        (
            "plugins/tools/.claude-plugin/plugin.json",
            2,
            "plugin-metadata",
            "warning",
            'no `author`; add one ({"name": "Your Team"})',
        ),
        (
            "plugins/tools/.claude-plugin/plugin.json",
            2,
            "plugin-metadata",
            "warning",
            "no `description`; add one (one sentence for listings)",
        ),
    ],
    "symlink-inside": [
        (
            "plugins/tools/skills/hello/checklist.md",
            None,
            "symlink",
            "warning",
            "is a symlink (references/checklist.md); bundles copy what it points to, but Claude Code does not follow it when it reads the plugin in place: replace it with the real file or folder",
        ),
    ],
    "plugin-hooks-unwrapped": [
        (
            "plugins/tools/hooks/hooks.json",
            1,
            "plugin-hooks",
            "error",
            'a hooks file must hold {"hooks": {"EventName": [...]}}; wrap the events',
        ),
    ],
    "plugin-mcp-bom": [
        (
            "plugins/tools/.mcp.json",
            1,
            "plugin-mcp",
            "error",
            ".mcp.json starts with a byte-order mark, which Claude Code refuses; save it as UTF-8 without BOM",
        ),
    ],
    "plugin-mcp-kind": [
        (
            "plugins/tools/.mcp.json",
            3,
            "plugin-mcp",
            "error",
            "MCP server 'a' has `type` 'grpc'; use one of http, sse, stdio, streamable-http, ws",
        ),
        (
            "plugins/tools/.mcp.json",
            7,
            "plugin-mcp",
            "error",
            "MCP server 'b' needs a `command` to run (or a `url` and a `type`)",
        ),
    ],
    "plugin-component-skills-file": [
        (
            "plugins/tools/.claude-plugin/plugin.json",
            9,
            "plugin-component-path",
            "error",
            "`skills` './skills/hello/SKILL.md' must name a folder of skills, not a file",
        ),
    ],
    "plugin-component-agents-folder": [
        (
            "plugins/tools/.claude-plugin/plugin.json",
            9,
            "plugin-component-path",
            "error",
            "`agents` './agents' must name a .md file: Claude Code refuses to install a plugin whose `agents` names a folder",
        ),
    ],
    "plugin-component-listed-files": [
        (
            "plugins/tools/.claude-plugin/plugin.json",
            9,
            "plugin-component-path",
            "warning",
            "`commands` lists files (./commands/review.md); Claude Code 2.1.332 loads none of them from plugin.json: keep them in commands/ and drop the list, or list them in the plugin's marketplace entry",
        ),
    ],
    "entry-component-missing": [
        (
            ".claude-plugin/marketplace.json",
            19,
            "plugin-component-path",
            "error",
            "plugins[0] (tools): `skills` './more-skills' does not exist in the plugin folder",
        ),
    ],
    "marketplace-metadata-key": [
        (
            ".claude-plugin/marketplace.json",
            9,
            "marketplace-unknown-key",
            "warning",
            "unknown key `metadata.pluginroot` (did you mean `pluginRoot`?)",
        ),
    ],
    "entry-version": [
        (
            ".claude-plugin/marketplace.json",
            15,
            "entry-version",
            "error",
            "plugins[0] (tools): `version` 'one' is not a semantic version; use MAJOR.MINOR.PATCH (1.0.0)",
        ),
    ],
    "entry-version-mismatch": [
        (
            ".claude-plugin/marketplace.json",
            15,
            "entry-version-mismatch",
            "warning",
            "plugins[0] (tools): `version` 1.1.0 differs from plugin.json's 1.0.0; Claude Code installs plugin.json's, and so does Skillport: make them equal or drop it here",
        ),
    ],
    "marketplace-renames-loop": [
        (
            ".claude-plugin/marketplace.json",
            22,
            "marketplace-renames",
            "error",
            "`renames` loops: a -> b -> a",
        ),
    ],
    "marketplace-renames-dangling": [
        (
            ".claude-plugin/marketplace.json",
            22,
            "marketplace-renames",
            "error",
            "`renames` sends 'old-tools' to 'gone', which is not a listed plugin; end the chain at a listed plugin or null",
        ),
    ],
    "surface-tag": [
        (
            ".claude-plugin/marketplace.json",
            16,
            "surface-tag",
            "error",
            "plugins[0] (tools): unknown surface tag 'surface:WEB'; use one of surface:CC, surface:CD, surface:CAI, surface:CDAI, surface:CALL",
        ),
    ],
    "skill-name-duplicate": [
        (
            "plugins/more/skills/hello/SKILL.md",
            None,
            "skill-name-duplicate",
            "warning",
            "skill 'hello' is in another plugin too: Claude Code installs both (as tools/hello and more/hello), but Claude.ai and Desktop keep one skill per name, so a person who uploads both keeps only one; rename one, or tag one plugin surface:CC",
        ),
    ],
    "symlinks": [
        (
            "plugins/tools/skills/hello/dangling.md",
            None,
            "symlink-broken",
            "error",
            "symlink is broken or loops (missing.md); fix or remove it",
        ),
        (
            "plugins/tools/skills/hello/host.txt",
            None,
            "symlink-escape",
            "error",
            "symlink points outside the repository (/etc/hostname); copy the file in instead",
        ),
    ],
    "file-name-chars": [
        (
            "plugins/tools/skills/hello/notes\u202etxt.md",
            None,
            "file-name-chars",
            "error",
            "path contains invisible or control characters (U+202E); rename it",
        ),
    ],
    "path-case-collision": [
        (
            "plugins/tools/skills/hello/notes.md",
            None,
            "path-case-collision",
            "error",
            "differs from 'skills/hello/Notes.md' only by case; the two collide on macOS and Windows and in zip extraction: rename one",
        ),
    ],
    "file-unreadable": [
        (
            "plugins/tools/skills/hello/pipe",
            None,
            "file-unreadable",
            "error",
            "is not a regular file (a pipe, socket or device); remove it",
        ),
    ],
    "file-size": [
        (
            "plugins/tools/.claude-plugin/plugin.json",
            None,
            "file-size",
            "error",
            "is 164 bytes, over the 10 bytes limit; shrink it or list it under `large_files` in .skillport/validate.yaml",
        ),
        (
            "plugins/tools/skills/hello/SKILL.md",
            None,
            "file-size",
            "error",
            "is 236 bytes, over the 10 bytes limit; shrink it or list it under `large_files` in .skillport/validate.yaml",
        ),
        (
            "plugins/tools/skills/hello/references/checklist.md",
            None,
            "file-size",
            "error",
            "is 24 bytes, over the 10 bytes limit; shrink it or list it under `large_files` in .skillport/validate.yaml",
        ),
    ],
    "file-size-allowed": [
        (
            "plugins/tools/.claude-plugin/plugin.json",
            None,
            "file-size",
            "error",
            "is 164 bytes, over the 104 bytes limit; shrink it or list it under `large_files` in .skillport/validate.yaml",
        ),
    ],
    "secret": [
        (
            "plugins/tools/skills/hello/references/setup.md",
            3,
            "secret",
            "error",
            "looks like a GitHub token (fingerprint c142b185c6c7); remove it and revoke it, or, if it is not a secret, waive it under `secrets_allow` in .skillport/validate.yaml",
        ),
    ],
    "secret-private-key": [
        (
            "plugins/tools/skills/hello/key.pem",
            1,
            "secret",
            "error",
            "looks like a private key (fingerprint 03d104c669e3); remove it and revoke it, or, if it is not a secret, waive it under `secrets_allow` in .skillport/validate.yaml",
        ),
    ],
    "secret-assignment": [
        (
            "plugins/tools/skills/hello/config.py",
            1,
            "secret",
            "error",
            "looks like a hard-coded credential (fingerprint 7b4232a18f26); remove it and revoke it, or, if it is not a secret, waive it under `secrets_allow` in .skillport/validate.yaml",
        ),
    ],
    "access-missing": [
        (
            ".skillport/access.yaml",
            None,
            "access-missing",
            "note",
            "no access policy yet: Claude Code does not need one, but `skillport build` and the proxy refuse to go on without it (they fail closed); `skillport new access` writes one that lets every signed-in user read everything, to edit from there",
        ),
    ],
    "access-syntax": [
        (
            ".skillport/access.yaml",
            1,
            "access-syntax",
            "error",
            ".skillport/access.yaml is not valid YAML: did not find expected alphabetic or numeric character",
        ),
    ],
    "access-schema": [
        (".skillport/access.yaml", 2, "access-schema", "error", "unknown key `defaults.reader`"),
    ],
    "access-principal": [
        (
            ".skillport/access.yaml",
            2,
            "access-principal",
            "error",
            "defaults.read: principal 'bob@example.com' is not well-formed; use `*`, `user:<email>`, `domain:<domain>`, `group:<name>` or `google:<uid>`",
        ),
        (
            ".skillport/access.yaml",
            2,
            "access-principal",
            "error",
            "defaults.read: principal 'group:' is not well-formed; use `*`, `user:<email>`, `domain:<domain>`, `group:<name>` or `google:<uid>`",
        ),
    ],
    "access-unknown-target": [
        (
            ".skillport/access.yaml",
            3,
            "access-unknown-target",
            "error",
            "names skill 'helo', which does not exist (did you mean `hello`?); fix the name or remove the rule (a typo here would leave the real one unprotected)",
        ),
    ],
    "access-legacy-json": [
        (
            ".skillport/access.json",
            9,
            "access-unknown-target",
            "error",
            "names skill 'nope', which does not exist; fix the name or remove the rule (a typo here would leave the real one unprotected)",
        ),
    ],
    "lifecycle-syntax": [
        (
            ".skillport/lifecycle.yaml",
            2,
            "lifecycle-syntax",
            "error",
            ".skillport/lifecycle.yaml is not valid YAML: did not find expected node content",
        ),
    ],
    "lifecycle-schema": [
        (
            ".skillport/lifecycle.yaml",
            2,
            "lifecycle-schema",
            "error",
            "yanked[0]: `version` 'one' is not a semantic version; use MAJOR.MINOR.PATCH (1.0.0)",
        ),
    ],
    "lifecycle-unknown-target": [
        (
            ".skillport/lifecycle.yaml",
            None,
            "lifecycle-unknown-target",
            "warning",
            "`deprecated[0]` names 'helo', which is not a skill or plugin here (did you mean `hello`?); fix or remove it",
        ),
    ],
    "config-syntax": [
        (
            ".skillport/validate.yaml",
            2,
            "config-syntax",
            "error",
            ".skillport/validate.yaml is not valid YAML: did not find expected node content",
        ),
    ],
    "config-schema": [
        (
            ".skillport/validate.yaml",
            1,
            "config-schema",
            "error",
            "unknown key `max_file_mbs` (did you mean `max_file_mb`?)",
        ),
    ],
}
