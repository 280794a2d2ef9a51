"""Rules for one plugin folder and its marketplace entry (FORMATS.md rules 19-25, 33, 34)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from skillport_build.models.marketplace import ENTRY_KEYS
from skillport_build.models.names import KEBAB, PLUGIN_NAME, did_you_mean, reserved_plugin_reason
from skillport_build.models.plugin import (
    COMPONENT_KEYS,
    CONFIG_COMPONENTS,
    ENTRY_ONLY_KEYS,
    KNOWN_KEYS,
    listed_paths,
)
from skillport_build.repo.diagnostics import Diagnostic, Severity
from skillport_build.repo.documents import DocumentError, JsonDocument
from skillport_build.repo.marketplace import UNVERSIONED, Plugin
from skillport_build.repo.paths import MARKETPLACE_JSON, PLUGIN_JSON
from skillport_build.repo.rules import rule

# The hook events Claude Code 2.1.332 knows; any other is ignored at run time.
HOOK_EVENTS = frozenset(
    {
        "PreToolUse",
        "PostToolUse",
        "PostToolUseFailure",
        "PostToolBatch",
        "Notification",
        "UserPromptSubmit",
        "UserPromptExpansion",
        "SessionStart",
        "SessionEnd",
        "Stop",
        "StopFailure",
        "SubagentStart",
        "SubagentStop",
        "PreCompact",
        "PostCompact",
        "PreModelSwitch",
        "PostModelSwitch",
        "PermissionRequest",
        "PermissionDenied",
        "Setup",
        "TeammateIdle",
        "TaskCreated",
        "TaskCompleted",
        "Elicitation",
        "ElicitationResult",
        "ConfigChange",
        "WorktreeCreate",
        "WorktreeRemove",
        "InstructionsLoaded",
        "CwdChanged",
        "FileChanged",
        "DirectoryAdded",
        "MessageDisplay",
        "PreSkillShellCommand",
    }
)
MCP_TYPES = frozenset({"stdio", "http", "streamable-http", "sse", "ws"})
# Entry components that clash with any plugin.json when the entry says `strict: false`.
STRICT_CLASH_KEYS = ("commands", "agents", "skills", "hooks", "outputStyles", "themes")
DEFAULT_HOOKS = "hooks/hooks.json"
DEFAULT_MCP = ".mcp.json"
DEFAULT_LSP = ".lsp.json"
# Where a default component lives when plugin.json names no path for it.
_DEFAULT_CONFIG = {"hooks": DEFAULT_HOOKS, "mcpServers": DEFAULT_MCP, "lspServers": DEFAULT_LSP}


def check_plugin(plugin: Plugin, doc: JsonDocument) -> Iterator[Diagnostic]:
    """Run every per-plugin rule that needs more than the manifest models."""
    yield from _manifest(plugin)
    yield from _entry(plugin, doc)
    yield from _components(plugin, doc)
    yield from _layout(plugin)
    yield from _configs(plugin)


def _manifest_path(plugin: Plugin) -> str:
    return plugin.rel(PLUGIN_JSON)


def _manifest_line(plugin: Plugin, key: str) -> int | None:
    return plugin.manifest_doc.line((key,)) if plugin.manifest_doc else None


def _raw(plugin: Plugin) -> dict[str, Any]:
    """plugin.json as parsed, so its rules still run when another field fails the model."""
    doc = plugin.manifest_doc
    return doc.data if doc is not None and isinstance(doc.data, dict) else {}


def _manifest(plugin: Plugin) -> Iterator[Diagnostic]:
    raw = _raw(plugin)
    path = _manifest_path(plugin)
    name = raw.get("name")
    if isinstance(name, str) and PLUGIN_NAME.match(name) and not KEBAB.match(name):
        yield rule("plugin-name-kebab")(
            path,
            _manifest_line(plugin, "name"),
            f"`name` {name!r} is not kebab-case; Claude.ai organisation sync needs "
            "lowercase words joined by hyphens",
        )
    if isinstance(name, str):
        yield from reserved_name(name, path, lambda: _manifest_line(plugin, "name"), "")
    for key in raw:
        if key in ENTRY_ONLY_KEYS:
            yield rule("plugin-unknown-key")(
                path,
                _manifest_line(plugin, key),
                f"`{key}` belongs in the plugin's entry in marketplace.json, not in plugin.json; move it",
            )
        elif key not in KNOWN_KEYS:
            yield rule("plugin-unknown-key")(
                path,
                _manifest_line(plugin, key),
                f"unknown key `{key}`{did_you_mean(key, KNOWN_KEYS)}; remove it",
            )
    for key, what in (("description", "one sentence for listings"), ("author", '{"name": "Your Team"}')):
        if plugin.manifest_doc is not None and key not in raw:
            yield rule("plugin-metadata")(
                path, _manifest_line(plugin, "name"), f"no `{key}`; add one ({what})"
            )
    if plugin.version is None and "version" not in raw:
        where = plugin.manifest_doc.path if plugin.manifest_doc else MARKETPLACE_JSON
        yield rule("plugin-version")(
            where,
            _manifest_line(plugin, "name") if plugin.manifest_doc else None,
            f"plugin {plugin.name} has no `version`: Skillport builds it as {UNVERSIONED}, and the first "
            'bump writes 0.0.1 into it; add "version": "0.1.0" to choose where it starts',
            Severity.WARNING,
        )


def reserved_name(name: str, path: str, line: Callable[[], int | None], label: str) -> Iterator[Diagnostic]:
    """Claude Code refuses plugin names that pass as Anthropic's own, and frowns on look-alikes."""
    if found := reserved_plugin_reason(name):
        reason, is_error = found
        yield rule("plugin-name-reserved")(
            path,
            line(),
            f"{label}plugin name {name!r} {reason}; name it for what it does",
            Severity.ERROR if is_error else Severity.WARNING,
        )


