"""Addressing skills in a catalog: bare names where unique, plugin/skill (or plugin:skill) always."""

from __future__ import annotations

import json
from pathlib import Path

from factory import TEMPLATE, write
from layouts import REPEATED_NAMES
from releasing import build_at


def test_a_skill_is_found_by_every_form_of_its_address_and_never_by_a_shared_name(tmp_path: Path) -> None:
    repo = REPEATED_NAMES.write(tmp_path / "repo")
    write(repo, {".skillport/access.yaml": 'defaults: {read: ["*"]}\n'})
    catalog = build_at(repo, tmp_path / "out").catalog
    support = catalog.skill("support/start")
    assert support is not None and (support.plugin, support.ref, support.slug) == (
        "support",
        "support/start",
        "support.start",
    )
    assert catalog.skill("support:start") is support is catalog.skill("support.start")
    assert catalog.skill("start") is None
    escalate = catalog.skill("escalate")
    assert escalate is not None and escalate.id is None and catalog.skill("support/escalate") is escalate
    assert support.bundle.path == "bundles/support.start/2.1.0/start-2.1.0.zip"
    assert escalate.bundle.path == "bundles/escalate/2.1.0/escalate-2.1.0.zip"


def test_encode_writes_to_bytes_and_copies_known_records_unencoded(tmp_path: Path) -> None:
    catalog = build_at(TEMPLATE, tmp_path / "out").catalog
    data, spans = catalog.encode()
    assert data == catalog.to_bytes() == (tmp_path / "out/catalog.json").read_bytes()
    for record in catalog.records():
        at, length = spans[id(record)]
        assert json.loads(data[at : at + length]) == record.model_dump(mode="json", exclude_none=True)
    plugin = catalog.plugins[0]
    at, length = spans[id(plugin)]
    marked = data[at : at + length].replace(b'"name":', b'"name" :', 1)  # as given, not encoded again
    assert catalog.encode({id(plugin): marked})[0] == data[:at] + marked + data[at + length :]
    empty = catalog.model_copy(update={"plugins": (), "skills": ()})
    assert empty.encode()[0] == empty.to_bytes()
