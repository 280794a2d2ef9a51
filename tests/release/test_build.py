from __future__ import annotations

import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import jsonschema
import pytest
from factory import TEMPLATE, make_marketplace, write
from layouts import LAYOUTS, Layout
from releasing import LATER, T0, build_at, template_checkout, zip_names, zip_text

from skillport_build.errors import BuildError, CatalogError, ValidationFailed
from skillport_build.models.catalog import SCHEMA_FILE, Catalog, json_schema
from skillport_build.release.build import BuildOptions, BuildResult, build
from skillport_build.release.bump import bump
from skillport_build.repo.buildcache import BuildCache, cache_salt
from skillport_build.repo.loader import load
from skillport_build.repo.remote import RemoteSources
from skillport_build.trust.minisign import generate
from skillport_build.trust.sign import sign_dir

PLUGIN = "plugins/tools/.claude-plugin/plugin.json"
MARKET = ".claude-plugin/marketplace.json"


def _tree(root: Path) -> dict[str, bytes]:
    files = sorted(p for p in root.rglob("*") if p.is_file() and ".cache" not in p.relative_to(root).parts)
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in files}


def test_two_builds_in_different_folders_at_different_times_are_identical(tmp_path: Path) -> None:
    first, second = tmp_path / "a" / "market", tmp_path / "b" / "elsewhere"
    shutil.copytree(TEMPLATE, first)
    shutil.copytree(TEMPLATE, second)
    (second / "plugins/writing/skills/release-notes/SKILL.md").touch()  # a newer mtime changes nothing
    one = build_at(first, tmp_path / "out1")
    two = build(second, BuildOptions(out=tmp_path / "out2", now=T0, commit="0" * 40, jobs=1))
    assert _tree(tmp_path / "out1") == _tree(tmp_path / "out2")
    assert one.catalog == two.catalog
    bundles = [p for p in _tree(tmp_path / "out1") if p.endswith(".zip")]
    assert len(bundles) == 11
    # Two builds a second apart share a 2-second zip time, so equal bytes alone would not catch
    # times taken from the clock: every entry carries the fixed epoch.
    for name in bundles:
        with zipfile.ZipFile(tmp_path / "out1" / name) as archive:
            assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}, name


def test_skill_zips_have_the_upload_layout_and_pass_unzip(tmp_path: Path) -> None:
    catalog = build_at(TEMPLATE, tmp_path / "out").catalog
    for skill in catalog.skills:
        path = tmp_path / "out" / skill.bundle.path
        assert skill.bundle.path == f"bundles/{skill.name}/1.0.0/{skill.name}-1.0.0.zip"
        names = zip_names(path)
        assert {n.split("/")[0] for n in names} == {skill.name}
        assert f"{skill.name}/SKILL.md" in names
        assert not any("__pycache__" in n or n.endswith(".DS_Store") for n in names)
        result = subprocess.run(["unzip", "-t", str(path)], capture_output=True, text=True, check=False)
        assert result.returncode == 0 and "No errors detected" in result.stdout, result.stdout
        stamped = zip_text(path, f"{skill.name}/SKILL.md")
        assert f"  version: 1.0.0\n  digest: {skill.digest}\n" in stamped
    for plugin in catalog.plugins:
        names = zip_names(tmp_path / "out" / plugin.bundle.path)
        assert ".claude-plugin/plugin.json" in names


def test_catalog_is_canonical_and_matches_the_shipped_schema(tmp_path: Path) -> None:
    result = build_at(TEMPLATE, tmp_path / "out")
    raw = (tmp_path / "out/catalog.json").read_bytes()
    data = json.loads(raw)
    assert raw == json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert json.loads(SCHEMA_FILE.read_text()) == json_schema()
    jsonschema.validate(data, json.loads(SCHEMA_FILE.read_text()))
    assert (data["catalog_version"], data["generated_at"], data["expires"]) == (
        1,
        "2026-11-01T12:00:00Z",
        "2026-12-01T12:00:00Z",
    )
    assert data["source"]["commit"] == "0" * 40
    assert data["access"]["plugins"]["operations"]["read"] == ["group:sre", "group:engineering-managers"]
    csv = result.catalog.skill("csv-profiler")
    assert csv is not None and csv.surfaces == ("claude-ai", "desktop")
    assert {f.path for f in csv.files} == {
        "SKILL.md",
        "references/interpreting-profiles.md",
        "scripts/profile_csv.py",
    }
    assert next(f for f in csv.files if f.path == "scripts/profile_csv.py").executable
    assert result.catalog.plugin("engineering").components == ("agents", "commands", "skills")  # type: ignore[union-attr]


