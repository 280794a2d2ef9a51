"""Name rules shared by skills, plugins, marketplaces and file paths."""

from __future__ import annotations

import re
import unicodedata

KEBAB = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
PLUGIN_NAME = re.compile(r"^[A-Za-z0-9][-A-Za-z0-9._]*$")
SKILL_NAME_MAX = 64

# Bidirectional overrides/isolates/marks and zero-width characters: invisible, and able to make
# a name or path read differently from what it is.
_INVISIBLE = {
    *range(0x202A, 0x202F),
    *range(0x2066, 0x206A),
    0x200E,
    0x200F,
    0x061C,
    *range(0x200B, 0x200E),
    0x2060,
    0xFEFF,
    0x180E,
}

# Claude Code refuses these marketplace names at `marketplace add` (internal or reserved).
INTERNAL_MARKETPLACE_NAMES = frozenset({"inline", "builtin", "skills-dir", "synced", "claude-plugin-test"})
# Official Anthropic marketplace names: `claude plugin marketplace add` refuses them for anyone else.
RESERVED_MARKETPLACE_NAMES = frozenset(
    {
        "agent-skills",
        "anthropic-agent-skills",
        "anthropic-marketplace",
        "anthropic-plugin-directory",
        "anthropic-plugins",
        "claude-code-marketplace",
        "claude-code-plugins",
        "claude-community",
        "claude-for-financial-services",
        "claude-for-legal",
        "claude-plugin-directory",
        "claude-plugins-community",
        "claude-plugins-official",
        "claude-tag-plugins",
        "financial-services-plugins",
        "first-party-plugins",
        "healthcare",
        "knowledge-work-plugins",
        "life-sciences",
    }
)
# Claude Desktop refuses these for organisation-provisioned marketplaces.
DESKTOP_RESERVED_MARKETPLACE_NAMES = frozenset({"org", "org-provisioned", "unknown"})
# How Claude Code 2.1.332 tells a look-alike of an official marketplace name: "official" beside
# "anthropic" or "claude" anywhere, or a name that starts with one of them followed by one of these.
_LOOKALIKE_WORDS = "marketplace|plugins|official|directory|directories"
_OFFICIAL_PAIR = r"official[^a-z0-9]*(?:anthropic|claude)|(?:anthropic|claude)[^a-z0-9]*official"
_IMPERSONATION = re.compile(
    rf"{_OFFICIAL_PAIR}|^(?:anthropic|claude)[^a-z0-9]*(?:{_LOOKALIKE_WORDS})", re.IGNORECASE
)
_SQUASHED = re.compile(r"official(?:anthropic|claude)|(?:anthropic|claude)official", re.IGNORECASE)
_JOINED = re.compile(rf"^(?:anthropic|claude)(?:{_LOOKALIKE_WORDS})s?$", re.IGNORECASE)
_JOINED_MAX = len("anthropic") + len("directories") + 1


def _impersonates(name: str) -> bool:
    """Whether Claude Code refuses `name` as a look-alike of an official marketplace name."""
    if _IMPERSONATION.search(name) or _IMPERSONATION.search(re.sub(r"^[^a-z0-9]+", "", name, flags=re.I)):
        return True
    if _SQUASHED.search(re.sub(r"[^a-z0-9]+", "", name, flags=re.I)):
        return True
    joined = ""
    for token in (t for t in re.split(r"[^a-z0-9]+", name, flags=re.I) if t):
        joined += token
        if _JOINED.match(joined):
            return True
        if len(joined) > _JOINED_MAX:
            break
    return False


def unsafe_characters(text: str) -> list[str]:
    """Return the control, bidi and zero-width characters in `text` as U+XXXX codes."""
    if text.isascii() and text.isprintable():  # no ASCII character is Cf; every Cc one is unprintable
        return []
    found = []
    for ch in text:
        code = ord(ch)
        if code in _INVISIBLE or unicodedata.category(ch) in {"Cc", "Cf"}:
            found.append(f"U+{code:04X}")
    return found


def reserved_marketplace_reason(name: str) -> str | None:
    """Say why Claude Code or Desktop would refuse this marketplace name, or return None."""
    lowered = name.lower()
    if lowered in INTERNAL_MARKETPLACE_NAMES:
        return "is a name Claude Code uses internally"
    if lowered in RESERVED_MARKETPLACE_NAMES:
        return "is reserved by Claude Code for an official marketplace"
    if lowered in DESKTOP_RESERVED_MARKETPLACE_NAMES:
        return "is reserved by Claude Desktop"
    if _impersonates(lowered):
        return "looks like an official Anthropic marketplace, which Claude Code refuses"
    return None


_RESERVED_PLUGIN_PREFIX = re.compile(r"^(claude|anthropics?|cc[^a-z0-9]*plugin)[^a-z0-9]+[a-z0-9]")
_RESERVED_PLUGIN_NAMES = frozenset({"claude", "anthropic", "anthropics", "claude-code", "claude-mods"})
_OFFICIAL = re.compile(r"official[^a-z0-9]*(anthropic|claude)|(anthropic|claude)[^a-z0-9]*official")
_MARK_WORDS = frozenset({"claude", "anthropic", "anthropics"})


def reserved_plugin_reason(name: str) -> tuple[str, bool] | None:
    """Say why Claude Code reserves this plugin name; the flag is True when it is an error."""
    lowered = name.lower()
    if (
        lowered in _RESERVED_PLUGIN_NAMES
        or _RESERVED_PLUGIN_PREFIX.match(lowered)
        or _OFFICIAL.search(lowered)
    ):
        return "passes as one of Anthropic's own, which Claude Code refuses", True
    if _MARK_WORDS & set(re.split(r"[^a-z0-9]+", lowered)):
        return "reads as one of Anthropic's own", False
    return None


def did_you_mean(word: str, choices: set[str] | frozenset[str]) -> str:
    """Return ' (did you mean `x`?)' for the closest choice, or an empty string."""
    import difflib

    match = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return f" (did you mean `{match[0]}`?)" if match else ""
