from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from skillport_build.models.names import (
    reserved_marketplace_reason,
    reserved_plugin_reason,
    unsafe_characters,
)


@pytest.mark.parametrize(
    "name",
    [
        "claude-plugins-official",
        "Agent-Skills",
        "builtin",
        "official-claude-marketplace",
        "claudeplugins",
        "org",
    ],
)
def test_reserved_marketplace_names(name: str) -> None:
    assert reserved_marketplace_reason(name)


@pytest.mark.parametrize("name", ["acme-skills", "claude-skills-team", "platform-tools"])
def test_ordinary_marketplace_names(name: str) -> None:
    assert reserved_marketplace_reason(name) is None


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("claude-demo", True),
        ("anthropic", True),
        ("cc-plugin-x", True),
        ("official-claude-kit", True),
        ("my-claude-kit", False),
        ("tools", None),
        ("claudedemo", None),
    ],
)
def test_reserved_plugin_names(name: str, error: bool | None) -> None:
    found = reserved_plugin_reason(name)
    assert (found[1] if found else None) == error


def test_unsafe_characters_are_named() -> None:
    assert unsafe_characters("a\u202eb\u200bc\x07") == ["U+202E", "U+200B", "U+0007"]
    assert unsafe_characters("plain-name_ok.md") == []


@given(st.text(alphabet=st.characters(max_codepoint=0x2FFF), max_size=12))
def test_unsafe_characters_are_every_control_format_and_invisible_one(text: str) -> None:
    """The ASCII shortcut finds what the character-by-character reading finds."""
    from skillport_build.models.names import _INVISIBLE

    expected = [
        f"U+{ord(ch):04X}" for ch in text if ord(ch) in _INVISIBLE or unicodedata.category(ch) in {"Cc", "Cf"}
    ]
    assert unsafe_characters(text) == expected
