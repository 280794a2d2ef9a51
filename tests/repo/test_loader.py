from __future__ import annotations

import dataclasses
import hashlib
import os
import sys
from collections import Counter
from pathlib import Path

import pytest
from factory import TEMPLATE, write

from skillport_build.errors import ManifestError
from skillport_build.models.skill import split_front_matter
from skillport_build.repo.loader import load

_OPENED: list[Counter[str]] = []  # a counter while a test is watching, else empty


def _audit(event: str, args: tuple[object, ...]) -> None:
    if _OPENED and event == "open" and isinstance(args[0], str | bytes | os.PathLike):
        _OPENED[0][os.fsdecode(args[0])] += 1


sys.addaudithook(_audit)


def test_loads_the_template_into_typed_immutable_objects() -> None:
    market = load(TEMPLATE)
    assert market.problems == ()
    assert market.manifest is not None and market.manifest.name == "acme-skills"
    assert len(market.plugins) >= 3
    skill = market.skills[0]
    assert skill.front_matter is not None and skill.front_matter.name == skill.name
    with pytest.raises(dataclasses.FrozenInstanceError):
        skill.name = "x"  # type: ignore[misc]
    with pytest.raises(Exception, match="frozen"):
        skill.front_matter.name = "x"  # type: ignore[misc]


def test_files_carry_size_digest_and_executable_bit(market: Path) -> None:
    script = market / "plugins/tools/skills/hello/scripts/run.sh"
    write(market, {"plugins/tools/skills/hello/scripts/run.sh": "#!/bin/sh\necho hi\n"})
    script.chmod(0o755)
    skill = load(market).skills[0]
    entry = skill.file("scripts/run.sh")
    assert entry is not None
    assert (entry.size, entry.executable) == (len(b"#!/bin/sh\necho hi\n"), True)
    assert entry.sha256 == hashlib.sha256(b"#!/bin/sh\necho hi\n").hexdigest()
    assert skill.file("SKILL.md") is not None and not skill.file("SKILL.md").executable  # type: ignore[union-attr]


def test_every_file_is_opened_once() -> None:
    _OPENED.append(Counter())
    try:
        load(TEMPLATE)
        opened = dict(_OPENED[0])
    finally:
        _OPENED.clear()
    files = {p for p in opened if p.startswith(str(TEMPLATE))}
    assert len(files) > 10
    assert {p: n for p, n in opened.items() if n > 1 and p in files} == {}


def test_in_repo_symlinks_are_read_through_but_never_out_of_the_tree(market: Path, tmp_path: Path) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_text("outside")
    skill_dir = market / "plugins/tools/skills/hello"
    os.symlink("references/checklist.md", skill_dir / "alias.md")
    os.symlink(outside, skill_dir / "leak.txt")
    os.symlink("..", skill_dir / "references" / "up")  # a loop back into the skill
    loaded = load(market)
    skill = loaded.skills[0]
    assert skill.file("alias.md").data == skill.file("references/checklist.md").data  # type: ignore[union-attr]
    assert skill.file("leak.txt") is None
    assert not any(b"outside" in (f.data or b"") for f in skill.files)
    assert {d.rule for d in loaded.plugins[0].problems} == {"symlink", "symlink-escape", "symlink-broken"}


def test_not_a_folder() -> None:
    with pytest.raises(ManifestError, match="not a folder"):
        load("/nonexistent/marketplace")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("---\nname: a\n---\nbody\n", ("name: a\n", "body\n", 4)),
        ("---\r\nname: a\r\n---\r\n", ("name: a\r\n", "", 4)),
        ("--- \nname: a\n---  \n# x", ("name: a\n", "# x", 4)),
        ("name: a\n", "SKILL.md must start with a `---` line, then YAML front matter, then `---`"),
        ("---\nname: a\n", "the front matter is never closed: add a `---` line after it"),
    ],
)
def test_split_front_matter(text: str, expected: object) -> None:
    assert split_front_matter(text) == expected