def test_unchanged_skills_reuse_their_bundles_and_history_grows(market: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = build_at(market, out)
    write(market, {"plugins/tools/skills/hello/references/checklist.md": "# Checklist\n\n- Be kinder.\n"})
    with pytest.raises(
        BuildError, match=r"plugin tools: content changed but version 1\.0\.0 is already published"
    ):
        build_at(market, out, previous=first.catalog, now=LATER)
    write(
        market,
        {
            "plugins/tools/.claude-plugin/plugin.json": {
                **json.loads((market / "plugins/tools/.claude-plugin/plugin.json").read_text()),
                "version": "1.1.0",
            }
        },
    )
    write(
        market,
        {
            ".claude-plugin/marketplace.json": json.loads(
                (market / ".claude-plugin/marketplace.json").read_text().replace('"1.0.0"', '"1.1.0"')
            )
        },
    )
    second = build_at(market, out, previous=first.catalog, now=LATER)
    skill = second.catalog.skill("hello")
    assert skill is not None and [r.version for r in skill.history] == ["1.0.0", "1.1.0"]
    assert skill.history[0] == first.catalog.skill("hello").history[0]  # type: ignore[union-attr]
    assert skill.history[1].catalog_version == 2 and second.catalog.catalog_version == 2
    assert (out / "bundles/hello/1.0.0/hello-1.0.0.zip").is_file()  # old bundles stay
    third = build_at(market, out, previous=second.catalog, now=LATER)
    assert third.written == () and len(third.reused) == 2


def test_a_version_going_backwards_is_refused(market: Path, tmp_path: Path) -> None:
    first = build_at(market, tmp_path / "out")
    text = (market / "plugins/tools/.claude-plugin/plugin.json").read_text().replace("1.0.0", "0.9.0")
    write(market, {"plugins/tools/.claude-plugin/plugin.json": text})
    write(
        market,
        {
            ".claude-plugin/marketplace.json": (market / ".claude-plugin/marketplace.json")
            .read_text()
            .replace("1.0.0", "0.9.0")
        },
    )
    with pytest.raises(BuildError, match=r"plugin tools would go back from 1\.0\.0 to 0\.9\.0"):
        build_at(market, tmp_path / "out", previous=first.catalog)


def test_invalid_marketplaces_are_not_built(market: Path, tmp_path: Path) -> None:
    write(market, {"plugins/tools/skills/hello/SKILL.md": "no front matter\n"})
    with pytest.raises(ValidationFailed, match=r"1 validation error(?s:.*)frontmatter-missing"):
        build_at(market, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_removed_skills_are_remembered(tmp_path: Path) -> None:
    root = make_marketplace(
        tmp_path / "m",
        {"plugins/tools/skills/bye/SKILL.md": "---\nname: bye\ndescription: Says bye.\n---\nBye.\n"},
    )
    first = build_at(root, tmp_path / "out")
    write(root, {"plugins/tools/skills/bye": None})
    write(
        root,
        {
            "plugins/tools/.claude-plugin/plugin.json": (root / "plugins/tools/.claude-plugin/plugin.json")
            .read_text()
            .replace("1.0.0", "1.0.1")
        },
    )
    write(
        root,
        {
            ".claude-plugin/marketplace.json": (root / ".claude-plugin/marketplace.json")
            .read_text()
            .replace("1.0.0", "1.0.1")
        },
    )
    second = build_at(root, tmp_path / "out", previous=first.catalog, now=LATER)
    assert [(r.kind, r.name, r.last_version, r.removed_in) for r in second.catalog.removed] == [
        ("skill", "bye", "1.0.0", 2)
    ]
    assert second.catalog.skill("bye") is None


def test_catalog_round_trips(tmp_path: Path) -> None:
    catalog = build_at(TEMPLATE, tmp_path / "out").catalog
    assert Catalog.load(tmp_path / "out") == catalog


def test_incremental_build_reads_only_the_changed_plugin(tmp_path: Path) -> None:
    root = tmp_path / "m"
    shutil.copytree(TEMPLATE, root)
    out = tmp_path / "out"
    first = build_at(root, out)
    again = load(root, BuildCache.open(out, cache_salt(None)))
    assert all(p.cached for p in again.plugins)
    write(
        root,
        {
            "plugins/writing/skills/release-notes/SKILL.md": (
                root / "plugins/writing/skills/release-notes/SKILL.md"
            ).read_text()
            + "\nOne more tip.\n"
        },
    )
    bump(root, plugins=("writing",))
    second = build_at(root, out, previous=first.catalog, now=LATER)
    assert sorted(second.written) == [
        "bundles/decision-record/1.0.1/decision-record-1.0.1.zip",
        "bundles/release-notes/1.0.1/release-notes-1.0.1.zip",
        "plugins/writing/1.0.1/writing-1.0.1.zip",
    ]
    cached = load(root, BuildCache.open(out, cache_salt(None)))
    assert [p.name for p in cached.plugins if not p.cached] == []
    fresh = build_at(root, tmp_path / "fresh", previous=first.catalog, now=LATER, incremental=False)
    assert fresh.catalog == second.catalog  # the cache changes speed, never the result


def test_cache_misses_on_any_change_and_survives_damage(tmp_path: Path) -> None:
    root = tmp_path / "m"
    shutil.copytree(TEMPLATE, root)
    out = tmp_path / "out"
    build_at(root, out)
    notes = root / "plugins/operations/skills/incident-postmortem/SKILL.md"
    notes.write_text(notes.read_text().replace("a", "b", 1))  # same size, new content
    market = load(root, BuildCache.open(out, cache_salt(None)))
    assert [p.name for p in market.plugins if not p.cached] == ["operations"]
    assert not any(
        p.cached for p in load(root, BuildCache.open(out, cache_salt(b"max_file_mb: 5\n"))).plugins
    )
    (out / ".cache/skillport-build.json").write_text("{not json")
    assert not any(p.cached for p in load(root, BuildCache.open(out, cache_salt(None))).plugins)


def test_a_deleted_bundle_is_rebuilt_even_from_the_cache(tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = build_at(TEMPLATE, out)
    gone = out / "bundles/pr-review/1.0.0/pr-review-1.0.0.zip"
    original = gone.read_bytes()
    gone.unlink()
    again = build_at(TEMPLATE, out, previous=first.catalog)
    assert again.written == ("bundles/pr-review/1.0.0/pr-review-1.0.0.zip",)
    assert gone.read_bytes() == original


def test_a_plugin_without_a_version_builds_as_0_0_0_and_the_first_bump_versions_it(
    market: Path, tmp_path: Path
) -> None:
    manifest = json.loads((market / PLUGIN).read_text())
    del manifest["version"]
    entries = json.loads((market / MARKET).read_text())
    del entries["plugins"][0]["version"]
    write(market, {PLUGIN: manifest, MARKET: entries})
    first = build_at(market, tmp_path / "one").catalog
    assert [p.version for p in first.plugins] == ["0.0.0"]
    (market / "plugins/tools/skills/hello/references/checklist.md").write_text("# Changed\n")
    assert [(b.old, b.new) for b in bump(market, changed_since=first)] == [("0.0.0", "0.0.1")]
    assert json.loads((market / PLUGIN).read_text())["version"] == "0.0.1"
    assert [p.version for p in build_at(market, tmp_path / "two", previous=first).catalog.plugins] == [
        "0.0.1"
    ]


def test_a_dirty_work_tree_and_skipped_remote_entries_are_named_after_a_build(
    market: Path, tmp_path: Path
) -> None:
    git = ["git", "-C", str(market), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "start"], check=True)
    assert build(market, BuildOptions(out=tmp_path / "clean", now=T0)).warnings == ()
    entries = json.loads((market / MARKET).read_text())
    entries["plugins"].append({"name": "elsewhere", "source": {"source": "github", "repo": "acme/x"}})
    entries["plugins"].append({"name": "packaged", "source": {"source": "npm", "package": "@acme/y"}})
    write(market, {MARKET: entries})
    skip = RemoteSources(tmp_path / "remote", skip=True)
    warnings = build(market, BuildOptions(out=tmp_path / "dirty", now=T0, remote=skip)).warnings
    assert len(warnings) == 2
    assert warnings[0].startswith("the working tree has uncommitted changes: the catalog records commit ")
    assert warnings[1] == (
        "not built: elsewhere (github:acme/x): --remote skip; packaged (npm:@acme/y): --remote skip"
    )


def test_a_rebuild_after_one_change_equals_a_full_build_and_keeps_the_other_records(tmp_path: Path) -> None:
    root = tmp_path / "m"
    shutil.copytree(TEMPLATE, root)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)
    out = tmp_path / "out"
    build_at(root, out)
    sign_dir(out, generate())  # the published catalog carries proofs: its records are still ours
    signed = (out / "catalog.json").read_bytes()
    previous = Catalog.load(out / "catalog.json")
    assert previous.proofs
    notes = root / "plugins/writing/skills/release-notes/SKILL.md"
    notes.write_text(notes.read_text() + "\nOne more tip.\n")
    bump(root, plugins=("writing",))
    again = build_at(root, out, previous_bytes=signed, now=LATER)  # as published: proofs and all
    fresh = build_at(root, tmp_path / "fresh", previous=previous, now=LATER, incremental=False)
    assert (out / "catalog.json").read_bytes() == (tmp_path / "fresh/catalog.json").read_bytes()
    assert again.catalog == fresh.catalog
    for path in fresh.written + fresh.reused:
        assert (out / path).read_bytes() == (tmp_path / "fresh" / path).read_bytes(), path
    assert "operations" in again.copied and "writing" not in again.copied  # copied as bytes, or made
    assert again.warnings == ()
    unchanged = build_at(root, out, previous=again.catalog, now=LATER)  # parsed, no bytes: not vouched for
    assert unchanged.copied == ()


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda layout: layout.id)
def test_in_every_layout_family_a_rebuild_after_edits_equals_a_full_build(
    layout: Layout, tmp_path: Path
) -> None:
    root = layout.write(tmp_path / "m")
    if not (root / ".skillport/access.yaml").exists():
        write(root, {".skillport/access.yaml": 'defaults:\n  read: ["*"]\n'})
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)
    out = tmp_path / "out"
    offline = RemoteSources(tmp_path / "remote", skip=True)  # the layout's hosts do not exist
    build_at(root, out, remote=offline)
    first_skill = sorted(root.rglob("SKILL.md"))[0]
    first_skill.write_text(first_skill.read_text() + "\nOne more step.\n")  # tracked, edited
    (first_skill.parent / "notes.md").write_text("untracked\n")
    again = build_at(root, out, now=LATER, remote=offline)
    fresh = build_at(root, tmp_path / "fresh", now=LATER, incremental=False, remote=offline)
    assert (out / "catalog.json").read_bytes() == (tmp_path / "fresh/catalog.json").read_bytes()
    assert again.catalog == fresh.catalog
    for path in fresh.written:
        assert (out / path).read_bytes() == (tmp_path / "fresh" / path).read_bytes(), path


