"""The Claude Code settings that make the proxy a URL marketplace Claude Code reads by itself.

Claude Code fetches a `url` marketplace with the headers its `headersHelper` prints, and sends the
same headers to `archive` sources on the marketplace's own origin, so one helper on the marketplace
source covers the listing and every download: the proxy's entries need no auth of their own (an
entry-level helper would also have to be `strict: false` with its manifest inlined). The helper is
`skillport auth-header URL`, so the token stays in the CLI's credentials and never in a settings
file. Claude Code adopts a declared marketplace when a session starts, and `autoUpdate` has it
refresh the listing and update installed plugins at each start after that.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from typing import Any

from skillport_build.errors import ClientError

MARKETPLACE_PATH = "/claude-code/marketplace.json"
# Claude Code refuses a headersHelper that is not printable ASCII or is too long to show for consent.
HELPER_TEXT = re.compile(r"^[\x21-\x7e]+( [\x21-\x7e]+)*$")
HELPER_MAX = 200

USER_FILE = "~/.claude/settings.json"
MANAGED_FILES = (
    "/etc/claude-code/managed-settings.json (Linux)",
    "/Library/Application Support/ClaudeCode/managed-settings.json (macOS)",
    r"C:\Program Files\ClaudeCode\managed-settings.json (Windows)",
)


@dataclass(frozen=True)
class SettingsFragment:
    """What to merge into a Claude Code settings file, and which file."""

    settings: dict[str, Any]
    files: tuple[str, ...]


def marketplace_settings(name: str, base_url: str, managed: bool = False) -> SettingsFragment:
    """The `extraKnownMarketplaces` entry for the proxy at `base_url` serving marketplace `name`:
    for a person's user settings, or (`managed`) for the managed settings an admin deploys."""
    base = base_url.rstrip("/")
    if not base.startswith("https://"):
        raise ClientError(
            f"{base} is not an https address: Claude Code downloads plugin archives only over https from "
            "a host that is not loopback, so it cannot install from this proxy directly; use "
            "`skillport claude-code sync` instead"
        )
    helper = f"skillport auth-header {shlex.quote(base)}"
    if not HELPER_TEXT.match(helper) or len(helper) > HELPER_MAX:
        raise ClientError(
            f"{base} cannot be written into a headersHelper (Claude Code accepts printable ASCII of at "
            f"most {HELPER_MAX} characters); use `skillport claude-code sync` instead"
        )
    source = {"source": "url", "url": base + MARKETPLACE_PATH, "headersHelper": helper}
    settings = {"extraKnownMarketplaces": {name: {"source": source, "autoUpdate": True}}}
    return SettingsFragment(settings, MANAGED_FILES if managed else (USER_FILE,))
