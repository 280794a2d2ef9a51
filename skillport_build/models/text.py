"""Text for people: the few formatting helpers reports, pages and messages share."""

from __future__ import annotations

MB = 1024 * 1024


def human_size(size: float) -> str:
    """Write a byte count for people: 512 bytes, 3.2 KB, 41.0 MB."""
    if size < 1024:
        return f"{size:.0f} bytes"
    if size < MB:
        return f"{size / 1024:.1f} KB"
    return f"{size / MB:.1f} MB"
