"""Unpacking on the user's disk: only plain files inside the folder, and never half of anything."""

from __future__ import annotations

import io
import os
import stat
import zipfile
from pathlib import Path

import pytest

from skillport_build.client import unpack
from skillport_build.client.unpack import MAX_ENTRIES, extract_zip, staging, swap_in, write_atomic
from skillport_build.errors import ClientError
from skillport_build.release.bundle import Entry, zip_bytes


def crafted(name: str, mode: int = stat.S_IFREG | 0o644, data: bytes = b"x") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("skill/SKILL.md", b"---\nname: skill\n---\n")
        info = zipfile.ZipInfo(name)
        info.external_attr = mode << 16
        archive.writestr(info, data)
    return out.getvalue()


def test_extract_keeps_files_folders_and_the_executable_bit(tmp_path: Path) -> None:
    data = zip_bytes([Entry("s/SKILL.md", b"md"), Entry("s/scripts/run.py", b"print()", executable=True)], 0)
    extract_zip(data, tmp_path, "s")
    assert (tmp_path / "s/SKILL.md").read_bytes() == b"md"
    assert stat.S_IMODE((tmp_path / "s/scripts/run.py").stat().st_mode) == 0o755
    assert stat.S_IMODE((tmp_path / "s/SKILL.md").stat().st_mode) == 0o644


@pytest.mark.parametrize(
    ("name", "mode", "problem"),
    [
        ("/etc/passwd", stat.S_IFREG | 0o644, "an absolute or non-portable path ('/etc/passwd')"),
        ("skill/../../evil", stat.S_IFREG | 0o644, "a path that leaves its folder ('skill/../../evil')"),
        ("../evil", stat.S_IFREG | 0o644, "a path that leaves its folder ('../evil')"),
        ("skill\\..\\evil", stat.S_IFREG | 0o644, "an absolute or non-portable path"),
        ("C:/evil", stat.S_IFREG | 0o644, "an absolute or non-portable path"),
        ("skill/link", stat.S_IFLNK | 0o777, "a symbolic link ('skill/link')"),
        ("skill/fifo", stat.S_IFIFO | 0o644, "a special file ('skill/fifo')"),
    ],
)
def test_dangerous_entries_are_refused_before_anything_is_written(
    tmp_path: Path, name: str, mode: int, problem: str
) -> None:
    with pytest.raises(ClientError) as refused:
        extract_zip(crafted(name, mode), tmp_path / "out", "skill 1.0.0")
    assert f"skill 1.0.0 holds {problem}" in str(refused.value)
    assert str(refused.value).endswith("; refused, nothing was installed")
    assert not (tmp_path / "out").exists()
    assert not (tmp_path.parent / "evil").exists()


def test_not_a_zip(tmp_path: Path) -> None:
    with pytest.raises(ClientError, match=r"^skill 1\.0\.0 is not a zip file"):
        extract_zip(b"<html>", tmp_path, "skill 1.0.0")


def test_swap_in_replaces_a_folder(tmp_path: Path) -> None:
    (tmp_path / "target").mkdir()
    (tmp_path / "target/old.txt").write_text("old")
    (tmp_path / "new").mkdir()
    (tmp_path / "new/new.txt").write_text("new")
    swap_in(tmp_path / "new", tmp_path / "target")
    assert [p.name for p in tmp_path.iterdir()] == ["target"]
    assert [p.name for p in (tmp_path / "target").iterdir()] == ["new.txt"]


def test_swap_in_puts_the_old_folder_back_when_the_rename_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "target").mkdir()
    (tmp_path / "target/old.txt").write_text("old")
    real_rename = os.rename
    calls: list[str] = []

    def failing(source: Path, dest: Path) -> None:
        calls.append(Path(source).name)
        if Path(source).name == "missing":
            raise OSError(28, "No space left on device")
        real_rename(source, dest)

    monkeypatch.setattr(os, "rename", failing)
    with pytest.raises(OSError, match="No space left"):
        swap_in(tmp_path / "missing", tmp_path / "target")
    assert (tmp_path / "target/old.txt").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["target"]


def test_write_atomic(tmp_path: Path) -> None:
    write_atomic(tmp_path / "a.zip", b"one")
    write_atomic(tmp_path / "a.zip", b"two", 0o600)
    assert (tmp_path / "a.zip").read_bytes() == b"two"
    assert stat.S_IMODE((tmp_path / "a.zip").stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["a.zip"]


def test_staging_is_removed_whatever_happens(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), staging(tmp_path / "skills") as stage:
        (stage / "half").write_text("x")
        raise RuntimeError
    assert list((tmp_path / "skills").iterdir()) == []


def test_a_damaged_zip_is_refused_without_a_traceback(tmp_path: Path) -> None:
    data = bytearray(zip_bytes([Entry("x/SKILL.md", os.urandom(4000))], 0))  # stored as it is: no savings
    start = data.index(b"x/SKILL.md") + len(b"x/SKILL.md")
    data[start + 5 : start + 25] = bytes(20)  # the compressed bytes, not the headers
    dest = tmp_path / "dest"
    dest.mkdir()
    with pytest.raises(ClientError, match=r"^x is a damaged zip \(x/SKILL\.md: .*\); nothing was installed$"):
        extract_zip(bytes(data), dest, "x")


def test_a_zip_of_too_many_files_is_refused_before_any_is_written(tmp_path: Path) -> None:
    many = zip_bytes([Entry(f"x/f{i}", b"") for i in range(MAX_ENTRIES)], 0)  # and the folder x/
    with pytest.raises(
        ClientError, match=f"^x holds {MAX_ENTRIES + 1:,} files, more than {MAX_ENTRIES:,}; refused$"
    ):
        extract_zip(many, tmp_path, "x")
    assert list(tmp_path.iterdir()) == []


def test_a_zip_is_sized_by_what_it_unpacks_to_not_by_its_compressed_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(unpack, "MAX_UNPACKED", 64 * 1024)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bomb/SKILL.md", b"\0" * (256 * 1024))  # a few hundred bytes compressed
    with pytest.raises(ClientError, match=r"^bomb unpacks to more than 0 MiB; refused$"):
        extract_zip(out.getvalue(), tmp_path, "bomb")
    assert list(tmp_path.iterdir()) == []
