from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from factory import TEMPLATE

from skillport_build.repo.buildcache import BuildCache, cache_salt, folder_fingerprint
from skillport_build.repo.gitindex import GitIndex
from skillport_build.repo.loader import load

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
SKILL = "plugins/writing/skills/release-notes"


def _git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(root), "-c", "user.email=ci@example.com", "-c", "user.name=CI", *args],
        check=True,
        capture_output=True,
    )


def _checkout(tmp_path: Path, name: str = "m") -> Path:
    root = tmp_path / name
    shutil.copytree(TEMPLATE, root)
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "start")
    return root


def _print(root: Path, folder: str = "plugins/writing") -> str | None:
    index = GitIndex.read(root)
    assert index is not None
    return index.fingerprint(folder, (), folder_fingerprint)


def _uncached(root: Path, out: Path) -> list[str]:
    cache = BuildCache.open(out, cache_salt(None), GitIndex.read(root))
    return [p.name for p in load(root, cache).plugins if not p.cached]


def test_a_folder_that_is_no_checkout_has_no_index(tmp_path: Path) -> None:
    shutil.copytree(TEMPLATE, tmp_path / "m")
    assert GitIndex.read(tmp_path / "m") is None


@pytest.mark.parametrize(
    "change",
    [
        lambda s: (s / "SKILL.md").write_text((s / "SKILL.md").read_text() + "\nMore.\n"),  # tracked, edited
        lambda s: (s / "notes.md").write_text("untracked\n"),
        lambda s: (s / "SKILL.md").unlink(),
        lambda s: (s / "SKILL.md").chmod(0o755),
        lambda s: (s / "empty").mkdir(),  # an empty folder: git alone would not see it
        lambda s: (s / "new").mkdir() or (s / "new/SKILL.md").write_text("---\n---\n"),
    ],
    ids=["edited", "untracked", "deleted", "mode", "empty-folder", "untracked-folder"],
)
def test_any_change_on_disk_changes_the_print(tmp_path: Path, change: object) -> None:
    root = _checkout(tmp_path)
    before, other = _print(root), _print(root, "plugins/operations")
    change(root / SKILL)  # type: ignore[operator]
    assert _print(root) != before
    assert _print(root, "plugins/operations") == other


def test_the_print_holds_in_a_fresh_clone_so_a_restored_cache_hits(tmp_path: Path) -> None:
    root = _checkout(tmp_path)
    out = tmp_path / "out"
    cache = BuildCache.open(out, cache_salt(None), GitIndex.read(root))
    market = load(root, cache)
    for plugin in market.plugins:
        cache.remember(plugin, list(plugin.problems))
    cache.save()
    clone = tmp_path / "clone"
    _git(tmp_path, "clone", "-q", str(root), str(clone))
    assert _uncached(clone, out) == []
    (clone / SKILL / "SKILL.md").write_text("changed\n")
    assert _uncached(clone, out) == ["writing"]


def test_other_entries_folders_are_left_out_and_an_untracked_plugin_is_left_to_stat(tmp_path: Path) -> None:
    root = _checkout(tmp_path)

    def root_print() -> str | None:
        index = GitIndex.read(root)
        assert index is not None
        return index.fingerprint(
            ".", ("plugins/writing", ".claude-plugin/marketplace.json"), folder_fingerprint
        )

    before = root_print()
    (root / "plugins/writing/extra.md").write_text("x\n")
    (root / ".claude-plugin/marketplace.json").write_text("{}\n")
    assert root_print() == before
    (root / "plugins/operations/extra.md").write_text("x\n")
    assert root_print() != before
    shutil.copytree(root / "plugins/writing", root / "plugins/copied")
    assert _print(root, "plugins/copied") is None  # untracked as a whole: the stat walk knows it


def test_the_index_says_modified_only_for_a_tracked_file_that_changed_or_went(tmp_path: Path) -> None:
    root = _checkout(tmp_path)
    assert not _index(root).modified
    (root / SKILL / "notes.md").write_text("untracked\n")  # untracked: git status decides
    assert not _index(root).modified
    (root / SKILL / "SKILL.md").write_text("---\nname: release-notes\n---\n")
    assert _index(root).modified
    _git(root, "checkout", "--", SKILL)
    (root / SKILL / "SKILL.md").unlink()
    assert _index(root).modified


def _index(root: Path) -> GitIndex:
    index = GitIndex.read(root)
    assert index is not None
    return index
