"""Text for people: the few formatting helpers reports, pages and messages share."""

from __future__ import annotations

import unicodedata

MB = 1024 * 1024


def human_size(size: float) -> str:
    """Write a byte count for people: 512 bytes, 3.2 KB, 41.0 MB."""
    if size < 1024:
        return f"{size:.0f} bytes"
    if size < MB:
        return f"{size / 1024:.1f} KB"
    return f"{size / MB:.1f} MB"


def printable(text: str) -> str:
    """Text from elsewhere made safe for a terminal line: control and format characters (escape
    sequences, bidi overrides, zero-width marks) removed, runs of white space made one space."""
    kept = "".join(
        " " if ch.isspace() else ch
        for ch in text
        if unicodedata.category(ch) not in ("Cc", "Cf") or ch.isspace()
    )
    return " ".join(kept.split())