def _incremental_equals_full(root: Path, out: Path, fresh: Path, previous: Path) -> BuildResult:
    """Rebuild `root` into `out` from the catalog file `previous` (its bytes, as the CLI passes
    them), and from nothing into `fresh`; the two must agree byte for byte."""
    again = build_at(root, out, previous_bytes=previous.read_bytes(), now=LATER)
    full = build_at(root, fresh, previous=Catalog.load(previous), now=LATER, incremental=False)
    assert (out / "catalog.json").read_bytes() == (fresh / "catalog.json").read_bytes()
    assert again.catalog == full.catalog
    for path in full.written + full.reused:
        assert (out / path).read_bytes() == (fresh / path).read_bytes(), path
    return again


def test_a_file_git_does_not_know_yet_is_seen_by_the_rebuild(tmp_path: Path) -> None:
    root, out = template_checkout(tmp_path, "m"), tmp_path / "out"
    build_at(root, out)
    shutil.copy(out / "catalog.json", tmp_path / "previous.json")
    write(root, {"plugins/engineering/skills/pr-review/references/extra.md": "untracked\n"})
    bump(root, plugins=("engineering",))  # plugin.json edited, not committed
    again = _incremental_equals_full(root, out, tmp_path / "fresh", tmp_path / "previous.json")
    skill = again.catalog.skill("pr-review")
    assert skill is not None and "references/extra.md" in {f.path for f in skill.files}
    assert "writing" in again.copied and "engineering" not in again.copied  # the others are copied


