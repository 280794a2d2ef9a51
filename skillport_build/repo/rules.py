"""Every validation rule: a stable id, its number in FORMATS.md, default severity and source.

Sources: SPEC (Agent Skills specification), REF (skills-ref), UP (Claude.ai / Skills API upload),
PKG (anthropics/skills packager), CC (Claude Code), SP (Skillport's own).
"""

from __future__ import annotations

from dataclasses import dataclass

from skillport_build.repo.diagnostics import Diagnostic, Severity

E, W, N = Severity.ERROR, Severity.WARNING, Severity.NOTE


@dataclass(frozen=True)
class Rule:
    """One check; call it to make a diagnostic."""

    id: str
    number: int
    severity: Severity
    summary: str
    sources: str

    def __call__(
        self, path: str, line: int | None, message: str, severity: Severity | None = None
    ) -> Diagnostic:
        """Make a diagnostic of this rule (severity defaults to the rule's)."""
        return Diagnostic(path, line, self.id, severity or self.severity, message)


_ALL = [
    # SKILL.md and the skill folder
    Rule("skill-md-missing", 1, E, "A skill folder holds a SKILL.md", "SPEC PKG"),
    Rule("skill-md-encoding", 2, E, "SKILL.md is UTF-8 text", "SPEC"),
    Rule("frontmatter-missing", 2, E, "SKILL.md opens and closes its front matter with ---", "SPEC"),
    Rule("frontmatter-syntax", 2, E, "The front matter is valid YAML, without alias bombs", "SPEC"),
    Rule("frontmatter-not-mapping", 2, E, "The front matter is a mapping of names", "SPEC PKG"),
    Rule("frontmatter-unknown-key", 3, E, "Only portable front-matter keys", "REF PKG UP CC"),
    Rule("skill-name-format", 4, E, "`name` is 1-64 lowercase letters, digits, hyphens", "SPEC UP"),
    Rule("skill-name-mismatch", 5, E, "`name` equals the skill's folder name", "SPEC REF"),
    Rule("skill-name-reserved", 6, E, "`name` avoids `anthropic` and `claude`", "UP"),
    Rule("skill-xml-tags", 7, E, "No XML tags or angle brackets in name/description", "UP PKG"),
    Rule("skill-description", 8, E, "`description` is non-empty, at most 1,024 chars", "SPEC UP"),
    Rule("skill-description-placeholder", 8, W, "`description` is not `new skill`'s placeholder", "SP"),
    Rule("skill-compatibility", 9, E, "`compatibility` is a string of 1-500 chars", "SPEC"),
    Rule("skill-metadata", 10, E, "`metadata` maps strings to strings", "SPEC"),
    Rule("skill-allowed-tools", 11, E, "`allowed-tools` is a space-separated string", "SPEC CC"),
    Rule("skill-license", 12, E, "`license` is a string; a named licence file exists", "SPEC"),
    Rule("skill-body-length", 13, W, "The body stays under 500 lines / ~5,000 tokens", "SPEC"),
    Rule("skill-listing-length", 14, W, "description + when_to_use fit Claude Code's list", "CC"),
    Rule("skill-link", 15, W, "Relative links resolve inside the skill", "SPEC"),
    Rule("yaml-ambiguous", 16, W, "Values YAML readers disagree on are quoted", "REF CC"),
    Rule("bundle-junk", 17, W, "No caches or OS junk in a skill", "UP PKG"),
    Rule("bundle-size", 17, E, "A skill's files fit the upload limits", "UP"),
    # plugin.json and the plugin folder
    Rule("plugin-json-syntax", 18, E, "plugin.json is valid JSON holding an object", "CC"),
    Rule("plugin-name", 19, E, "Plugin `name` is a valid identifier", "CC"),
    Rule("plugin-name-reserved", 19, E, "Plugin names do not pass as Anthropic's own", "CC"),
    Rule("plugin-name-kebab", 19, W, "Plugin `name` is kebab-case (Claude.ai org sync)", "CC"),
    Rule("plugin-version", 20, E, "`version` is a semantic version", "CC"),
    Rule("plugin-field", 21, E, "author/homepage/keywords/... have the right types", "CC"),
    Rule("plugin-metadata", 21, W, "plugin.json has a description and an author", "CC"),
    Rule("plugin-component-path", 22, E, "Component paths start with ./ and exist", "CC"),
    Rule("plugin-layout", 23, E, "Only plugin.json in .claude-plugin/; none in skills", "CC"),
    Rule("plugin-hooks", 24, E, "Hook configuration parses and names known events", "CC"),
    Rule("plugin-mcp", 24, E, "MCP configuration parses; URL servers have a type", "CC"),
    Rule("plugin-unknown-key", 25, W, "No unknown keys in plugin.json", "CC"),
    Rule("plugin-folder-missing", 31, E, "A listed plugin's folder exists", "CC"),
    Rule("plugin-unlisted", 30, W, "Every plugin folder is listed in marketplace.json", "SP"),
    # marketplace.json
    Rule("marketplace-missing", 26, E, "The repo has .claude-plugin/marketplace.json", "CC"),
    Rule("marketplace-json-syntax", 26, E, "marketplace.json is valid JSON holding an object", "CC"),
    Rule("marketplace-name", 27, E, "Marketplace `name` is a valid identifier", "CC"),
    Rule("marketplace-name-kebab", 27, W, "Marketplace `name` is kebab-case", "CC"),
    Rule("marketplace-name-reserved", 28, E, "Marketplace `name` is not reserved", "CC"),
    Rule("marketplace-owner", 29, E, "`owner` is an object with a non-empty `name`", "CC"),
    Rule("marketplace-plugins", 29, E, "`plugins` is a list", "CC"),
    Rule("marketplace-empty", 29, W, "`plugins` lists at least one plugin", "CC"),
    Rule("marketplace-description", 29, W, "The marketplace has a description", "CC"),
    Rule("marketplace-field", 29, E, "Marketplace fields have the right types", "CC"),
    Rule("marketplace-unknown-key", 25, W, "No unknown keys in marketplace.json", "CC"),
    Rule("entry-name", 30, E, "Each entry has a valid `name`", "CC"),
    Rule("entry-duplicate", 30, E, "Entry names are unique", "CC"),
    Rule("entry-field", 30, E, "Entry fields have the right types", "CC"),
    Rule("entry-unknown-key", 25, W, "No unknown keys in a marketplace entry", "CC"),
    Rule("entry-source-path", 31, E, "A path source is ./relative, inside the repo, exists", "CC"),
    Rule("entry-source-object", 32, E, "An object source is well-formed", "CC"),
    Rule("entry-strict-components", 33, E, "strict:false entries don't clash with plugin.json", "CC"),
    Rule("entry-version", 20, E, "Entry `version` is a semantic version", "CC"),
    Rule("entry-version-mismatch", 34, W, "Entry and plugin.json versions agree (plugin.json wins)", "CC SP"),
    Rule("remote-entries", 32, N, "Remote entries: shape checked here, files fetched by `build`", "SP"),
    Rule("remote-unpinned", 32, W, "A remote entry is pinned to a commit by `sha`", "SP"),
    Rule("marketplace-renames", 35, E, "`renames` chains end at a listed plugin or null", "CC"),
    Rule("surface-tag", 36, E, "`surface:` tags are CC, CD, CAI, CDAI or CALL", "SP"),
    # across the repo
    Rule(
        "skill-name-duplicate",
        38,
        W,
        "Upload-bound plugins do not share a skill name",
        "UP",
    ),
    Rule("symlink-escape", 39, E, "No symlink points outside the repo", "SP"),
    Rule("symlink-broken", 39, E, "No broken or looping symlinks", "SP"),
    Rule("symlink", 39, W, "No symlinks inside plugins (Claude Code does not read them)", "CC"),
    Rule("file-name-chars", 39, E, "No control, bidi or zero-width characters in paths", "SP"),
    Rule("path-case-collision", 39, E, "No paths differing only by case in a bundle", "SP"),
    Rule("file-unreadable", 39, E, "Every file is a readable regular file", "SP"),
    Rule("file-size", 40, E, "No file over the size limit without an override", "SP"),
    Rule("secret", 41, E, "No likely secrets in skill or plugin files", "SP"),
    Rule("access-missing", 42, N, "No access policy yet: the build and the proxy refuse to go on", "SP"),
    Rule("access-syntax", 42, E, "The access policy parses", "SP"),
    Rule("access-schema", 42, E, "The access policy has the documented shape", "SP"),
    Rule("access-principal", 42, E, "Every principal is well-formed", "SP"),
    Rule("access-unknown-target", 42, E, "Every plugin/skill named in the policy exists", "SP"),
    Rule("lifecycle-syntax", 43, E, ".skillport/lifecycle.yaml parses", "SP"),
    Rule("lifecycle-schema", 43, E, ".skillport/lifecycle.yaml has the documented shape", "SP"),
    Rule("lifecycle-unknown-target", 43, W, "Yanks and deprecations name existing skills", "SP"),
    Rule("config-syntax", 40, E, ".skillport/validate.yaml parses", "SP"),
    Rule("config-schema", 40, E, ".skillport/validate.yaml has the documented keys", "SP"),
]

RULES: dict[str, Rule] = {rule.id: rule for rule in _ALL}


def rule(rule_id: str) -> Rule:
    """Return the rule with this id (a KeyError here is a bug, not a user mistake)."""
    return RULES[rule_id]