def _entry(plugin: Plugin, doc: JsonDocument) -> Iterator[Diagnostic]:
    entry, manifest = plugin.entry, plugin.manifest
    label = f"plugins[{plugin.index}] ({entry.name})"

    def line(key: str) -> int | None:
        return doc.line(("plugins", plugin.index, key))

    if manifest is not None and manifest.name != entry.name:
        yield rule("entry-name")(
            MARKETPLACE_JSON,
            line("name"),
            f"{label}: `name` differs from plugin.json's {manifest.name!r}; use the same name",
        )
    if manifest and manifest.version and entry.version and manifest.version != entry.version:
        yield rule("entry-version-mismatch")(
            MARKETPLACE_JSON,
            line("version"),
            f"{label}: `version` {entry.version} differs from plugin.json's {manifest.version}; "
            "Claude Code installs plugin.json's, and so does Skillport: make them equal or drop it here",
        )
    declared = [k for k in STRICT_CLASH_KEYS if k in entry.model_fields_set or k in (entry.model_extra or {})]
    if entry.strict is False and declared and plugin.manifest_doc is not None:
        yield rule("entry-strict-components")(
            MARKETPLACE_JSON,
            line("strict"),
            f"{label}: `strict: false` with {', '.join(declared)} in the entry while the plugin also "
            "has a plugin.json: Claude Code refuses to load these conflicting manifests; remove "
            "`strict: false` or move the components into plugin.json",
        )
    for key in entry.model_extra or {}:
        if key not in ENTRY_KEYS:
            yield rule("entry-unknown-key")(
                MARKETPLACE_JSON,
                line(key),
                f"{label}: unknown key `{key}`{did_you_mean(key, ENTRY_KEYS)}; remove it",
            )


def _components(plugin: Plugin, doc: JsonDocument) -> Iterator[Diagnostic]:
    """Component paths in plugin.json and in the entry, checked as Claude Code checks them."""
    raw = _raw(plugin)
    names = {f.path for f in plugin.files}
    folders = {p.rsplit("/", i)[0] for p in names for i in range(1, p.count("/") + 1)}
    label = f"plugins[{plugin.index}] ({plugin.entry.name}): "
    for key in COMPONENT_KEYS:
        for path in listed_paths(raw.get(key)):
            if problem := _component_problem(key, path, names, folders):
                yield rule("plugin-component-path")(
                    _manifest_path(plugin), _manifest_line(plugin, key), f"`{key}` {path!r} {problem}"
                )
        for path in plugin.entry.component_paths(key):
            if problem := _component_problem(key, path, names, folders):
                where = doc.line(("plugins", plugin.index, key))
                yield rule("plugin-component-path")(
                    MARKETPLACE_JSON, where, f"{label}`{key}` {path!r} {problem}"
                )
        listed_files = [
            p for p in listed_paths(raw.get(key)) if key in ("commands", "agents") and p.endswith(".md")
        ]
        if listed_files:
            yield rule("plugin-component-path")(
                _manifest_path(plugin),
                _manifest_line(plugin, key),
                f"`{key}` lists files ({', '.join(listed_files)}); Claude Code 2.1.332 loads none of "
                f"them from plugin.json: keep them in {key}/ and drop the list, or list them in the "
                "plugin's marketplace entry",
                Severity.WARNING,
            )


