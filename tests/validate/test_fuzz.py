"""Mutated manifests and front matter never crash the validator: they give diagnostics."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from factory import make_marketplace, marketplace_json, plugin_json
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from skillport_build.validate import validate_path

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
MARKET_KEYS = ["name", "owner", "plugins", "metadata", "renames", "description"]
ENTRY_KEYS = ["name", "source", "version", "tags", "strict", "author", "commands", "skills"]
PLUGIN_KEYS = [
    "name",
    "version",
    "author",
    "keywords",
    "commands",
    "hooks",
    "mcpServers",
    "skills",
    "homepage",
]


def _mutate(doc: dict[str, Any], key: str, value: Any, delete: bool) -> dict[str, Any]:
    doc = dict(doc)
    if delete:
        doc.pop(key, None)
    else:
        doc[key] = value
    return doc


def _check(files: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = make_marketplace(Path(tmp) / "m", files)
        report = validate_path(root)
        for d in report.diagnostics:
            assert d.message and d.rule and d.path


fuzz = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@fuzz
@given(st.sampled_from(MARKET_KEYS), json_values, st.booleans())
def test_mutated_marketplace_json(key: str, value: Any, delete: bool) -> None:
    _check({".claude-plugin/marketplace.json": _mutate(marketplace_json(), key, value, delete)})


@fuzz
@given(st.sampled_from(ENTRY_KEYS), json_values, st.booleans())
def test_mutated_entry(key: str, value: Any, delete: bool) -> None:
    entry = _mutate(marketplace_json()["plugins"][0], key, value, delete)
    _check({".claude-plugin/marketplace.json": marketplace_json([entry])})


@fuzz
@given(st.sampled_from(PLUGIN_KEYS), json_values, st.booleans())
def test_mutated_plugin_json(key: str, value: Any, delete: bool) -> None:
    _check({"plugins/tools/.claude-plugin/plugin.json": _mutate(plugin_json(), key, value, delete)})


@fuzz
@given(
    st.dictionaries(
        st.sampled_from(
            ["name", "description", "metadata", "allowed-tools", "license", "compatibility", "version"]
        ),
        json_values,
        max_size=6,
    )
)
def test_mutated_front_matter(front: dict[str, Any]) -> None:
    text = "---\n" + json.dumps(front) + "\n---\n# Body\n"  # JSON is YAML: any value shape
    _check({"plugins/tools/skills/hello/SKILL.md": text})


@fuzz
@given(st.binary(max_size=300))
def test_arbitrary_bytes_as_skill_md(raw: bytes) -> None:
    _check({"plugins/tools/skills/hello/SKILL.md": b"---\n" + raw})


@fuzz
@given(st.text(max_size=300))
@example("?")  # front matter whose one key is null: it crashed validate once
@example("1: one\ntrue: yes")
def test_arbitrary_text_as_every_manifest(text: str) -> None:
    _check(
        {
            ".skillport/access.yaml": text,
            "plugins/tools/.claude-plugin/plugin.json": text,
            "plugins/tools/skills/hello/SKILL.md": "---\n" + text + "\n---\n",
        }
    )
