from __future__ import annotations

import pytest

from skillport_build.repo.documents import (
    MAX_YAML_NODES,
    DocumentError,
    JsonDocument,
    YamlDocument,
    decode_text,
)


def test_json_lines_follow_key_paths() -> None:
    doc = JsonDocument.parse("m.json", b'{\n  "a": {\n    "b": [1,\n      2]\n  }\n}\n')
    assert doc.line(("a",)) == 2
    assert doc.line(("a", "b", 1)) == 4
    assert doc.line(("a", "missing")) == 2  # deepest part that exists
    assert doc.line(()) == 1


def test_json_syntax_error_has_its_line() -> None:
    with pytest.raises(DocumentError) as err:
        JsonDocument.parse("m.json", b'{\n  "a": 1,\n  "b": \n}')
    assert err.value.line == 4
    assert err.value.message.startswith("is not valid JSON: Expecting value")


def test_json_keys_with_slashes_are_escaped() -> None:
    doc = JsonDocument.parse("m.json", b'{\n "a/b": {\n  "c~d": 1}}')
    assert doc.line(("a/b", "c~d")) == 3


def test_yaml_lines_are_offset_by_where_the_text_starts() -> None:
    doc = YamlDocument.parse("SKILL.md", "name: x\nmetadata:\n  k: v\n", first_line=2)
    assert doc.data == {"name": "x", "metadata": {"k": "v"}}
    assert doc.line(("name",)) == 2
    assert doc.line(("metadata", "k")) == 4


def test_yaml_syntax_error_has_its_line() -> None:
    with pytest.raises(DocumentError) as err:
        YamlDocument.parse("SKILL.md", "name: x\ndescription: a: b\n", first_line=2)
    assert err.value.line == 3


def test_yaml_alias_bomb_is_refused_quickly() -> None:
    text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for name, prev in zip("bcdefgh", "abcdefg", strict=True):
        text += f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]\n"
    with pytest.raises(DocumentError, match=f"more than {MAX_YAML_NODES:,}"):
        YamlDocument.parse("SKILL.md", text)


def test_yaml_recursive_alias_is_refused() -> None:
    with pytest.raises(DocumentError, match="aliases"):
        YamlDocument.parse("x.yaml", "a: &a [*a]\n")


@pytest.mark.parametrize(
    ("text", "shown"), [("?\n", "null (an empty `?` key)"), ("name: x\n1: one\n", "1"), ("true: y\n", "true")]
)
def test_yaml_keys_that_are_not_names_are_refused_with_their_line(text: str, shown: str) -> None:
    with pytest.raises(DocumentError) as err:
        YamlDocument.parse("SKILL.md", text, first_line=2)
    assert (
        str(err.value.args[0]) == f"has a key that is not a name: {shown}; keys are names like `description`"
    )
    assert err.value.line == 2 + text.count("\n") - 1
    assert YamlDocument.parse("x.yaml", "base: &b {a: 1}\nmore:\n  <<: *b\n  '1': quoted\n").data["more"] == {
        "a": 1,
        "1": "quoted",
    }


def test_yaml_is_safe_loaded() -> None:
    with pytest.raises(DocumentError):
        YamlDocument.parse("x.yaml", "a: !!python/object/apply:os.system ['true']\n")


@pytest.mark.parametrize(
    ("raw", "message"),
    [(b"\x00\x01", "binary"), (b"ok\n\xff", r"not valid UTF-8 \(byte 0xff\)")],
)
def test_decode_refuses_binary_and_bad_utf8(raw: bytes, message: str) -> None:
    with pytest.raises(DocumentError, match=message):
        decode_text(raw)


def test_decode_accepts_a_bom() -> None:
    assert decode_text("\ufeffhi".encode()) == "hi"