def _component_problem(key: str, path: str, files: set[str], folders: set[str]) -> str | None:
    if key == "skills" and path == ".":
        return None
    if not path.startswith("./"):
        return "must start with ./ (paths are relative to the plugin root)"
    if ".." in path.split("/"):
        return "must not contain `..`: a plugin may only use its own files"
    rel = path[2:].rstrip("/")
    if key in CONFIG_COMPONENTS and not rel.endswith(".json"):
        return "must name a .json file"
    if key == "skills" and rel in files:
        return "must name a folder of skills, not a file"
    if rel not in files and rel not in folders and rel:
        return "does not exist in the plugin folder"
    if key == "agents" and not rel.endswith(".md"):
        return "must name a .md file: Claude Code refuses to install a plugin whose `agents` names a folder"
    return None


def _layout(plugin: Plugin) -> Iterator[Diagnostic]:
    for f in plugin.files:
        if f.path.startswith(".claude-plugin/") and f.path != PLUGIN_JSON:
            if plugin.path == "." and f.path == MARKETPLACE_JSON:
                continue
            yield rule("plugin-layout")(
                plugin.rel(f.path),
                None,
                "only plugin.json belongs in .claude-plugin/ (Claude Code ignores the rest); "
                "move this file to the plugin root",
                Severity.WARNING,
            )
    if any(f.path == "CLAUDE.md" for f in plugin.files):
        yield rule("plugin-layout")(
            plugin.rel("CLAUDE.md"),
            None,
            "Claude Code ignores a plugin's CLAUDE.md; put the guidance in a skill instead",
            Severity.WARNING,
        )


def _configs(plugin: Plugin) -> Iterator[Diagnostic]:
    raw = _raw(plugin)
    for key, default in _DEFAULT_CONFIG.items():
        value = raw.get(key)
        if isinstance(value, dict):
            yield from _check_config(plugin, key, value, None)
            continue
        for path in listed_paths(value) or [default]:
            rel = path.removeprefix("./")
            entry = next((f for f in plugin.files if f.path == rel), None)
            if entry is None or entry.data is None:
                continue
            if key == "mcpServers" and entry.data.startswith(b"\xef\xbb\xbf"):
                yield rule("plugin-mcp")(
                    plugin.rel(rel),
                    1,
                    f"{rel} starts with a byte-order mark, which Claude Code refuses; "
                    "save it as UTF-8 without BOM",
                )
                continue
            try:
                doc = JsonDocument.parse(plugin.rel(rel), entry.data)
            except DocumentError as exc:
                yield rule(_CONFIG_RULE[key])(plugin.rel(rel), exc.line, f"{rel} {exc.message}")
                continue
            yield from _check_config(plugin, key, doc.data, doc)


_CONFIG_RULE = {"hooks": "plugin-hooks", "mcpServers": "plugin-mcp", "lspServers": "plugin-mcp"}


def _check_config(plugin: Plugin, key: str, data: Any, doc: JsonDocument | None) -> Iterator[Diagnostic]:
    path = doc.path if doc else _manifest_path(plugin)

    def line(*loc: str | int) -> int | None:
        if doc is None:
            return _manifest_line(plugin, key)
        return doc.line(loc)

    if not isinstance(data, dict):
        yield rule(_CONFIG_RULE[key])(path, line(), "must hold a JSON object")
        return
    if key == "hooks":
        if doc is not None and "hooks" not in data and "modules" not in data:
            yield rule("plugin-hooks")(
                path, line(), 'a hooks file must hold {"hooks": {"EventName": [...]}}; wrap the events'
            )
            return
        events = data.get("hooks", {}) if doc is not None else data
        if not isinstance(events, dict):
            yield rule("plugin-hooks")(path, line("hooks"), "`hooks` must map event names to lists")
            return
        prefix: tuple[str, ...] = ("hooks",) if doc is not None else ()
        for event in events:
            if event not in HOOK_EVENTS:
                yield rule("plugin-hooks")(
                    path,
                    line(*prefix, event),
                    f"unknown hook event {event!r}{did_you_mean(event, HOOK_EVENTS)}",
                )
    elif key == "mcpServers":
        servers = data.get("mcpServers", data)
        if not isinstance(servers, dict):
            return
        for name, server in servers.items():
            where = line("mcpServers", name) if "mcpServers" in data else line(name)
            if problem := _mcp_problem(server):
                yield rule("plugin-mcp")(path, where, f"MCP server {name!r} {problem}")


def _mcp_problem(server: Any) -> str | None:
    if not isinstance(server, dict):
        return "must be an object"
    kind = server.get("type")
    if "url" in server and kind is None:
        return 'has a `url` but no `type`; add "type": "http" (or "sse")'
    if kind is not None and kind not in MCP_TYPES:
        return f"has `type` {kind!r}; use one of {', '.join(sorted(MCP_TYPES))}"
    if kind in (None, "stdio") and "url" not in server and not isinstance(server.get("command"), str):
        return "needs a `command` to run (or a `url` and a `type`)"
    return None
