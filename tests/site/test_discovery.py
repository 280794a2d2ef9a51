"""The discovery index of a static site: the shape the `skills` CLI parses, archives with SKILL.md at
their root, URLs relative to the index, digests of the bytes served."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path
from urllib.parse import urljoin

import pytest
from factory import TEMPLATE
from releasing import build_at

from skillport_build.errors import BuildError
from skillport_build.models.catalog import Catalog
from skillport_build.release.bundle import Entry, zip_bytes
from skillport_build.site.discovery import SCHEMA, agent_archive, listed, write_discovery
from skillport_build.site.render import folder_reader


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    build_at(TEMPLATE, out)
    return out


def test_the_index_names_each_skill_with_the_digest_of_its_archive(built: Path, tmp_path: Path) -> None:
    catalog = Catalog.load(built)
    assert write_discovery(catalog, folder_reader(built), tmp_path) == len(catalog.skills)
    index_url = "https://site.example/base/.well-known/skills/index.json"
    for folder in ("skills", "agent-skills"):
        index = json.loads((tmp_path / f".well-known/{folder}/index.json").read_text())
        assert index["$schema"] == SCHEMA
        assert [e["name"] for e in index["skills"]] == sorted(s.name for s in catalog.skills)
        for entry in index["skills"]:
            assert (
                set(entry) == {"name", "description", "type", "url", "digest"} and entry["type"] == "archive"
            )
            here = index_url.replace("/skills/", f"/{folder}/")
            served = urljoin(here, entry["url"]).removeprefix("https://site.example/base/")
            data = (tmp_path / served).read_bytes()
            assert entry["digest"] == f"sha256:{hashlib.sha256(data).hexdigest()}"


def test_an_archive_holds_the_bundles_files_at_its_root(built: Path) -> None:
    skill = Catalog.load(built).skill("csv-profiler")
    assert skill is not None
    bundle = (built / skill.bundle.path).read_bytes()
    archive = zipfile.ZipFile(io.BytesIO(agent_archive(bundle, "csv-profiler")))
    original = zipfile.ZipFile(io.BytesIO(bundle))
    files = sorted(n for n in archive.namelist() if not n.endswith("/"))
    assert "SKILL.md" in files and "scripts/profile_csv.py" in files
    for name in files:
        assert archive.read(name) == original.read(f"csv-profiler/{name}")
    assert (archive.getinfo("scripts/profile_csv.py").external_attr >> 16) & 0o111
    assert agent_archive(bundle, "csv-profiler") == agent_archive(bundle, "csv-profiler")


def test_an_entry_outside_the_skill_folder_is_refused() -> None:
    with pytest.raises(BuildError, match=r"x: bundle entry 'y/SKILL.md' is outside x/"):
        agent_archive(zip_bytes([Entry("y/SKILL.md", b"-")], 0), "x")


def test_a_name_two_plugins_share_is_left_out(built: Path) -> None:
    skills = Catalog.load(built).skills
    twin = skills[0].model_copy(update={"plugin": "other"})
    assert [s.name for s in listed([*skills, twin])] == sorted(s.name for s in skills[1:])


def test_only_the_chosen_skills(built: Path, tmp_path: Path) -> None:
    catalog = Catalog.load(built)
    chosen = [s.ref for s in catalog.skills if s.name == "pr-review"]
    assert write_discovery(catalog, folder_reader(built), tmp_path, chosen) == 1
    assert [p.name for p in (tmp_path / ".well-known/skills").iterdir() if p.is_dir()] == ["pr-review"]