def test_a_deleted_plugin_disappears_from_the_rebuild(tmp_path: Path) -> None:
    root, out = template_checkout(tmp_path, "m"), tmp_path / "out"
    build_at(root, out)
    shutil.copy(out / "catalog.json", tmp_path / "previous.json")
    entries = json.loads((root / MARKET).read_text())
    entries["plugins"] = [e for e in entries["plugins"] if e["name"] != "data-tools"]
    write(root, {MARKET: entries, "plugins/data-tools": None})
    again = _incremental_equals_full(root, out, tmp_path / "fresh", tmp_path / "previous.json")
    catalog = again.catalog
    assert catalog.plugin("data-tools") is None and catalog.skill("csv-profiler") is None
    assert {(r.kind, r.name) for r in catalog.removed} == {
        ("plugin", "data-tools"),
        ("skill", "csv-profiler"),
    }
    assert "writing" in again.copied


@pytest.mark.parametrize("damage", ["foreign", "edited", "truncated"])
def test_a_previous_catalog_the_cache_did_not_write_is_not_copied_from(damage: str, tmp_path: Path) -> None:
    root, out = template_checkout(tmp_path, "m"), tmp_path / "out"
    build_at(root, out)
    previous = tmp_path / "previous.json"
    if damage == "foreign":  # a catalog of the same tree, but another build's: other bytes
        build_at(root, tmp_path / "other", now=LATER)
        shutil.copy(tmp_path / "other/catalog.json", previous)
    else:
        raw = (out / "catalog.json").read_bytes()
        if damage == "edited":  # same length, one record says something else
            raw = raw.replace(b'"description":"Writing skills', b'"description":"Writing SKILLS', 1)
        else:
            raw = raw[: len(raw) // 2]
        previous.write_bytes(raw)
    if damage == "truncated":
        with pytest.raises(CatalogError, match=r"^previous.json is not valid JSON"):
            build_at(root, out, previous_bytes=previous.read_bytes(), previous_source="previous.json")
        return
    again = _incremental_equals_full(root, out, tmp_path / "fresh", previous)
    assert again.copied == ()  # built again, not copied
    assert again.warnings == (
        f"the previous catalog is not the catalog the last build into {out} wrote (another build's, or "
        "edited since): every record was made again, none copied from it",
    )
    if damage == "edited":
        assert b"Writing SKILLS" in previous.read_bytes()
        assert b"Writing SKILLS" not in (out / "catalog.json").read_bytes()


def test_a_bundle_replaced_with_the_same_size_and_mtime_is_rehashed_and_rebuilt(tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = build_at(TEMPLATE, out)
    bundle = out / "bundles/pr-review/1.0.0/pr-review-1.0.0.zip"
    original, st = bundle.read_bytes(), bundle.stat()
    forged = tmp_path / "forged.zip"
    forged.write_bytes(bytes(len(original)))  # same size, other bytes, a new file (a new inode)
    os.utime(forged, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.replace(forged, bundle)
    assert bundle.stat().st_size == st.st_size and bundle.stat().st_mtime_ns == st.st_mtime_ns
    assert bundle.stat().st_ino != st.st_ino
    again = build_at(TEMPLATE, out, previous=first.catalog)
    assert again.written == ("bundles/pr-review/1.0.0/pr-review-1.0.0.zip",)
    assert bundle.read_bytes() == original
